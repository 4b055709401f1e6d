"""`score_labels` jobs (task `keyloop.score_labels`, queue `bulk`): score every human label
of a project with the active version for how likely it is wrong (`worker/label_suspects.py`,
which a retraining also runs itself)."""

from __future__ import annotations

import logging

from celery import shared_task

from backend.models import JobState
from backend.queue import TASK_SCORE_LABELS
from backend.schemas.job_options import ScoreLabelsOptions
from worker import job_state

log = logging.getLogger(__name__)


@shared_task(name=TASK_SCORE_LABELS, acks_late=True, time_limit=6 * 3600)
def score_labels(job_id: int) -> str:
    claimed = job_state.claim(job_id, ScoreLabelsOptions)  # before torch: jobs/__init__.py
    if claimed is None:
        return "skipped"
    return run_score_job(claimed)


def run_score_job(claimed: job_state.Claim[ScoreLabelsOptions]) -> str:
    """A claimed job: score with the version named in its options."""
    from worker.label_suspects import score_version_labels

    job_id = claimed.job_id
    reporter = job_state.ProgressReporter(job_id)
    try:
        version_id = claimed.options.model_version_id
        reporter.set_phase("scoring", model_version_id=version_id)
        stored = score_version_labels(
            version_id, lambda done, total: reporter.report({"read": done, "to_read": total})
        )
        reporter.report({"suspects": stored}, force=True)
        job_state.finish(job_id, JobState.succeeded)
        return "succeeded"
    except Exception as exc:
        log.exception("label scoring job %s failed", job_id)
        job_state.finish(job_id, JobState.failed, f"{type(exc).__name__}: {exc}")
        return "failed"
