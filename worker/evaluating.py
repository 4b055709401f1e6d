"""PCK of a model on labeled samples, as JSON-safe metrics.

`evaluate_samples` is what a retraining stores on its model version (aggregates only, kept
small because version lists carry it). An evaluation job asks for more with
`per_image_points=True` (each image's predicted and true points, for drawing the worst
examples) and `with_embedding=True` (a 2-D map of the semantic representations z_i, see
`worker.embedding`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backend.calibration import fit
from worker.ml.data import LabeledSample
from worker.ml.metrics import head_keypoints, pck, pckh
from worker.ml.predict import Prediction, Predictor
from worker.predicting import finite

log = logging.getLogger(__name__)
PCKH_ALPHA = 0.5  # MPII's PCKh@0.5


def evaluate_samples(
    predictor: Predictor,
    samples: Sequence[LabeledSample],
    names: list[str],
    alpha: float,
    *,
    per_image_points: bool = False,
    with_embedding: bool = False,
) -> dict[str, Any]:
    """{"pck", "normalizer", "per_keypoint": {name: pck}, "mean_error_px", "median_error_px",
    "count", "alpha", "per_image_normalized_error": [one per sample], "calibration"}; None
    where nothing was labeled. "normalizer" names PCK's length (`LabeledSample.normalizer_kind`);
    "pckh" (with "pckh_alpha", "pckh_keypoints") is added when the schema names head keypoints.
    "calibration" is the curve raw heatmap peak -> rate of keypoints within PCK@alpha on these
    samples (backend/calibration.py; None with too few), which every prediction of the version
    then reports as its confidence.

    per_image_points adds "predicted_xy" and "true_xy": per sample, K [x, y] pairs in image
    pixels ([x, y] of an unlabeled true point is null). with_embedding adds "embedding"."""
    if not samples:
        return {"pck": None, "per_keypoint": {}, "count": 0, "alpha": alpha}
    predictions = predictor.predict(
        [s.image for s in samples], [s.roi for s in samples], return_z=with_embedding
    )
    predicted = np.stack([p.xy for p in predictions])
    truth = np.stack([s.keypoints_xy for s in samples])
    labeled = np.stack([s.visibility > 0 for s in samples])
    norm = np.array([s.normalizer() for s in samples])
    result = pck(predicted, truth, labeled, norm, alpha)
    errors = np.linalg.norm(predicted - truth, axis=-1) / norm[:, None]
    per_image = [_mean_or_nan(errors[i][labeled[i]]) for i in range(len(samples))]
    kinds = {s.normalizer_kind() for s in samples}
    metrics: dict[str, Any] = {
        # What PCK's length l is: "bbox", "roi", "extent", or "mixed" across images.
        "normalizer": kinds.pop() if len(kinds) == 1 else "mixed",
        "pck": finite(result.pck),
        "per_keypoint": {n: finite(v) for n, v in zip(names, result.per_keypoint, strict=True)},
        "mean_error_px": finite(result.mean_error_px),
        "median_error_px": finite(result.median_error_px),
        "count": result.count,
        "alpha": alpha,
        "per_image_normalized_error": [finite(v) for v in per_image],
        "calibration": _calibration(predictions, errors, labeled, alpha),
    }
    head = pckh(predicted, truth, labeled, names, PCKH_ALPHA)
    if head is not None:
        metrics["pckh"] = finite(head.pck)
        metrics["pckh_alpha"] = PCKH_ALPHA
        metrics["pckh_keypoints"] = [names[i] for i in head_keypoints(names)]
    if per_image_points:
        metrics["predicted_xy"] = [_points(p.xy, None) for p in predictions]
        metrics["true_xy"] = [_points(s.keypoints_xy, s.visibility > 0) for s in samples]
    if with_embedding:
        from worker.embedding import embed_keypoints  # scikit-learn: only evaluation jobs

        z = np.stack([p.z for p in predictions if p.z is not None])  # (N, K, C)
        try:
            metrics["embedding"] = embed_keypoints(z, labeled)
        except Exception as exc:  # a picture for the admin page; PCK must still be stored
            log.exception("keypoint embedding failed")
            metrics["embedding"] = {"method": "failed", "error": str(exc), "points": []}
    return metrics


def _calibration(
    predictions: Sequence[Prediction],
    normalized_errors: NDArray[np.float64],
    labeled: NDArray[np.bool_],
    alpha: float,
) -> dict[str, Any] | None:
    peaks = np.stack([p.confidence for p in predictions])  # (N, K) raw heatmap peaks
    correct = normalized_errors <= alpha  # PCK@alpha per keypoint, as `pck` counts it
    curve = fit(peaks[labeled].tolist(), correct[labeled].tolist(), alpha)
    return curve.to_dict() if curve is not None else None


def _mean_or_nan(values: NDArray[np.float64]) -> float:
    return float(values.mean()) if values.size else float("nan")


def _points(xy: NDArray[np.float64], keep: NDArray[np.bool_] | None) -> list[list[float] | None]:
    """(K, 2) -> K [x, y] pairs rounded to 0.1 px; None for a dropped or non-finite point."""
    out: list[list[float] | None] = []
    for i, (x, y) in enumerate(xy.tolist()):
        ok = (keep is None or bool(keep[i])) and finite(x) is not None and finite(y) is not None
        out.append([round(x, 1), round(y, 1)] if ok else None)
    return out
