"""Jobs of every kind (the API queues them, a worker runs them) and what they produce: model
versions, predictions, evaluations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.db.base import Base, TimestampMixin


class JobKind(enum.StrEnum):
    train = "train"
    predict = "predict"  # project images by id, or uploaded files (`PredictOptions.source`)
    evaluate = "evaluate"
    # Annotated files from another tool (`backend/services/import_jobs.py`). `import` is a
    # Python keyword, hence the underscore; the stored value is "import".
    import_ = "import"
    # Videos (`backend/services/videos.py`): frames extracted from a video into project
    # images, and predictions for the frames of a whole video (results are files).
    extract_frames = "extract_frames"
    predict_video = "predict_video"
    # Project images that say they are frames of a video (DeepLabCut's `<stem>/img<N>.png`)
    # linked to it once their pixels are checked (`backend/services/link_frames_jobs.py`).
    link_frames = "link_frames"
    # Human labels scored for how likely each is wrong, with the active version (issue 17);
    # a retraining also does it itself, without a job of this kind.
    score_labels = "score_labels"


class JobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_JOB_STATES = (JobState.queued, JobState.running)
ONE_ACTIVE_TRAIN_PREDICATE = text("kind = 'train' AND state IN ('queued', 'running')")


class Job(TimestampMixin, Base):
    """A unit of worker work the API can read: state, progress, timings, error."""

    __tablename__ = "jobs"
    __table_args__ = (
        # At most one queued-or-running training job per project, enforced by the database
        # so two simultaneous requests cannot both start one.
        Index(
            "uq_jobs_one_active_train",
            "project_id",
            unique=True,
            sqlite_where=ONE_ACTIVE_TRAIN_PREDICATE,
            postgresql_where=ONE_ACTIVE_TRAIN_PREDICATE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null only while an import that creates its project runs: the project and this link
    # are committed together with the imported images.
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[JobKind] = mapped_column(Enum(JobKind, native_enum=False, length=16))
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, native_enum=False, length=16), default=JobState.queued
    )
    options: Mapped[dict[str, Any]]
    progress: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    celery_task_id: Mapped[str | None] = mapped_column(String(64))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    # The process running the job: `{host, pid, start, takeovers}` (services/job_owner.py),
    # so a redelivery or a cancel on the same host can tell at once that it is gone.
    owner: Mapped[dict[str, Any] | None]


class ModelVersion(TimestampMixin, Base):
    """An immutable trained model: its files are promoted into place before this row exists."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("project_id", "number", name="uq_model_versions_project_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    # "v1, v2, …" within the project (the id counts across projects). Left unset, it is
    # filled at flush with the project's next number (`_number_new_versions`).
    number: Mapped[int]
    training_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    backbone: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]]
    metrics: Mapped[dict[str, Any]]
    labeled_count: Mapped[int]
    unlabeled_count: Mapped[int]
    # Annotation versions that went in, {image_id: version}, so a run can be reproduced.
    labels_snapshot: Mapped[dict[str, Any]]
    path: Mapped[str] = mapped_column(String(1000))
    is_active: Mapped[bool] = mapped_column(default=False)
    promoted_at: Mapped[datetime | None]


class Prediction(TimestampMixin, Base):
    """Keypoints predicted for one image by one model version, in schema order:
    `[{"x", "y", "confidence", "uncertainty"}]`."""

    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("image_id", "model_version_id", name="uq_predictions_image_version"),
        Index("ix_predictions_version_queue_rank", "model_version_id", "queue_rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    keypoints: Mapped[list[Any]]
    score: Mapped[float | None]  # mean heatmap peak confidence
    # Active learning (worker/active_learning.py): how much a label would teach the model, in
    # [0, 1], and the image's place in the labeling queue of this version (0 = first).
    uncertainty: Mapped[float | None]
    queue_rank: Mapped[int | None]


class Evaluation(TimestampMixin, Base):
    """PCK of a model version on the project's validation split."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    alpha: Mapped[float]
    metrics: Mapped[dict[str, Any]]


@event.listens_for(Session, "before_flush")
def _number_new_versions(session: Session, _context: object, _instances: object) -> None:
    """Number new versions per project, after the project's highest number so far. Training
    jobs of one project never overlap (a partial unique index), and the unique constraint
    turns a race between two writers into an error rather than two equal numbers."""
    pending = [v for v in session.new if isinstance(v, ModelVersion) and v.number is None]
    taken: dict[int, int] = {}
    with session.no_autoflush:
        for version in pending:
            project_id = version.project_id
            if project_id not in taken:
                highest = session.scalar(
                    select(func.max(ModelVersion.number)).where(
                        ModelVersion.project_id == project_id
                    )
                )
                taken[project_id] = highest or 0
            taken[project_id] += 1
            version.number = taken[project_id]
