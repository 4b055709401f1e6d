"""Creating, listing and cancelling worker jobs; listing and promoting model versions.

Jobs are rows first and Celery messages second: the API commits the row, then sends the
task by name (`backend.dispatch.commit_and_send`); the worker reads everything it needs from
the row.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend import data_layout
from backend.config import Settings
from backend.db.base import utcnow
from backend.errors import BadInput, Conflict, NotFound
from backend.models import Job, JobKind, JobState, ModelVersion, Project, User
from backend.models.ml import ACTIVE_JOB_STATES, ONE_ACTIVE_TRAIN_PREDICATE
from backend.schemas.job_options import JobOptions
from backend.services.job_owner import presumed_dead

FINISHED_STATES = (JobState.succeeded, JobState.failed, JobState.cancelled)


def job_dir(settings: Settings, job_id: int) -> Path:
    """A job's own folder: uploaded inputs (bulk predictions, imports) and results files."""
    return data_layout.job_dir(settings.data_dir, job_id)


def fresh_job_dir(settings: Settings, job_id: int) -> Path:
    """An empty folder for a new job. One already there is stale: an earlier job with this id
    was rolled back or deleted with its project (SQLite reuses the highest id) before anything
    removed its files, and they must not mix with this job's."""
    folder = job_dir(settings, job_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


def active_training_job(session: Session, project_id: int) -> Job | None:
    return session.scalar(
        select(Job).where(
            Job.project_id == project_id,
            Job.kind == JobKind.train,
            Job.state.in_(ACTIVE_JOB_STATES),
        )
    )


def create_job(
    session: Session,
    project: Project | None,
    options: JobOptions,
    requested_by: User | None,
) -> Job:
    """Add a queued job of `options`' kind (`project` None: an import that creates its
    project). For training, a second job while one is queued or running is a 409 naming the
    running one; the partial unique index makes that hold under races."""
    kind = options.kind
    if kind == JobKind.train:
        assert project is not None
        running = active_training_job(session, project.id)
        if running is not None:
            raise _already_running(running)
    values = {
        "project_id": project.id if project is not None else None,
        "kind": kind,
        "state": JobState.queued,
        "options": options.stored(),
        "progress": {},
        "requested_by_id": requested_by.id if requested_by else None,
        "cancel_requested": False,
        "created_at": utcnow(),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Job).values(**values)
    if kind == JobKind.train:
        # Lost race with a concurrent request: the partial unique index rejects the row.
        statement = statement.on_conflict_do_nothing(
            index_elements=["project_id"], index_where=ONE_ACTIVE_TRAIN_PREDICATE
        )
    job_id = session.execute(statement.returning(Job.id)).scalar()
    if job_id is None:
        assert project is not None  # only a training job can lose that race
        raise _already_running(active_training_job(session, project.id))
    return get_job(session, job_id)


def _already_running(job: Job | None) -> Conflict:
    extra: dict[str, Any] = {}
    if job is not None:
        extra["job"] = {"id": job.id, "state": job.state.value, "kind": job.kind.value}
    return Conflict(
        f"a training job ({job.id if job else '?'}) is already queued or running for this "
        "project; cancel it or wait",
        extra=extra,
    )


def request_cancel(session: Session, job: Job) -> Job:
    if job.state in FINISHED_STATES:
        raise Conflict(f"job {job.id} already {job.state.value}")
    job.cancel_requested = True
    now = utcnow()
    # Queued: never started (or waiting to be resumed), the task sees the state and does
    # nothing. Running in a process that is gone (job_owner.py): nobody would read the flag.
    if job.state == JobState.queued or presumed_dead(job, now):
        job.state = JobState.cancelled
        job.finished_at = now
    session.flush()
    return job


def get_model_version(session: Session, version_id: int) -> ModelVersion:
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound(f"model version {version_id} not found")
    return version


def active_model_version(session: Session, project_id: int) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(
            ModelVersion.project_id == project_id, ModelVersion.is_active.is_(True)
        )
    )


def promote(session: Session, version: ModelVersion) -> ModelVersion:
    """Make `version` the project's active model (promotion and rollback alike)."""
    current = active_model_version(session, version.project_id)
    if current is not None and current.id != version.id:
        current.is_active = False
        session.flush()  # one active version at a time, even mid-transaction
    version.is_active = True
    version.promoted_at = utcnow()
    session.flush()
    return version


def version_for_prediction(
    session: Session, project: Project, version_id: int | None
) -> ModelVersion:
    if version_id is not None:
        version = get_model_version(session, version_id)
        if version.project_id != project.id:
            raise BadInput(f"model version {version_id} belongs to another project")
        return version
    active = active_model_version(session, project.id)
    if active is None:
        raise Conflict("the project has no active model version yet; train one first")
    return active


def list_jobs(session: Session, project_id: int, kind: JobKind | None, limit: int) -> list[Job]:
    """The project's jobs (of one kind, or all), newest first."""
    query = select(Job).where(Job.project_id == project_id)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(limit)))


def list_versions(session: Session, project_id: int) -> list[ModelVersion]:
    """The project's model versions, newest first."""
    query = select(ModelVersion).where(ModelVersion.project_id == project_id)
    return list(session.scalars(query.order_by(ModelVersion.id.desc())))


def versions_by_labeled_count(session: Session, project_id: int) -> list[ModelVersion]:
    """The project's model versions in the order of the label-efficiency curve: by how many
    labeled images they were trained on."""
    query = select(ModelVersion).where(ModelVersion.project_id == project_id)
    return list(session.scalars(query.order_by(ModelVersion.labeled_count, ModelVersion.id)))
