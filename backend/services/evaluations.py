"""Reading evaluations (written by worker/jobs/evaluate.py): a version's or a project's list,
and views over one's stored metrics: the worst validation images with their points, and the
keypoint-embedding map."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import NotFound
from backend.models import Evaluation, Image, ModelVersion, Project
from backend.schemas.admin import EmbeddingPoint, EmbeddingRead, EvaluationSummary, ExampleImage
from backend.services.projects import get_project


def get_evaluation(session: Session, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound(f"evaluation {evaluation_id} not found")
    return evaluation


def of_version(session: Session, version_id: int) -> list[Evaluation]:
    """The version's evaluations, newest first."""
    query = select(Evaluation).where(Evaluation.model_version_id == version_id)
    return list(session.scalars(query.order_by(Evaluation.id.desc())))


def of_project(
    session: Session, project_id: int, version_id: int | None, limit: int
) -> list[Evaluation]:
    """The evaluations of the project's versions (or of one of them), newest first."""
    query = (
        select(Evaluation)
        .join(ModelVersion, ModelVersion.id == Evaluation.model_version_id)
        .where(ModelVersion.project_id == project_id)
    )
    if version_id is not None:
        query = query.where(Evaluation.model_version_id == version_id)
    return list(session.scalars(query.order_by(Evaluation.id.desc()).limit(limit)))


def project_of(session: Session, evaluation: Evaluation) -> Project:
    version = session.get(ModelVersion, evaluation.model_version_id)
    assert version is not None  # evaluations cascade with their version
    return get_project(session, version.project_id)


def summarize(evaluation: Evaluation) -> EvaluationSummary:
    metrics = evaluation.metrics
    per_keypoint = metrics.get("per_keypoint") or {}
    return EvaluationSummary(
        id=evaluation.id,
        model_version_id=evaluation.model_version_id,
        alpha=evaluation.alpha,
        created_at=evaluation.created_at,
        pck=_number(metrics.get("pck")),
        normalizer=str(metrics["normalizer"]) if metrics.get("normalizer") else None,
        per_keypoint={str(k): _number(v) for k, v in per_keypoint.items()},
        mean_error_px=_number(metrics.get("mean_error_px")),
        count=int(metrics.get("count") or 0),
        image_count=len(metrics.get("image_ids") or []),
        has_points="predicted_xy" in metrics,
        has_embedding=isinstance(metrics.get("embedding"), dict),
    )


def worst_examples(session: Session, evaluation: Evaluation, limit: int) -> list[ExampleImage]:
    """The validation images with the largest mean normalised error, worst first. Images
    deleted since the evaluation are skipped; evaluations made before points were stored
    give null points."""
    metrics = evaluation.metrics
    ids: list[int] = list(metrics.get("image_ids") or [])
    errors: list[Any] = list(metrics.get("per_image_normalized_error") or [])
    predicted: list[Any] = list(metrics.get("predicted_xy") or [])
    truth: list[Any] = list(metrics.get("true_xy") or [])
    ranked = sorted(
        (i for i in range(min(len(ids), len(errors))) if _number(errors[i]) is not None),
        key=lambda i: -float(errors[i]),
    )
    images = {
        image.id: image
        for image in session.scalars(select(Image).where(Image.id.in_([ids[i] for i in ranked])))
    }
    out: list[ExampleImage] = []
    for i in ranked:
        image = images.get(ids[i])
        if image is None:
            continue
        out.append(
            ExampleImage(
                image_id=image.id,
                original_name=image.original_name,
                width=image.width,
                height=image.height,
                normalized_error=_number(errors[i]),
                predicted_xy=predicted[i] if i < len(predicted) else None,
                true_xy=truth[i] if i < len(truth) else None,
            )
        )
        if len(out) >= limit:
            break
    return out


def embedding(evaluation: Evaluation, keypoint_names: list[str]) -> EmbeddingRead:
    """The stored map with indices resolved to keypoint names and image ids."""
    metrics = evaluation.metrics
    stored = metrics.get("embedding")
    if not isinstance(stored, dict):
        raise NotFound(f"evaluation {evaluation.id} has no keypoint embedding; run a new one")
    names: list[str] = list(metrics.get("keypoint_names") or keypoint_names)
    ids: list[int] = list(metrics.get("image_ids") or [])
    points = []
    for x, y, k, n, labeled in stored.get("points", []):
        points.append(
            EmbeddingPoint(
                x=x,
                y=y,
                keypoint=names[k] if k < len(names) else f"#{k}",
                image_id=ids[n] if n < len(ids) else None,
                labeled=bool(labeled),
            )
        )
    return EmbeddingRead(
        evaluation_id=evaluation.id,
        method=str(stored.get("method", "tsne")),
        keypoint_names=names,
        points=points,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None
