"""The retraining policy, checked periodically by Celery beat.

A project is retrained when at least `retrain_threshold` annotations were saved since its
last model version (or since ever) and no training job is queued or running. Running jobs
whose worker on this host is dead are queued again (they resume); those whose worker stopped
sending heartbeats are marked failed, so a dead worker never blocks a project forever.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.db.session import session_scope
from backend.dispatch import send_job
from backend.models import Annotation, Image, JobKind, ModelVersion, Project, TrainingJob
from backend.schemas.project import ProjectSettings
from backend.services.jobs import active_training_job, create_job
from worker import job_state


def changed_annotations_since(session: Session, project_id: int, since: datetime | None) -> int:
    query = (
        select(func.count())
        .select_from(Annotation)
        .join(Image, Image.id == Annotation.image_id)
        .where(Image.project_id == project_id, Image.labeled_count > 0)
    )
    if since is not None:
        query = query.where(Annotation.updated_at > since)
    return session.scalar(query) or 0


def check_retraining() -> list[int]:
    """Start the training jobs the policy calls for; returns their ids."""
    job_state.requeue_orphans()  # resumed: their worker on this host is known to be dead
    job_state.reap_stale_jobs()
    settings = get_settings()
    started: list[int] = []
    with session_scope(settings.database_url) as session:
        for project in session.scalars(select(Project).order_by(Project.id)):
            threshold = ProjectSettings.model_validate(project.settings).retrain_threshold
            if active_training_job(session, project.id) is not None:
                continue
            last = session.scalar(
                select(func.max(TrainingJob.created_at)).where(
                    TrainingJob.project_id == project.id, TrainingJob.kind == JobKind.train
                )
            )
            last_version = session.scalar(
                select(func.max(ModelVersion.created_at)).where(
                    ModelVersion.project_id == project.id
                )
            )
            since = max((t for t in (last, last_version) if t is not None), default=None)
            if changed_annotations_since(session, project.id, since) < threshold:
                continue
            job = create_job(session, project, JobKind.train, {"trigger": "policy"}, None)
            session.commit()
            send_job(session, settings, job)
            started.append(job.id)
    return started
