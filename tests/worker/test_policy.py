"""Job claiming, the stale-job reaper, the retraining policy and version activation."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

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
    Job,
    JobKind,
    JobState,
    ModelVersion,
    Project,
    Role,
)
from backend.schemas.job_options import TrainOptions
from backend.services.users import create_user
from tests.owners import dead_owner, live_owner
from worker.job_state import (
    MAX_TAKEOVERS,
    ProgressReporter,
    claim,
    reap_stale_jobs,
    requeue_orphans,
)
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


def _jobs(settings: Settings) -> list[Job]:
    with session_scope(settings.database_url) as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


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
        job = s.get(Job, job_id)
        assert job is not None
        job.state = JobState.succeeded
    assert check_retraining() == []


def _running_job(
    settings: Settings, heartbeat_age: timedelta, owner: dict[str, Any] | None = None
) -> int:
    project_id = _project(settings, annotated=1)
    with session_scope(settings.database_url) as s:
        job = Job(
            project_id=project_id,
            kind=JobKind.train,
            state=JobState.running,
            options={},
            progress={},
            heartbeat_at=utcnow() - heartbeat_age,
            started_at=utcnow() - heartbeat_age,
            owner=owner,
        )
        s.add(job)
        s.flush()
        return job.id


def test_claim_skips_a_job_whose_worker_is_alive(worker_settings: Settings) -> None:
    job_id = _running_job(worker_settings, timedelta(seconds=1))
    assert claim(job_id, TrainOptions) is None


def test_claim_resumes_a_redelivered_job_whose_worker_died(worker_settings: Settings) -> None:
    job_id = _running_job(worker_settings, timedelta(hours=1))
    claimed = claim(job_id, TrainOptions)
    assert claimed is not None and claimed.resumed is True
    assert claim(job_id, TrainOptions) is None, "now claimed by us, with a fresh heartbeat"


def test_claim_gives_typed_options_apart_from_the_job_facts(worker_settings: Settings) -> None:
    project_id = _project(worker_settings, annotated=1)
    with session_scope(worker_settings.database_url) as s:
        stored = {"trigger": "policy", "reason": "5 images annotated", "max_steps": 7}
        job = Job(project_id=project_id, kind=JobKind.train, options=stored, progress={})
        s.add(job)
        s.flush()
        job_id = job.id
    claimed = claim(job_id, TrainOptions)
    assert claimed is not None
    assert (claimed.job_id, claimed.project_id, claimed.resumed) == (job_id, project_id, False)
    assert claimed.options == TrainOptions(
        trigger="policy", reason="5 images annotated", max_steps=7
    )
    assert _job(worker_settings, job_id).options == stored, "the row keeps what it had"


def test_claim_fails_a_job_whose_options_do_not_validate_with_the_reason(
    worker_settings: Settings,
) -> None:
    project_id = _project(worker_settings, annotated=1)
    with session_scope(worker_settings.database_url) as s:
        job = Job(
            project_id=project_id, kind=JobKind.train, options={"max_steps": "many"}, progress={}
        )
        s.add(job)
        s.flush()
        job_id = job.id
    assert claim(job_id, TrainOptions) is None
    failed = _job(worker_settings, job_id)
    assert failed.state == JobState.failed
    assert f"job {job_id}'s options cannot be read: max_steps:" in (failed.error or "")


def test_claim_of_a_cancel_requested_job_cancels_it(worker_settings: Settings) -> None:
    job_id = _running_job(worker_settings, timedelta(hours=1))
    with session_scope(worker_settings.database_url) as s:
        job = s.get(Job, job_id)
        assert job is not None
        job.cancel_requested = True
    assert claim(job_id, TrainOptions) is None
    assert _jobs(worker_settings)[0].state == JobState.cancelled


def _job(settings: Settings, job_id: int) -> Job:
    with session_scope(settings.database_url) as s:
        return s.get_one(Job, job_id)


def test_claim_takes_over_at_once_a_job_whose_owner_on_this_host_died(
    worker_settings: Settings,
) -> None:
    """The heartbeat is fresh (the worker was killed a second ago), yet the owner's process
    is gone: the redelivered task resumes it now rather than 5 minutes later."""
    job_id = _running_job(worker_settings, timedelta(seconds=1), owner=dead_owner())
    claimed = claim(job_id, TrainOptions)
    assert claimed is not None and claimed.resumed is True
    owner = _job(worker_settings, job_id).owner
    assert owner is not None and owner["pid"] == os.getpid() and owner["takeovers"] == 1


def test_claim_leaves_a_job_whose_owner_lives_even_without_heartbeats(
    worker_settings: Settings,
) -> None:
    with live_owner() as owner:
        job_id = _running_job(worker_settings, timedelta(hours=1), owner=owner)
        assert claim(job_id, TrainOptions) is None, "two processes would train the same job"
        assert _job(worker_settings, job_id).owner == owner


@pytest.mark.slow
def test_a_reused_pid_is_not_mistaken_for_the_owner(worker_settings: Settings) -> None:
    with live_owner() as owner:
        reused = {**owner, "start": "1"}  # same pid, but a process started at another time
        job_id = _running_job(worker_settings, timedelta(seconds=1), owner=reused)
        assert claim(job_id, TrainOptions) is not None


def test_an_owner_on_another_host_is_presumed_dead_only_after_the_heartbeat_timeout(
    worker_settings: Settings,
) -> None:
    """A remote pid cannot be checked: the heartbeat timeout stays the rule there."""
    elsewhere = {**dead_owner(), "host": "gpu-2/another-boot"}
    fresh = _running_job(worker_settings, timedelta(seconds=1), owner=elsewhere)
    assert claim(fresh, TrainOptions) is None
    with session_scope(worker_settings.database_url) as s:
        s.get_one(Job, fresh).heartbeat_at = utcnow() - timedelta(minutes=6)
    assert claim(fresh, TrainOptions) is not None


def test_a_job_whose_worker_keeps_dying_is_failed_not_taken_over_again(
    worker_settings: Settings,
) -> None:
    owner = {**dead_owner(), "takeovers": MAX_TAKEOVERS}
    job_id = _running_job(worker_settings, timedelta(seconds=1), owner=owner)
    assert claim(job_id, TrainOptions) is None
    job = _job(worker_settings, job_id)
    assert job.state == JobState.failed
    assert f"died {MAX_TAKEOVERS + 1} times" in (job.error or "")


def test_an_orphan_whose_worker_keeps_dying_is_failed_not_queued_again(
    worker_settings: Settings,
) -> None:
    owner = {**dead_owner(), "takeovers": MAX_TAKEOVERS}
    job_id = _running_job(worker_settings, timedelta(seconds=1), owner=owner)
    assert requeue_orphans() == []
    job = _job(worker_settings, job_id)
    assert job.state == JobState.failed and "out of memory?" in (job.error or "")


def test_orphans_of_a_dead_worker_on_this_host_are_queued_again_and_resume(
    worker_settings: Settings,
) -> None:
    """A worker killed with its task in hand may lose the message (filesystem broker): the
    next worker to start, or beat's check, sends the job again."""
    orphan = _running_job(worker_settings, timedelta(seconds=1), owner=dead_owner())
    with live_owner() as owner:
        with session_scope(worker_settings.database_url) as s:
            alive = Job(
                project_id=s.get_one(Job, orphan).project_id,
                kind=JobKind.evaluate,
                state=JobState.running,
                options={},
                progress={},
                heartbeat_at=utcnow(),
                owner=owner,
            )
            s.add(alive)
        assert requeue_orphans() == [orphan]
        job = _job(worker_settings, orphan)
        assert job.state == JobState.queued and job.celery_task_id, "sent again"
        assert job.owner == {"takeovers": 1}
        assert requeue_orphans() == [], "sent once per death"
        claimed = claim(orphan, TrainOptions)
        assert claimed is not None and claimed.resumed is True
        assert _job(worker_settings, orphan).owner["takeovers"] == 1  # type: ignore[index]


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
        s.get_one(Job, job_id).heartbeat_at = utcnow() - timedelta(minutes=30)

    assert reap_stale_jobs(timedelta(minutes=5)) == []
    assert claim(job_id, TrainOptions) is None, (
        "a redelivery does not take over a job that is still alive"
    )

    with session_scope(worker_settings.database_url) as s:
        job = s.get_one(Job, job_id)
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
        job = Job(project_id=project_id, kind=JobKind.train, options={}, progress={})
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
