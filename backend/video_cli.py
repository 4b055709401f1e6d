"""`keyloop videos add|list|extract|predict`: videos from the command line.

`add` stores a video as the API does (probe first; an unreadable file is a one-line error,
exit 2, nothing stored) and, as an upload does, links the project's images that are its frames
(a `link_frames` job). That job, `extract` and `predict` create the same job rows as the API and
run them in this process (the worker's code, loaded by name only when the command runs, so the
CLI itself never imports torch); `predict` copies the result files to `--out`.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from backend.config import get_settings
from backend.db.session import session_scope
from backend.errors import KeyloopError
from backend.models import Job, JobState, User
from backend.schemas.video import ExtractFramesRequest, ExtractMethod, PredictVideoRequest
from backend.services import extract_frames_jobs, link_frames_jobs, predict_video_jobs, videos
from backend.services.jobs import job_dir
from backend.services.projects import get_project
from backend.services.storage import LocalBlobStore

videos_app = typer.Typer(help="Videos: add, list, extract frames, predict.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@videos_app.command("add")
def add(
    project_id: int, path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]
) -> None:
    """Add a video file to a project; link the project's images that are its frames."""
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    try:
        with session_scope(settings.database_url) as session:
            project = get_project(session, project_id)
            with path.open("rb") as source:
                staged = videos.stage_upload(settings, store, path.name, source)
            info = videos.probe_staged(staged)
            video, _ = videos.add_video(session, store, project, staged, info)
            job = link_frames_jobs.link_job_for_upload(session, project, video, None)
            line = (
                f"video {video.id}: {video.original_name}, {video.width}x{video.height}, "
                f"{video.fps:.3g} fps, {video.frame_count} frames, {video.duration_s:.1f} s"
            )
    except KeyloopError as exc:
        _fail(exc.detail)
    typer.echo(line)
    if job is not None:
        importlib.import_module("worker.jobs.link_frames").run_link_job(job.id)
        report = _finished(job.id).progress.get("report", {})
        typer.echo(
            f"linked {report.get('linked', 0)} of the {report.get('claimed', 0)} images named "
            f"as its frames: {report.get('frame_indices', [])}"
        )
        for why in report.get("not_linked", []):
            typer.echo(f"not linked: {why['count']} {why['reason']} ({', '.join(why['names'])})")


@videos_app.command("list")
def list_(project_id: int) -> None:
    """The project's videos: id, name, frames, frames in the project."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        get_project(session, project_id)
        for video, n, _ in videos.list_videos(session, project_id):
            typer.echo(
                f"{video.id}\t{video.original_name}\t{video.frame_count} frames\t"
                f"{video.fps:.3g} fps\t{n} in the project"
            )


@videos_app.command("extract")
def extract(
    video_id: int,
    method: Annotated[str, typer.Option(help="uniform, kmeans or uncertain")] = "kmeans",
    count: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    start: Annotated[float | None, typer.Option(help="From this time (s)")] = None,
    end: Annotated[float | None, typer.Option(help="Until this time (s)")] = None,
) -> None:
    """Extract frames into project images (in this process; the API runs it as a job)."""
    if method not in ("uniform", "kmeans", "uncertain"):
        _fail(f"unknown method {method!r}; use uniform, kmeans or uncertain")
    chosen: ExtractMethod = method  # type: ignore[assignment]
    body = ExtractFramesRequest(method=chosen, count=count, start_s=start, end_s=end)
    job_id = _create(
        lambda s, v, p, u: extract_frames_jobs.create_extract_job(s, p, v, body, u), video_id
    )
    extraction: Any = importlib.import_module("worker.frame_extraction")
    picker = None
    if method == "uncertain":
        picker = importlib.import_module("worker.video_uncertain").uncertain_picker
    extraction.run_extract_job(job_id, make_picker=picker)
    job = _finished(job_id)
    report = job.progress.get("report", {})
    typer.echo(
        f"added {report.get('created', 0)} frame(s) "
        f"({report.get('already_present', 0)} already in the project): "
        f"{report.get('frame_indices', [])}"
    )


@videos_app.command("predict")
def predict(
    video_id: int,
    out: Annotated[Path, typer.Option(help="Folder for the result files")],
    every_nth: Annotated[int, typer.Option(min=1)] = 1,
    version: Annotated[int | None, typer.Option(help="Model version (default: active)")] = None,
    preview: Annotated[bool, typer.Option(help="Also render the labeled MP4")] = True,
) -> None:
    """Predict every (Nth) frame; write DLC CSV/HDF5, SLEAP .slp, JSON (and the preview)."""
    settings = get_settings()
    body = PredictVideoRequest(model_version_id=version, every_nth=every_nth, preview=preview)
    job_id = _create(
        lambda s, v, p, u: predict_video_jobs.create_predict_job(s, settings, p, v, body, u),
        video_id,
    )
    importlib.import_module("worker.video_predicting").run_predict_video_job(job_id)
    _finished(job_id)
    out.mkdir(parents=True, exist_ok=True)
    for name, _ in predict_video_jobs.RESULT_FILES.values():
        source = job_dir(settings, job_id) / name
        if source.is_file():
            shutil.copy2(source, out / name)
            typer.echo(str(out / name))


def _create(make: Any, video_id: int) -> int:
    settings = get_settings()
    try:
        with session_scope(settings.database_url) as session:
            video = videos.get_video(session, video_id)
            project = get_project(session, video.project_id)
            user = session.query(User).order_by(User.id).first()
            job: Job = make(session, video, project, user)
            return job.id
    except KeyloopError as exc:
        _fail(exc.detail)
        raise  # unreachable: _fail exits


def _finished(job_id: int) -> Job:
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        job = session.get_one(Job, job_id)
        session.expunge(job)
    if job.state != JobState.succeeded:
        _fail(f"job {job_id} {job.state.value}: {job.error}")
    return job
