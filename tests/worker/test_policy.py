"""Job claiming, the stale-job reaper, the retraining policy and version activation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.session import session_scope
from backend.models import (
    Annotation,
    AnnotationRevision,
    Image,
    ImageSplit,
    JobKind,
    JobState,
    ModelVersion,
    Project,
    Role,
    TrainingJob,
)
from backend.services.users import create_user
from worker.job_state import ProgressReporter, claim, reap_stale_jobs
from worker.policy import check_retraining
from worker.training_run import should_activate


def _project(
    settings: Settings,
    annotated: int,
    threshold: int = 3,
    auto_retrain: str = "on",
    origin: str = "editor",
) -> int:
    """A project with `annotated` labeled images, each saved once with `origin`."""
    with session_scope(settings.database_url) as s:
        project = Project(
            name="p",
            description="",
            keypoint_schema={"keypoints": [{"name": "a"}]},
            settings={"retrain_threshold": threshold, "auto_retrain": auto_retrain},
        )
        s.add(project)
        s.flush()
        user = create_user(s, "a@example.com", "password1", Role.annotator)
        for i in range(annotated):
            image = Image(
                project_id=project.id,
                checksum=f"{i:064d}",
                original_name=f"{i}.png",
                media_type="image/png",
                width=10,
                height=10,
                split=ImageSplit.train,
                roi=None,
                labeled_count=1,
            )
            s.add(image)
            s.flush()
            keypoints = [{"x": 1, "y": 1, "visibility": "visible", "source": "human"}]
            s.add(
                Annotation(image_id=image.id, version=1, updated_by_id=user.id, keypoints=keypoints)
            )
            s.add(
                AnnotationRevision(
                    image_id=image.id,
                    version=1,
                    keypoints=keypoints,
                    done=False,
                    author_id=user.id,
                    origin=origin,
                )
            )
        return project.id


def _jobs(settings: Settings) -> list[TrainingJob]:
    with session_scope(settings.database_url) as s:
        return list(s.scalars(select(TrainingJob).order_by(TrainingJob.id)))


def test_policy_waits_for_enough_new_annotations(worker_settings: Settings) -> None:
    _project(worker_settings, annotated=2, threshold=3)
    assert check_retraining() == []


def test_policy_starts_one_job_and_not_a_second_while_it_runs(worker_settings: Settings) -> None:
    _project(worker_settings, annotated=3, threshold=3)
    started = check_retraining()
    assert len(started) == 1
    assert check_retraining() == []
    (job,) = _jobs(worker_settings)
    assert job.kind == JobKind.train and job.state == JobState.queued
    assert job.options == {
        "trigger": "policy",
        "reason": "3 images annotated since the project began (the policy retrains after 3)",
    }


def test_policy_is_off_until_the_project_has_a_model(worker_settings: Settings) -> None:
    project_id = _project(worker_settings, annotated=5, auto_retrain="once_a_model_exists")
    assert check_retraining() == []
    with session_scope(worker_settings.database_url) as s:
        s.add(
            ModelVersion(
                project_id=project_id, backbone="b", config={}, metrics={}, labeled_count=1,
                unlabeled_count=0, labels_snapshot={}, path="", is_active=True,
            )
        )  # fmt: skip
        s.flush()
        s.execute(update(ModelVersion).values(created_at=utcnow() - timedelta(hours=1)))
    assert len(check_retraining()) == 1


def test_imported_annotations_never_start_a_training(worker_settings: Settings) -> None:
    _project(worker_settings, annotated=30, origin="import")
    assert check_retraining() == []


@pytest.mark.parametrize(("auto_retrain", "threshold"), [("off", 3), ("on", 0)])
def test_policy_can_be_turned_off(
    worker_settings: Settings, auto_retrain: str, threshold: int
) -> None:
    _project(worker_settings, annotated=5, threshold=threshold, auto_retrain=auto_retrain)
    assert check_retraining() == []


def test_policy_counts_only_annotations_saved_since_the_last_training(
    worker_settings: Settings,
) -> None:
    _project(worker_settings, annotated=3, threshold=3)
    (job_id,) = check_retraining()
    with session_scope(worker_settings.database_url) as s:
        job = s.get(TrainingJob, job_id)
        assert job is not None
        job.state = JobState.succeeded
    assert check_retraining() == []


def _running_job(settings: Settings, heartbeat_age: timedelta) -> int:
    project_id = _project(settings, annotated=1)
    with session_scope(settings.database_url) as s:
        job = TrainingJob(
            project_id=project_id,
            kind=JobKind.train,
            state=JobState.running,
            options={},
            progress={},
            heartbeat_at=utcnow() - heartbeat_age,
        )
        s.add(job)
        s.flush()
        return job.id


def test_claim_skips_a_job_whose_worker_is_alive(worker_settings: Settings) -> None:
    job_id = _running_job(worker_settings, timedelta(seconds=1))
    assert claim(job_id) is None


def test_claim_resumes_a_redelivered_job_whose_worker_died(worker_settings: Settings) -> None:
    job_id = _running_job(worker_settings, timedelta(hours=1))
    options = claim(job_id)
    assert options is not None and options["_resumed"] is True
    assert claim(job_id) is None, "now claimed by us, with a fresh heartbeat"


def test_claim_of_a_cancel_requested_job_cancels_it(worker_settings: Settings) -> None:
    job_id = _running_job(worker_settings, timedelta(hours=1))
    with session_scope(worker_settings.database_url) as s:
        job = s.get(TrainingJob, job_id)
        assert job is not None
        job.cancel_requested = True
    assert claim(job_id) is None
    assert _jobs(worker_settings)[0].state == JobState.cancelled


def test_reaper_fails_only_jobs_without_a_recent_heartbeat(worker_settings: Settings) -> None:
    stale = _running_job(worker_settings, timedelta(hours=1))
    assert reap_stale_jobs(timedelta(minutes=5)) == [stale]
    (job,) = _jobs(worker_settings)
    assert job.state == JobState.failed and "heartbeat" in (job.error or "")


def test_a_job_that_announced_a_silence_is_reaped_only_after_it(
    worker_settings: Settings,
) -> None:
    """An import records in one transaction that holds SQLite's write lock, so it cannot send
    heartbeats; it says beforehand how long that may take."""
    job_id = _running_job(worker_settings, timedelta(seconds=0))
    ProgressReporter(job_id).announce_silence(3600)
    with session_scope(worker_settings.database_url) as s:
        s.get_one(TrainingJob, job_id).heartbeat_at = utcnow() - timedelta(minutes=30)

    assert reap_stale_jobs(timedelta(minutes=5)) == []
    assert claim(job_id) is None, "a redelivery does not take over a job that is still alive"

    with session_scope(worker_settings.database_url) as s:
        job = s.get_one(TrainingJob, job_id)
        job.progress = {
            **job.progress,
            "silent_until": (utcnow() - timedelta(minutes=6)).isoformat(),
        }
    assert reap_stale_jobs(timedelta(minutes=5)) == [job_id]


@pytest.mark.parametrize(
    ("policy", "new", "active", "has_active", "expected"),
    [
        ("not_worse", 0.5, None, False, True),  # the first version always becomes active
        ("not_worse", 0.7, 0.6, True, True),
        ("not_worse", 0.6, 0.6, True, True),
        ("not_worse", 0.5, 0.6, True, False),
        ("not_worse", None, 0.6, True, False),
        ("always", 0.1, 0.9, True, True),
        ("manual", 0.9, 0.1, True, False),
    ],
)
def test_activation_policy(
    policy: str, new: float | None, active: float | None, has_active: bool, expected: bool
) -> None:
    assert should_activate(policy, new, active, has_active=has_active) is expected


def test_progress_history_is_numbered_across_a_resumed_run(worker_settings: Settings) -> None:
    project_id = _project(worker_settings, annotated=0)
    with session_scope(worker_settings.database_url) as s:
        job = TrainingJob(project_id=project_id, kind=JobKind.train, options={}, progress={})
        s.add(job)
        s.flush()
        job_id = job.id
    first = ProgressReporter(job_id)
    first.set_phase("training")
    first.report({"step": 1}, force=True)
    resumed = ProgressReporter(job_id)  # a redelivered job reports through a new reporter
    resumed.report({"step": 2}, force=True)

    progress = _jobs(worker_settings)[0].progress
    assert [(h.get("phase"), h.get("step"), h["seq"]) for h in progress["history"]] == [
        ("training", None, 1),
        (None, 1, 2),
        (None, 2, 3),
    ]
    assert progress["history_seq"] == 3
