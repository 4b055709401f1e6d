"""Predicting images with a model version and storing the results."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend import data_layout
from backend.calibration import Calibration, predicted_point
from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import Image, ImageState, ModelVersion, Prediction, Project
from worker.device import pick_device
from worker.ml.predict import Predictor

CHUNK = 32


def model_file(version_path: str) -> Path:
    return data_layout.version_weights(version_path)


@lru_cache(maxsize=2)
def load_predictor(version_path: str, device: str) -> Predictor:
    """Versions are immutable, so a loaded model can be kept for the worker's lifetime."""
    return Predictor.from_checkpoint(model_file(version_path), device)


def finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


MISSING_POINT = {"x": None, "y": None, "confidence": 0.0, "uncertainty": None}


def schema_order(model_names: Sequence[str], project_names: Sequence[str]) -> list[int | None]:
    """For each project keypoint, the model output that predicts it (None if the model
    was trained before that keypoint existed)."""
    position = {name: i for i, name in enumerate(model_names)}
    return [position.get(name) for name in project_names]


def predict_and_store(
    version_id: int,
    images: Sequence[tuple[int, Path, tuple[float, float, float, float] | None]],
    on_chunk: Callable[[int, int], None] | None = None,
) -> int:
    """Predict `images` (id, file, roi) with `version_id`; upsert one Prediction each."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        version = session.get(ModelVersion, version_id)
        if version is None:
            raise LookupError(f"model version {version_id} no longer exists")
        path, active = version.path, version.is_active
        calibration = Calibration.from_dict(version.metrics.get("calibration"))
        project = session.get(Project, version.project_id)
        assert project is not None
        project_names = project.keypoint_names
    predictor = load_predictor(path, pick_device())
    # The model predicts in the order of its checkpoint; the project's schema may have been
    # reordered, renamed away or extended since it was trained.
    order = schema_order(predictor.schema.names, project_names)
    done = 0
    for start in range(0, len(images), CHUNK):
        chunk = images[start : start + CHUNK]
        results = predictor.predict([p for _, p, _ in chunk], [r for _, _, r in chunk])
        with session_scope(settings.database_url) as session:
            sizes = image_sizes(session, [image_id for image_id, _, _ in chunk])
        rows = []
        for (image_id, _, _), result in zip(chunk, results, strict=True):
            if image_id not in sizes:  # deleted meanwhile: nothing to store it on
                continue
            width, height = sizes[image_id]
            points = [
                {
                    **predicted_point(
                        calibration,
                        float(result.confidence[i]),
                        float(result.xy[i, 0]),
                        float(result.xy[i, 1]),
                        width,
                        height,
                    ),
                    "uncertainty": None,
                }
                for i in range(len(result.confidence))
            ]
            rows.append(
                {
                    "image_id": image_id,
                    "model_version_id": version_id,
                    "keypoints": [MISSING_POINT if i is None else points[i] for i in order],
                    "score": mean_confidence(points),
                }
            )
        with session_scope(settings.database_url) as session:
            _upsert(session, rows)
            if active:
                ids = [r["image_id"] for r in rows]
                for image in session.scalars(
                    select(Image).where(Image.id.in_(ids), Image.state == ImageState.new)
                ):
                    image.state = ImageState.predicted
        done += len(chunk)
        if on_chunk is not None:
            on_chunk(done, len(images))
    return done


def image_sizes(session: Session, image_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    rows = session.execute(
        select(Image.id, Image.width, Image.height).where(Image.id.in_(image_ids))
    )
    return {image_id: (width, height) for image_id, width, height in rows}


def mean_confidence(points: Sequence[Mapping[str, Any]]) -> float | None:
    """An image's score: the mean calibrated confidence of its keypoints."""
    values = [float(p["confidence"]) for p in points]
    return finite(sum(values) / len(values)) if values else None


def _upsert(session: Session, rows: Sequence[Mapping[str, object]]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Prediction).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["image_id", "model_version_id"],
            set_={"keypoints": statement.excluded.keypoints, "score": statement.excluded.score},
        )
    )
