"""Beat's periodic tasks (`worker/beat_app.py` schedules them): the retraining policy check
and the daily file sweep. Neither is a job; both are cheap and import no torch."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from backend.config import get_settings
from backend.db.session import session_scope
from backend.queue import TASK_CHECK_POLICY, TASK_COLLECT_GARBAGE
from backend.services.garbage import collect_garbage
from worker.interactive_model import export_missing
from worker.policy import check_retraining

log = logging.getLogger(__name__)


@shared_task(name=TASK_CHECK_POLICY, time_limit=300, ignore_result=True)
def check_policy() -> list[int]:
    started = check_retraining()
    export_missing()  # interactive-predict files for versions published without one
    return started


@shared_task(name=TASK_COLLECT_GARBAGE, time_limit=3600, ignore_result=True)
def collect_garbage_task() -> int:
    """The daily sweep; the same as `keyloop gc` with the settings' retention."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        report = collect_garbage(
            session, settings, job_retention=timedelta(days=settings.job_retention_days)
        )
    log.info(
        "gc: removed %d paths, %.1f MB, %d expired sessions",
        len(report.removed),
        report.bytes_freed / 1e6,
        report.expired_sessions,
    )
    return len(report.removed)
