"""The retraining policy, checked periodically by Celery beat.

A project is retrained when its `auto_retrain` setting allows it and at least
`retrain_threshold` images had an annotation saved by an editor (the annotator or an API
client, never an import) or changed by a reviewer since its last training job or model
version, and no training job is queued or running. `auto_retrain` is "once_a_model_exists" by
default, so a new project (or one that just imported a labeled dataset) trains only when an
admin asks first; "on" and "off" override that, and a threshold of 0 also means never. The
job's options say why it started. Running jobs whose worker on this host is dead are queued
again first (they resume); those whose worker stopped sending heartbeats are marked failed, so
a dead worker never blocks a project forever.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from backend.config import get_settings
from backend.db.session import session_scope
from backend.dispatch import commit_and_send
from backend.models import AnnotationRevision, Image, Job, JobKind, ModelVersion, Project
from backend.schemas.job_options import TrainOptions
from backend.schemas.project import ProjectSettings
from backend.services.jobs import active_training_job, create_job
from backend.services.review import REVIEW_ORIGIN
from worker import job_state


def changed_annotations_since(session: Session, project_id: int, since: datetime | None) -> int:
    """Images with a label whose annotation an editor saved, or a reviewer changed (a fix or a
    swap; an accept saves the same points again), since `since`. Imports never count."""
    previous = aliased(AnnotationRevision)
    changed_by_review = exists().where(
        previous.image_id == AnnotationRevision.image_id,
        previous.version == AnnotationRevision.version - 1,
        cast(previous.keypoints, Text) != cast(AnnotationRevision.keypoints, Text),
    )
    query = (
        select(func.count(func.distinct(AnnotationRevision.image_id)))
        .join(Image, Image.id == AnnotationRevision.image_id)
        .where(
            Image.project_id == project_id,
            Image.labeled_count > 0,
            or_(
                AnnotationRevision.origin == "editor",
                and_(AnnotationRevision.origin == REVIEW_ORIGIN, changed_by_review),
            ),
        )
    )
    if since is not None:
        query = query.where(AnnotationRevision.created_at > since)
    return session.scalar(query) or 0


def policy_applies(session: Session, project: Project, settings: ProjectSettings) -> bool:
    """Whether the project retrains automatically at all (its count aside)."""
    if settings.retrain_threshold == 0 or settings.auto_retrain == "off":
        return False
    if settings.auto_retrain == "on":
        return True
    has_model = session.scalar(
        select(ModelVersion.id).where(ModelVersion.project_id == project.id).limit(1)
    )
    return has_model is not None


def check_retraining() -> list[int]:
    """Start the training jobs the policy calls for; returns their ids."""
    job_state.requeue_orphans()  # resumed: their worker on this host is known to be dead
    job_state.reap_stale_jobs()
    settings = get_settings()
    started: list[int] = []
    with session_scope(settings.database_url) as session:
        for project in session.scalars(select(Project).order_by(Project.id)):
            project_settings = ProjectSettings.model_validate(project.settings)
            threshold = project_settings.retrain_threshold
            if active_training_job(session, project.id) is not None:
                continue
            if not policy_applies(session, project, project_settings):
                continue
            last = session.scalar(
                select(func.max(Job.created_at)).where(
                    Job.project_id == project.id, Job.kind == JobKind.train
                )
            )
            last_version = session.scalar(
                select(func.max(ModelVersion.created_at)).where(
                    ModelVersion.project_id == project.id
                )
            )
            since = max((t for t in (last, last_version) if t is not None), default=None)
            changed = changed_annotations_since(session, project.id, since)
            if changed < threshold:
                continue
            after = "the last training" if since is not None else "the project began"
            reason = (
                f"{changed} images annotated since {after} (the policy retrains after {threshold})"
            )
            options = TrainOptions(trigger="policy", reason=reason)
            job = create_job(session, project, options, None)
            commit_and_send(session, settings, job)
            started.append(job.id)
    return started
