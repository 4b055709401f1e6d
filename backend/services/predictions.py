"""The prediction the annotator sees for an image: the active model version's, if any."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Image, ModelVersion, Prediction, Project
from backend.schemas.annotation import PredictedPoint, PredictionRead


def active_prediction(session: Session, project: Project, image: Image) -> PredictionRead | None:
    """None while there is none (no model yet, or the image not predicted yet); keypoints the
    model left out (no `x`) are not listed."""
    pred = session.scalar(
        select(Prediction)
        .join(ModelVersion, ModelVersion.id == Prediction.model_version_id)
        .where(Prediction.image_id == image.id, ModelVersion.is_active.is_(True))
    )
    if pred is None:
        return None
    points = [
        PredictedPoint(name=name, **p)
        for name, p in zip(project.keypoint_names, pred.keypoints, strict=False)
        if p.get("x") is not None
    ]
    return PredictionRead(
        image_id=image.id,
        model_version_id=pred.model_version_id,
        keypoints=points,
        created_at=pred.created_at,
    )
