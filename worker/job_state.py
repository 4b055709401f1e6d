"""Job rows as the worker sees them: claim, report progress, honour cancellation, finish.

Every function opens its own short transaction: training runs for minutes and must never
hold a database lock (SQLite would block the API) while it computes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import select, update

from backend.config import get_settings
from backend.db.base import utcnow
from backend.db.session import session_scope
from backend.dispatch import send_job
from backend.errors import KeyloopError
from backend.models import Job, JobState
from backend.models.ml import ACTIVE_JOB_STATES
from backend.schemas.job_options import JobOptions, options_of
from backend.services.job_owner import (
    SILENT_UNTIL,
    STALE_AFTER,
    current_owner,
    heartbeat_stale,
    owner_state,
    presumed_dead,
    takeovers,
)

log = logging.getLogger(__name__)

HISTORY_LIMIT = 2000
# How many times a job is resumed after its worker died; the next death fails it.
MAX_TAKEOVERS = 3


def _url() -> str:
    return get_settings().database_url


OptionsT = TypeVar("OptionsT", bound=JobOptions)


@dataclass(frozen=True)
class Claim(Generic[OptionsT]):
    """A job this process now runs: its typed options, and whether it ran before (a
    redelivery after its worker died, or a job `requeue_orphans` sent again)."""

    job_id: int
    project_id: int | None  # None only for an import that creates its project
    resumed: bool
    options: OptionsT

    def project(self) -> int:
        if self.project_id is None:
            raise LookupError(f"job {self.job_id} belongs to no project")
        return self.project_id


def claim(
    job_id: int, options: type[OptionsT], *, stale_after: timedelta = STALE_AFTER
) -> Claim[OptionsT] | None:
    """Move a queued job to running, record this process as its owner and return it with
    its options read as `options` (its kind's model); None if there is nothing to do
    (cancelled, finished, or running in a live process). Options that do not validate fail
    the job with the reason. A running job whose owner is gone is a redelivery after a
    worker died: it is taken over and resumes, at once when the owner ran on this host,
    after `stale_after` without a heartbeat otherwise (job_owner.py). A job is resumed at
    most `MAX_TAKEOVERS` times: the next death fails it, since it most likely kills its
    worker."""
    now = utcnow()
    with session_scope(_url()) as session:
        job = session.get(Job, job_id)
        if job is None or job.state not in ACTIVE_JOB_STATES or job.cancel_requested:
            if job is not None and job.cancel_requested and job.state in ACTIVE_JOB_STATES:
                _finish(job, JobState.cancelled, None)
            return None
        try:
            typed = options_of(job, options)
        except KeyloopError as exc:
            log.error("job %s: %s", job_id, exc)
            _finish(job, JobState.failed, str(exc))
            return None
        taking_over = job.state == JobState.running
        if taking_over and not presumed_dead(job, now, stale_after):
            return None
        count = takeovers(job) + int(taking_over)
        if count > MAX_TAKEOVERS:
            _finish(job, JobState.failed, _died_too_often(count))
            return None
        if taking_over:
            log.warning("job %s: its worker %s is gone; taking over", job_id, job.owner)
        claimed = session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.state == job.state,
                Job.heartbeat_at.is_not_distinct_from(job.heartbeat_at),
            )
            .values(
                state=JobState.running,
                started_at=job.started_at or now,
                heartbeat_at=now,
                owner=current_owner(count),
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None  # another worker claimed it between our read and write
        # Started before: a redelivery, or a job `requeue_orphans` sent again.
        resumed = taking_over or job.started_at is not None
        return Claim(job_id, job.project_id, resumed, typed)


def _died_too_often(deaths: int) -> str:
    return (
        f"the worker running this job died {deaths} times (killed, or out of memory?); "
        "not retried again: check the worker's log, then restart the job"
    )


def requeue_orphans() -> list[int]:
    """Send again the running jobs whose owner on this host is gone.

    A worker killed with its task in hand may take the message with it (the filesystem
    broker drops it; Redis returns it only after its visibility timeout, hours later), so a
    restarted worker (`worker_ready`) and beat's periodic check put such jobs back in the
    queue at once; `claim` resumes them. A job is moved to queued first, so it is sent once
    per death. Jobs of other hosts are left to the heartbeat timeout (`reap_stale_jobs`)."""
    settings = get_settings()
    requeued: list[int] = []
    with session_scope(settings.database_url) as session:
        running = session.scalars(select(Job).where(Job.state == JobState.running))
        for job in [j for j in running if owner_state(j.owner) == "dead"]:
            count = takeovers(job) + 1
            if count > MAX_TAKEOVERS:
                _finish(job, JobState.failed, _died_too_often(count))
                continue
            moved = session.execute(  # unless a redelivery claimed it meanwhile
                update(Job)
                .where(
                    Job.id == job.id,
                    Job.state == JobState.running,
                    Job.heartbeat_at.is_not_distinct_from(job.heartbeat_at),
                )
                .values(state=JobState.queued, owner={"takeovers": count})
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                log.warning("job %s: its worker %s is gone; queued again", job.id, job.owner)
                requeued.append(job.id)
        session.commit()
        for job_id in requeued:
            job = session.get_one(Job, job_id)
            session.refresh(job)
            send_job(session, settings, job)
    return requeued


class ProgressReporter:
    """Writes progress and a heartbeat at most every `interval_s`, and answers
    `should_stop()` from the job's cancel flag (read at the same pace)."""

    def __init__(self, job_id: int, interval_s: float = 2.0, *, keep_history: bool = True) -> None:
        self.job_id = job_id
        self.interval_s = interval_s
        # Off for jobs whose entries are only counts (an import's item per item): the latest
        # values are the progress, and a history would repeat them thousands of times.
        self.keep_history = keep_history
        self._last_write = 0.0
        self._cancel = False
        self._pending: list[dict[str, Any]] = []
        self._latest: dict[str, Any] = {}
        self._started = time.monotonic()

    def report(self, entry: dict[str, Any], *, force: bool = False) -> None:
        entry = {**entry, "elapsed_s": round(time.monotonic() - self._started, 2)}
        self._latest = entry
        if self.keep_history:
            self._pending.append(entry)
        if force or time.monotonic() - self._last_write >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        with session_scope(_url()) as session:
            job = session.get(Job, self.job_id)
            if job is None:
                self._cancel = True
                return
            progress = dict(job.progress or {})
            if self.keep_history:
                # Numbered, so a polling client asks only for entries after the last it holds
                # (GET /jobs/{id}?since=N); numbers keep counting across a resumed run.
                seq = int(progress.get("history_seq", 0))
                numbered = [{**e, "seq": seq + i} for i, e in enumerate(self._pending, start=1)]
                progress["history_seq"] = seq + len(numbered)
                history = list(progress.get("history", [])) + numbered
                progress["history"] = history[-HISTORY_LIMIT:]
            progress.update({k: v for k, v in self._latest.items() if k != "history"})
            job.progress = progress
            job.heartbeat_at = utcnow()
            self._cancel = job.cancel_requested
        self._pending = []
        self._last_write = time.monotonic()

    def announce_silence(self, seconds: float) -> None:
        """The job is about to go `seconds` without a heartbeat while alive (e.g. inside one
        long transaction that holds SQLite's write lock): the reaper waits that long first."""
        until = utcnow() + timedelta(seconds=seconds)
        self.report({SILENT_UNTIL: until.isoformat()}, force=True)

    def set_phase(self, phase: str, **fields: Any) -> None:
        self.report({"phase": phase, **fields}, force=True)

    def should_stop(self) -> bool:
        if time.monotonic() - self._last_write >= self.interval_s:
            self.flush()
        return self._cancel


def run_to_end(job_id: int, what: str, body: Callable[[], None], cancelled: type[Exception]) -> str:
    """Run a claimed job's `body`, which marks the job succeeded in the transaction that
    records its work, and record any other end: `cancelled` raised (its cancel flag was seen)
    is a cancelled job; bad data (a `KeyloopError`) fails it with its one-line message; any
    other error fails it with the error's type and message, and logs the traceback. Answers
    how it ended, as the task's result."""
    try:
        body()
        return "succeeded"
    except cancelled:
        finish(job_id, JobState.cancelled)
        return "cancelled"
    except KeyloopError as exc:
        finish(job_id, JobState.failed, exc.detail)
        return "failed"
    except Exception as exc:
        log.exception("%s job %s failed", what, job_id)
        finish(job_id, JobState.failed, f"{type(exc).__name__}: {exc}")
        return "failed"


def finish(job_id: int, state: JobState, error: str | None = None) -> None:
    with session_scope(_url()) as session:
        job = session.get(Job, job_id)
        if job is not None:
            _finish(job, state, error)


def _finish(job: Job, state: JobState, error: str | None) -> None:
    job.state = state
    job.error = error
    job.finished_at = utcnow()


def reap_stale_jobs(stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Mark running jobs without a recent heartbeat failed: their worker died on another
    host (beat calls `requeue_orphans` first, so one that died on this host is resumed), or
    it lives but hangs, and a cancel would never reach it."""
    now = utcnow()
    with session_scope(_url()) as session:
        candidates = session.scalars(
            select(Job).where(
                Job.state == JobState.running,
                Job.heartbeat_at < now - stale_after,
            )
        )
        stale = [job for job in candidates if heartbeat_stale(job, now, stale_after)]
        for job in stale:
            reason = f"worker stopped responding (no heartbeat for {stale_after}); restart the job"
            _finish(job, JobState.failed, reason)
        return [j.id for j in stale]
