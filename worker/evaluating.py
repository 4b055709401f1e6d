"""PCK of a model on labeled samples, as JSON-safe metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from worker.ml.data import LabeledSample
from worker.ml.metrics import pck
from worker.ml.predict import Predictor
from worker.predicting import finite


def evaluate_samples(
    predictor: Predictor, samples: Sequence[LabeledSample], names: list[str], alpha: float
) -> dict[str, Any]:
    """{"pck", "per_keypoint": {name: pck}, "mean_error_px", "median_error_px", "count",
    "alpha", "per_image_normalized_error": [one per sample]}; None where nothing was labeled."""
    if not samples:
        return {"pck": None, "per_keypoint": {}, "count": 0, "alpha": alpha}
    predictions = predictor.predict([s.image for s in samples], [s.roi for s in samples])
    predicted = np.stack([p.xy for p in predictions])
    truth = np.stack([s.keypoints_xy for s in samples])
    labeled = np.stack([s.visibility > 0 for s in samples])
    norm = np.array([s.normalizer() for s in samples])
    result = pck(predicted, truth, labeled, norm, alpha)
    errors = np.linalg.norm(predicted - truth, axis=-1) / norm[:, None]
    per_image = [
        float(np.nanmean(np.where(labeled[i], errors[i], np.nan))) for i in range(len(samples))
    ]
    return {
        "pck": finite(result.pck),
        "per_keypoint": {n: finite(v) for n, v in zip(names, result.per_keypoint, strict=True)},
        "mean_error_px": finite(result.mean_error_px),
        "median_error_px": finite(result.median_error_px),
        "count": result.count,
        "alpha": alpha,
        "per_image_normalized_error": [finite(v) for v in per_image],
    }
