"""Scoring a project's images for the labeling queue after a model version is published.

For every image not marked done: the four uncertainty signals (`worker.ml.uncertainty`),
combined per keypoint into `Prediction.keypoints[i]["uncertainty"]` (plus `"reason"`, the
signal that ranks it highest, so the UI can say why), an image score `Prediction.uncertainty`
over the keypoints still unlabeled, and `Prediction.queue_rank` from uncertainty-weighted
k-center greedy on z, with the done images as the already-covered set. The API then only
sorts by rank (it never imports torch); images marked done later simply drop out, and every
prefix of a k-center order is itself a spread-out batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sqlalchemy import select

from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import Annotation, Image, ImageState, ModelVersion, Prediction, Project
from backend.services.storage import LocalBlobStore
from worker.device import pick_device
from worker.ml.data import UnlabeledSample, prepare_unlabeled
from worker.ml.model import KeypointModel
from worker.ml.uncertainty import (
    SIGNALS,
    Signals,
    UncertaintyConfig,
    labeling_order,
    measure,
    rank_normalize,
)
from worker.predicting import load_predictor, schema_order
from worker.snapshot import stored_roi

log = logging.getLogger(__name__)

# Done images beyond this many add little to "what is covered" but cost a forward pass each.
MAX_REFERENCE = 500
CHUNK = 256
Roi = tuple[float, float, float, float]
Pool = tuple[int, Path, Roi | None, list[Any] | None]  # image id, file, roi, annotation points


def score_version(version_id: int, config: UncertaintyConfig | None = None) -> int:
    """Score the not-done images of the version's project (at most `max_scored_images` of
    them); returns how many were scored."""
    config = config or UncertaintyConfig()
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    with session_scope(settings.database_url) as session:
        version = session.get(ModelVersion, version_id)
        if version is None:
            raise LookupError(f"model version {version_id} no longer exists")
        path, project_id = version.path, version.project_id
        project = session.get(Project, project_id)
        assert project is not None
        project_names = project.keypoint_names
        rows = session.execute(
            select(Image, Annotation)
            .outerjoin(Annotation, Annotation.image_id == Image.id)
            .where(Image.project_id == project_id)
            .order_by(Image.id)
        ).all()
        pool: list[Pool] = []
        done: list[tuple[Path, Roi | None]] = []
        for image, annotation in rows:
            roi = stored_roi(image)
            if image.state == ImageState.done:
                done.append((store.path_for(image.checksum), roi))
            else:
                points = annotation.keypoints if annotation else None
                pool.append((image.id, store.path_for(image.checksum), roi, points))
    if not pool:
        return 0
    pool = candidate_sample(pool, settings.max_scored_images, seed=version_id)
    predictor = load_predictor(path, pick_device())
    model, device = predictor.model, predictor.device
    k = model.num_keypoints
    # The model's keypoints are in its checkpoint's order; annotations and predictions are in
    # the project's current one (the schema may have changed since training).
    model_to_project = schema_order(project_names, predictor.schema.names)
    project_to_model = schema_order(predictor.schema.names, project_names)
    signals = _measure_pool(model, [(p, r) for _, p, r, _ in pool], config, device)
    needs_label = np.array(
        [_needs_label(_in_model_order(points, model_to_project), k) for *_, points in pool]
    )
    done_images = None
    if done:
        done_images = prepare_unlabeled(
            [UnlabeledSample(p, r) for p, r in done[-MAX_REFERENCE:]], model.config.input_size
        )
    per_keypoint, scores, order = labeling_order(model, signals, done_images, device, needs_label)
    rank = {index: position for position, index in enumerate(order)}
    # The signal with the highest rank explains each keypoint's uncertainty.
    normalized = np.stack([rank_normalize(s) for s in signals.stacked()])  # (S, N, K)
    reason = normalized.argmax(axis=0)
    updates = {
        image_id: (
            _in_project_order(per_keypoint[i], project_to_model, np.nan),
            _in_project_order(reason[i], project_to_model, 0),
            float(scores[i]),
            rank[i],
        )
        for i, (image_id, *_) in enumerate(pool)
    }
    _store(version_id, updates)
    return len(pool)


def candidate_sample(pool: list[Pool], limit: int, seed: int) -> list[Pool]:
    """At most `limit` images, a seeded random sample in id order when the pool is larger.

    Scoring costs 1 + `num_warps` forward passes per image, every retraining: 10,000 unlabeled
    images would take ~14 minutes on a CPU worker. Picking the queue from a random candidate
    subset is the usual remedy in pool-based active learning and loses little: the next
    annotator batch is tens of images, and a few thousand candidates cover the pool's
    variety. Unscored images have no rank and follow the ranked ones in the queue.
    """
    if len(pool) <= limit:
        return pool
    keep = np.sort(np.random.default_rng(seed).choice(len(pool), size=limit, replace=False))
    return [pool[i] for i in keep]


def _measure_pool(
    model: KeypointModel,
    images: list[tuple[Path, Roi | None]],
    config: UncertaintyConfig,
    device: torch.device,
) -> Signals:
    """In chunks: 1,000 letterboxed images at 192 px would be 110 MB of uint8 at once."""
    size, stride = model.config.input_size, model.config.heatmap_stride
    parts = []
    for start in range(0, len(images), CHUNK):
        chunk = [UnlabeledSample(p, r) for p, r in images[start : start + CHUNK]]
        chunk_config = replace(config, seed=config.seed + start)
        parts.append(measure(model, prepare_unlabeled(chunk, size), stride, chunk_config, device))
    return Signals.concat(parts)


def _store(
    version_id: int,
    updates: dict[int, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], float, int]],
) -> None:
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        predictions = session.scalars(
            select(Prediction).where(
                Prediction.model_version_id == version_id,
                Prediction.image_id.in_(list(updates)),
            )
        )
        for prediction in predictions:
            uncertainty, reason, score, rank = updates[prediction.image_id]
            prediction.keypoints = [
                # A keypoint the model predates has no score (NaN is not valid JSON).
                {**point, "uncertainty": float(u), "reason": SIGNALS[int(r)]}
                if np.isfinite(u)
                else {**point, "uncertainty": None, "reason": None}
                for point, u, r in zip(prediction.keypoints, uncertainty, reason, strict=False)
            ]
            prediction.uncertainty = score
            prediction.queue_rank = rank


def _in_model_order(
    points: Sequence[Any] | None, model_to_project: list[int | None]
) -> list[Any] | None:
    if not points:
        return None
    return [points[j] if j is not None and j < len(points) else None for j in model_to_project]


def _in_project_order(
    values: np.ndarray[Any, Any], project_to_model: list[int | None], missing: float
) -> np.ndarray[Any, Any]:
    return np.array([values[i] if i is not None else missing for i in project_to_model])


def _needs_label(points: Sequence[Any] | None, k: int) -> list[bool]:
    if not points:
        return [True] * k
    flags = [
        not isinstance(p, dict) or p.get("visibility", "unlabeled") == "unlabeled"
        for p in points[:k]
    ]
    return flags + [True] * (k - len(flags))
