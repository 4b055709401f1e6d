"""Scoring a project's human labels for how likely each is wrong, with one model version.

Runs after every retraining (`training_run.py`, once predictions are stored) and on demand
(`POST /projects/{id}/suspects/scan`, a `score_labels` job on the `bulk` queue). Reads the
labels in one short transaction, runs the version once per labeled image (prediction and the
keypoint classifier at each label, `worker/ml/label_readout.py`), scores with
`worker/suspect_signals.py`, and replaces the project's suspect rows in one transaction. Each
row keeps the annotation version it was scored on, so a save made while scoring ran leaves
its image's rows already closed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sqlalchemy import delete, select

from backend.calibration import Calibration, calibrate, doubt
from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import Annotation, Image, LabelSuspect, ModelVersion, Project
from backend.services.storage import LocalBlobStore
from imaging.geometry import Letterbox, letterbox
from worker.device import pick_device
from worker.ml.data import load_image
from worker.ml.label_readout import Readout, read_labels
from worker.predicting import load_predictor, schema_order
from worker.snapshot import stored_roi
from worker.suspect_signals import Labels, ModelView, Scores, reasons, score_all

MIN_SCORE = 0.3  # labels scoring lower are not stored: they would bury the real ones
CHUNK = 64
Roi = tuple[float, float, float, float]


@dataclass(frozen=True)
class LabeledImage:
    image_id: int
    path: Path
    roi: Roi | None
    size: tuple[int, int]  # width, height
    annotation_version: int
    xy: np.ndarray  # (K, 2) human labels in project order, NaN where none


@dataclass(frozen=True)
class ProjectLabels:
    project_id: int
    names: list[str]
    flip_pairs: list[tuple[int, int]]
    edges: list[tuple[int, int]]
    images: list[LabeledImage]


def human_xy(points: Sequence[dict[str, Any]], k: int) -> np.ndarray:
    """(K, 2) of the points a human placed (visible or occluded); NaN elsewhere."""
    xy = np.full((k, 2), np.nan)
    for i, p in enumerate(points[:k]):
        placed = p.get("visibility", "unlabeled") != "unlabeled"
        if placed and p.get("source", "human") == "human" and p.get("x") is not None:
            xy[i] = (float(p["x"]), float(p["y"]))
    return xy


def _pairs(names: list[str], pairs: object) -> list[tuple[int, int]]:
    known = {n: i for i, n in enumerate(names)}
    found = []
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, list) and len(pair) == 2 and pair[0] in known and pair[1] in known:
            found.append((known[pair[0]], known[pair[1]]))
    return found


def load_labels(project_id: int) -> ProjectLabels:
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    with session_scope(settings.database_url) as session:
        project = session.get(Project, project_id)
        if project is None:
            raise LookupError(f"project {project_id} no longer exists")
        names = project.keypoint_names
        schema = project.keypoint_schema
        rows = session.execute(
            select(Image, Annotation)
            .join(Annotation, Annotation.image_id == Image.id)
            .where(Image.project_id == project_id)
            .order_by(Image.id)
        ).all()
        images = []
        for image, annotation in rows:
            xy = human_xy(annotation.keypoints, len(names))
            if np.isfinite(xy).all(axis=1).any():
                images.append(
                    LabeledImage(
                        image.id, store.path_for(image.checksum), stored_roi(image),
                        (image.width, image.height), annotation.version, xy,
                    )
                )  # fmt: skip
    return ProjectLabels(
        project_id,
        names,
        _pairs(names, schema.get("flip_pairs")),
        _pairs(names, schema.get("skeleton")),
        images,
    )


def normaliser(xy: np.ndarray, roi: Roi | None, size: tuple[int, int]) -> float:
    """The PCK length l, as `worker.ml.data.LabeledSample.normalizer` has it for project
    images: the ROI's longer side, else the labels' extent; the image's longer side when fewer
    than two points are labeled."""
    if roi is not None:
        return float(max(roi[2], roi[3], 1.0))
    placed = xy[np.isfinite(xy).all(axis=1)]
    if len(placed) < 2:
        return float(max(size))
    return float(max(np.ptp(placed, axis=0).max(), 1.0))


def score_version_labels(
    version_id: int, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Score the project's human labels with `version_id`, replace the project's suspects;
    returns how many were stored."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        version = session.get(ModelVersion, version_id)
        if version is None:
            raise LookupError(f"model version {version_id} no longer exists")
        path, project_id = version.path, version.project_id
        calibration = Calibration.from_dict(version.metrics.get("calibration"))
        # The confidence means "within PCK@alpha" for the alpha it was calibrated at.
        alpha = calibration.alpha if calibration else float(version.config.get("pck_alpha", 0.1))
        sigma = float(version.config.get("sigma", 2.0))
    project = load_labels(project_id)
    scores = score_project(project, path, calibration, alpha, sigma, on_progress)
    rows = suspect_rows(project, scores, version_id)
    with session_scope(settings.database_url) as session:
        # An image deleted while scoring ran has nothing left to be suspect about.
        alive = set(
            session.scalars(select(Image.id).where(Image.id.in_({r.image_id for r in rows})))
        )
        rows = [r for r in rows if r.image_id in alive]
        session.execute(delete(LabelSuspect).where(LabelSuspect.project_id == project_id))
        session.add_all(rows)
    return len(rows)


def score_project(
    project: ProjectLabels,
    version_path: str,
    calibration: Calibration | None,
    alpha: float,
    sigma: float,
    on_progress: Callable[[int, int], None] | None = None,
) -> Scores:
    k = len(project.names)
    no_roi = (np.nan,) * 4
    labels = Labels(
        np.stack([i.xy for i in project.images]) if project.images else np.zeros((0, k, 2)),
        np.array([normaliser(i.xy, i.roi, i.size) for i in project.images]),
        np.array([i.roi or no_roi for i in project.images], dtype=np.float64).reshape(-1, 4),
    )
    view = model_view(project, version_path, calibration, sigma, on_progress)
    return score_all(labels, view, alpha, project.flip_pairs, project.edges)


def model_view(
    project: ProjectLabels,
    version_path: str,
    calibration: Calibration | None,
    sigma: float,
    on_progress: Callable[[int, int], None] | None = None,
) -> ModelView:
    predictor = load_predictor(version_path, pick_device())
    model = predictor.model
    size = model.config.input_size
    # The version predicts in its checkpoint's keypoint order; the project's may differ now.
    project_to_model = schema_order(predictor.schema.names, project.names)
    model_to_project = schema_order(project.names, predictor.schema.names)
    n, k = len(project.images), len(project.names)
    xy, confidence = np.full((n, k, 2), np.nan), np.zeros((n, k))
    probs = np.full((n, k, k), np.nan)
    for start in range(0, n, CHUNK):
        chunk = project.images[start : start + CHUNK]
        boxed = [letterbox(load_image(i.path), size, i.roi) for i in chunk]
        images = torch.stack([torch.from_numpy(c.copy()).permute(2, 0, 1) for c, _ in boxed])
        labels_model = np.stack(
            [
                box.image_to_input(_reorder(i.xy, model_to_project))
                for i, (_, box) in zip(chunk, boxed, strict=True)
            ]
        )
        labeled = np.isfinite(labels_model).all(axis=2)
        readout = read_labels(
            model,
            images,
            torch.from_numpy(np.nan_to_num(labels_model)).float(),
            torch.from_numpy(labeled),
            sigma,
            predictor.device,
        )
        _fill(readout, [b for _, b in boxed], chunk, project_to_model, calibration, start,
              xy, confidence, probs)  # fmt: skip
        if on_progress is not None:
            on_progress(start + len(chunk), n)
    return ModelView(xy, confidence, probs)


def _reorder(xy: np.ndarray, order: Sequence[int | None]) -> np.ndarray:
    """Rows of `xy` picked by `order` (NaN where None)."""
    out = np.full((len(order), 2), np.nan)
    for i, j in enumerate(order):
        if j is not None:
            out[i] = xy[j]
    return out


def _fill(
    readout: Readout,
    boxes: list[Letterbox],
    chunk: Sequence[LabeledImage],
    project_to_model: Sequence[int | None],
    calibration: Calibration | None,
    start: int,
    xy: np.ndarray,
    confidence: np.ndarray,
    probs: np.ndarray,
) -> None:
    """Write one chunk's readout into the project-order arrays."""
    known = [k for k, m in enumerate(project_to_model) if m is not None]
    model_index = [m for m in project_to_model if m is not None]
    for row, (image, box) in enumerate(zip(chunk, boxes, strict=True)):
        n = start + row
        probs[n][np.ix_(known, known)] = readout.label_probs[row][np.ix_(model_index, model_index)]
        width, height = image.size
        predicted = box.input_to_image(readout.xy_input[row])
        for k, m in enumerate(project_to_model):
            if m is None:
                continue
            x, y, peak = float(predicted[m, 0]), float(predicted[m, 1]), float(readout.peak[row, m])
            xy[n, k] = (x, y)
            # Without a calibration curve (under 8 labeled validation keypoints) a peak is
            # not a probability: the signals that weigh by confidence stay silent.
            sure = calibration is not None and doubt(peak, x, y, width, height) is None
            confidence[n, k] = calibrate(calibration, peak) if sure else 0.0


def suspect_rows(project: ProjectLabels, scores: Scores, version_id: int) -> list[LabelSuspect]:
    rows = []
    for n, k in zip(*np.nonzero(scores.score >= MIN_SCORE), strict=True):
        image = project.images[n]
        rows.append(
            LabelSuspect(
                project_id=project.project_id,
                image_id=image.image_id,
                model_version_id=version_id,
                keypoint=project.names[k],
                annotation_version=image.annotation_version,
                score=round(float(scores.score[n, k]), 4),
                reasons=reasons(scores, int(n), int(k), project.names),
            )
        )
    return rows
