"""Job rows as the worker sees them: claim, report progress, honour cancellation, finish.

Every function opens its own short transaction: training runs for minutes and must never
hold a database lock (SQLite would block the API) while it computes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from backend.config import get_settings
from backend.db.base import utcnow
from backend.db.session import session_scope
from backend.models import JobState, TrainingJob
from backend.models.ml import ACTIVE_JOB_STATES

# A running job whose worker has not written a heartbeat for this long is presumed dead.
STALE_AFTER = timedelta(minutes=5)
# Progress key: a job alive but unable to write heartbeats until then (`announce_silence`).
SILENT_UNTIL = "silent_until"
HISTORY_LIMIT = 2000


def _url() -> str:
    return get_settings().database_url


def claim(job_id: int, *, stale_after: timedelta = STALE_AFTER) -> dict[str, Any] | None:
    """Move a queued job to running and return its options; None if there is nothing to do
    (cancelled, finished, or running elsewhere with a fresh heartbeat). A running job with a
    stale heartbeat is a redelivery after a worker died: it is taken over and resumes."""
    now = utcnow()
    with session_scope(_url()) as session:
        job = session.get(TrainingJob, job_id)
        if job is None or job.state not in ACTIVE_JOB_STATES or job.cancel_requested:
            if job is not None and job.cancel_requested and job.state in ACTIVE_JOB_STATES:
                _finish(job, JobState.cancelled, None)
            return None
        if job.state == JobState.running and not _presumed_dead(job, now, stale_after):
            return None
        resumed = job.state == JobState.running
        claimed = session.execute(
            update(TrainingJob)
            .where(
                TrainingJob.id == job_id,
                TrainingJob.state == job.state,
                TrainingJob.heartbeat_at.is_not_distinct_from(job.heartbeat_at),
            )
            .values(state=JobState.running, started_at=job.started_at or now, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None  # another worker claimed it between our read and write
        return {**job.options, "_resumed": resumed, "project_id": job.project_id}


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
            job = session.get(TrainingJob, self.job_id)
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


def finish(job_id: int, state: JobState, error: str | None = None) -> None:
    with session_scope(_url()) as session:
        job = session.get(TrainingJob, job_id)
        if job is not None:
            _finish(job, state, error)


def _finish(job: TrainingJob, state: JobState, error: str | None) -> None:
    job.state = state
    job.error = error
    job.finished_at = utcnow()


def reap_stale_jobs(stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Mark running jobs without a recent heartbeat failed (their worker died)."""
    now = utcnow()
    with session_scope(_url()) as session:
        candidates = session.scalars(
            select(TrainingJob).where(
                TrainingJob.state == JobState.running,
                TrainingJob.heartbeat_at < now - stale_after,
            )
        )
        stale = [job for job in candidates if _presumed_dead(job, now, stale_after)]
        for job in stale:
            reason = f"worker stopped responding (no heartbeat for {stale_after}); restart the job"
            _finish(job, JobState.failed, reason)
        return [j.id for j in stale]


def _presumed_dead(job: TrainingJob, now: datetime, stale_after: timedelta) -> bool:
    if job.heartbeat_at is None or now - job.heartbeat_at >= stale_after:
        silent_until = (job.progress or {}).get(SILENT_UNTIL)
        if silent_until is None:
            return True
        return now - datetime.fromisoformat(silent_until) >= stale_after
    return False
