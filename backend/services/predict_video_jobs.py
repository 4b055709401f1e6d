"""`predict_video` jobs: every (Nth) frame of a video predicted by a model version, rows
first and tasks by name, like every job (`services/jobs.py`).

Options carry everything the worker needs: `video_id`, `model_version_id`, `every_nth` and
`preview`. The job writes its results under its job folder (`RESULT_FILES`), kept like other
jobs' results.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import BadInput, Conflict, NotFound
from backend.models import Job, JobKind, JobState, Project, User, Video
from backend.schemas.job_options import PredictVideoOptions, options_of
from backend.schemas.video import PredictVideoRequest
from backend.services import predict_jobs
from backend.services.jobs import create_job, fresh_job_dir, job_dir, version_for_prediction
from backend.services.videos import safe_stem

# Download name suffix -> (file in the job folder, media type).
RESULT_FILES = {
    "csv": ("predictions.csv", "text/csv"),
    "h5": ("predictions.h5", "application/x-hdf5"),
    "slp": ("predictions.slp", "application/octet-stream"),
    "json": ("predictions.json", "application/json"),
    "mp4": ("preview.mp4", "video/mp4"),
}
FRAMES_FILE = "frames.jsonl"  # one line per predicted frame, appended as the job goes


def create_predict_job(
    session: Session,
    settings: Settings,
    project: Project,
    video: Video,
    body: PredictVideoRequest,
    user: User,
) -> Job:
    version = version_for_prediction(session, project, body.model_version_id)
    predict_jobs.check_capacity(session, project, settings)
    options = PredictVideoOptions(
        video_id=video.id,
        model_version_id=version.id,
        every_nth=body.every_nth,
        preview=body.preview,
        video_stem=safe_stem(video.original_name, video.id),
    )
    job = create_job(session, project, options, user)
    fresh_job_dir(settings, job.id)
    return job


def result_file(settings: Settings, job: Job, fmt: str) -> tuple[Path, str, str]:
    """(path, media type, download name) of a finished video prediction's result."""
    if job.kind != JobKind.predict_video:
        raise BadInput(f"job {job.id} is a {job.kind.value} job, not a video prediction")
    if fmt not in RESULT_FILES:
        raise NotFound(f"no result format {fmt!r}; one of {', '.join(RESULT_FILES)}")
    if job.state != JobState.succeeded:
        detail = f": {job.error}" if job.error else ""
        raise Conflict(
            f"job {job.id} is {job.state.value}{detail}; results are available once it succeeds",
            extra={"state": job.state.value},
        )
    options = options_of(job, PredictVideoOptions)
    name, media_type = RESULT_FILES[fmt]
    path = job_dir(settings, job.id) / name
    if not path.is_file():
        if fmt == "mp4" and not options.preview:
            raise NotFound(f"job {job.id} was run without a preview video")
        raise Conflict(
            f"job {job.id}'s results are gone (finished jobs keep them "
            f"{settings.job_retention_days:g} days); run it again"
        )
    stem = options.video_stem or f"video-{options.video_id}"
    return path, media_type, f"{stem}.keyloop-job{job.id}.{fmt}"
