"""`import` jobs (task `keyloop.import`, queue `light`): the files the API kept in the job's
folder, imported in two phases (`backend/services/transfer.py`) with progress and
cancellation through the job row.

Progress is `{phase: "reading" | "preparing" | "videos" | "recording" | "done", step, total}`
(`videos`: images that claim a frame of an uploaded video checked against it); the
job is marked succeeded, with the report in `progress["report"]`, inside the transaction that
records the data, so a job never says succeeded for data that is not there (nor the reverse,
and a redelivered job that already committed finds nothing to do). No torch here: this runs on
the light worker (`worker/import_app.py`).
"""

from __future__ import annotations

import shutil
from dataclasses import asdict

from celery import shared_task
from sqlalchemy.orm import Session

from backend.config import Settings, get_settings
from backend.db.base import utcnow
from backend.db.session import session_scope
from backend.models import Job, JobState
from backend.queue import TASK_IMPORT
from backend.schemas.job_options import ImportOptions
from backend.schemas.transfer import ImportResult
from backend.services.import_jobs import INPUTS, open_inputs
from backend.services.jobs import FINISHED_STATES, job_dir
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format, ImportReport, import_files
from worker import job_state

# Recording writes ~1.5 ms per image on SQLite (2000 in 3 s); the reaper allows 30x that.
RECORD_SECONDS_PER_ITEM = 0.05
# Phases reported after every item: written at the reporter's interval, not each time.
PER_ITEM_PHASES = ("preparing", "videos")


class ImportCancelled(Exception):
    """The job's cancel flag was seen; everything the import wrote is undone."""


# Thousands of images take minutes; the bound only stops a run that hangs.
@shared_task(name=TASK_IMPORT, acks_late=True, time_limit=6 * 3600)
def import_(job_id: int) -> str:
    return run_import_job(job_id)


def run_import_job(job_id: int) -> str:
    settings = get_settings()
    folder = job_dir(settings, job_id)
    claimed = job_state.claim(job_id, ImportOptions)
    if claimed is None:
        if _finished(settings, job_id):  # cancelled while queued: its files are not needed
            shutil.rmtree(folder, ignore_errors=True)
        return "skipped"
    try:
        # Bad data fails the job with a message naming the file and the element.
        return job_state.run_to_end(
            job_id, "import", lambda: _import(claimed, settings), ImportCancelled
        )
    finally:
        if _finished(settings, job_id):
            shutil.rmtree(folder, ignore_errors=True)


def _import(claimed: job_state.Claim[ImportOptions], settings: Settings) -> None:
    job_id, options = claimed.job_id, claimed.options
    reporter = job_state.ProgressReporter(job_id, interval_s=1.0, keep_history=False)
    reporter.set_phase("reading")

    def progress(phase: str, done: int, total: int) -> None:
        # "recording" comes once, just before the recording transaction: written now, as no
        # progress (nor heartbeat) can be written while that transaction holds SQLite's write
        # lock; so the reaper is told how long it may take.
        if phase == "recording":
            reporter.announce_silence(total * RECORD_SECONDS_PER_ITEM)
        step = {"phase": phase, "step": done, "total": total}
        reporter.report(step, force=phase not in PER_ITEM_PHASES)
        if reporter.should_stop():
            raise ImportCancelled

    def succeed(session: Session, report: ImportReport) -> None:
        job = session.get_one(Job, job_id)
        if job.cancel_requested:
            raise ImportCancelled
        result = ImportResult.model_validate(asdict(report)).model_dump(mode="json")
        job.project_id = report.project_id
        job.progress = {**job.progress, "phase": "done", "report": result}
        job.state = JobState.succeeded
        job.finished_at = utcnow()

    with open_inputs(job_dir(settings, job_id) / INPUTS, options.files) as bundle:
        import_files(
            lambda: session_scope(settings.database_url),
            LocalBlobStore(settings.files_dir),
            settings,
            Format(options.format),
            bundle,
            project_id=claimed.project_id,
            new_project_name=options.new_project_name,
            label=options.label,
            author_id=options.author_id,
            progress=progress,
            on_recorded=succeed,
        )


def _finished(settings: Settings, job_id: int) -> bool:
    with session_scope(settings.database_url) as session:
        job = session.get(Job, job_id)
        return job is None or job.state in FINISHED_STATES
