"""Reading suspect labels: the open ones of a project, worst first.

A suspect is open while its image's annotation is still at the version it was scored on; any
later save closes it, so a fix, a swap or a reviewer's explicit acceptance all take it off the
list without a separate status to keep in step. Scoring lives in the worker
(`worker/label_suspects.py`): after every retraining, and on demand as a `score_labels` job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import Conflict
from backend.models import (
    Annotation,
    Image,
    Job,
    JobKind,
    LabelSuspect,
    Prediction,
    Project,
    User,
)
from backend.models.ml import ACTIVE_JOB_STATES
from backend.schemas.job_options import ScoreLabelsOptions
from backend.schemas.suspect import SuspectPage, SuspectPoint, SuspectRead
from backend.services.jobs import active_model_version, create_job


def _open(project_id: int) -> Any:
    return (
        select(LabelSuspect, Image.original_name, Annotation.keypoints)
        .join(Image, Image.id == LabelSuspect.image_id)
        .join(Annotation, Annotation.image_id == LabelSuspect.image_id)
        .where(
            LabelSuspect.project_id == project_id,
            Annotation.version == LabelSuspect.annotation_version,
        )
    )


def open_suspects(
    session: Session,
    project: Project,
    *,
    limit: int,
    offset: int = 0,
    min_score: float = 0.0,
    image_id: int | None = None,
) -> SuspectPage:
    query = _open(project.id).where(LabelSuspect.score >= min_score)
    if image_id is not None:
        query = query.where(LabelSuspect.image_id == image_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(LabelSuspect.score.desc(), LabelSuspect.id).offset(offset).limit(limit)
    ).all()
    names = project.keypoint_names
    predicted = _predicted(session, [(s.image_id, s.model_version_id) for s, _, _ in rows])
    items = []
    for suspect, image_name, points in rows:
        k = names.index(suspect.keypoint) if suspect.keypoint in names else None
        label = points[k] if k is not None and k < len(points) else {}
        guess = predicted.get((suspect.image_id, suspect.model_version_id))
        guess_point = guess[k] if guess is not None and k is not None and k < len(guess) else None
        items.append(
            SuspectRead(
                id=suspect.id,
                image_id=suspect.image_id,
                image_name=image_name,
                keypoint=suspect.keypoint,
                score=suspect.score,
                reasons=suspect.reasons,  # validated into SuspectReason by pydantic
                label=SuspectPoint(x=label.get("x"), y=label.get("y")),
                predicted=(
                    SuspectPoint(x=guess_point.get("x"), y=guess_point.get("y"))
                    if guess_point
                    else None
                ),
                model_version_id=suspect.model_version_id,
                annotation_version=suspect.annotation_version,
                created_at=suspect.created_at,
            )
        )
    return SuspectPage(total=total, items=items)


def _predicted(
    session: Session, keys: list[tuple[int, int | None]]
) -> dict[tuple[int, int | None], list[Any]]:
    wanted = [(i, v) for i, v in keys if v is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(Prediction.image_id, Prediction.model_version_id, Prediction.keypoints).where(
            Prediction.image_id.in_({i for i, _ in wanted}),
            Prediction.model_version_id.in_({v for _, v in wanted}),
        )
    ).all()
    return {(i, v): list(points) for i, v, points in rows}


def start_scan(session: Session, project: Project, user: User) -> Job:
    """Queue a `score_labels` job with the project's active version (the caller commits and
    sends it); 409 when the project has no active version to score with, or a scan of it is
    already queued or running (a second would only redo the same work)."""
    pending = session.scalar(
        select(Job.id).where(
            Job.project_id == project.id,
            Job.kind == JobKind.score_labels,
            Job.state.in_(ACTIVE_JOB_STATES),
        )
    )
    if pending is not None:
        raise Conflict(f"a label scan of this project is already under way (job {pending})")
    version = active_model_version(session, project.id)
    if version is None:
        raise Conflict(
            "the project has no active model version to score labels with; train one first "
            "(every retraining also scores the labels itself)"
        )
    return create_job(session, project, ScoreLabelsOptions(model_version_id=version.id), user)
