"""Writing rows the worker would write, for tests that need them without training a model."""

from __future__ import annotations

from sqlalchemy import select

from backend.db.session import session_scope
from backend.models import Image, ImageState, ModelVersion, Prediction


def insert_prediction(
    database_url: str,
    image_id: int,
    points_xy: list[list[float]],
    confidences: list[float],
) -> int:
    """Store a prediction of the project's active model version (created if none), as the
    worker does after a retraining; returns the model version id."""
    with session_scope(database_url) as session:
        image = session.get(Image, image_id)
        assert image is not None, f"no image {image_id}"
        version = session.scalar(
            select(ModelVersion).where(
                ModelVersion.project_id == image.project_id, ModelVersion.is_active.is_(True)
            )
        )
        if version is None:
            version = ModelVersion(
                project_id=image.project_id,
                backbone="efficientnet_lite0",
                config={},
                metrics={"pck": None},
                labeled_count=0,
                unlabeled_count=0,
                labels_snapshot={},
                path="",
                is_active=True,
            )
            session.add(version)
            session.flush()
        keypoints = [
            {"x": x, "y": y, "confidence": c, "uncertainty": None}
            for (x, y), c in zip(points_xy, confidences, strict=True)
        ]
        session.add(
            Prediction(
                image_id=image_id,
                model_version_id=version.id,
                keypoints=keypoints,
                score=sum(confidences) / len(confidences),
            )
        )
        if image.state == ImageState.new:
            image.state = ImageState.predicted
        return version.id
