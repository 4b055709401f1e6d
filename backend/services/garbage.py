"""Removing files that no database row needs any more, and expired browser sessions:
`keyloop gc` and beat's daily sweep.

What becomes garbage, and why it is not removed at once:
- Image blobs whose checksum no image row holds (a deleted image or project: the database
  cascade cannot delete files). Blobs are shared by content between projects, so only the
  absence of every reference makes one garbage.
- Thumbnails of such blobs, and `.tmp-*` files a crash left mid-write.
- Video blobs no video row holds, and decoded frames cached for the annotator
  (`video-frames/<video checksum>/`) of such videos.
- Job folders (bulk-prediction inputs and results, import uploads) of jobs that ended more
  than `job_retention` ago, or whose row is gone.
- Model folders of deleted projects and versions, and training work folders (kept for resuming
  a redelivered job) of jobs that ended more than `job_retention` ago.

Folders are recognised by `backend.data_layout.place_of`, the module that also names them for
the worker: a folder it does not recognise under `jobs/` or `models/` is left alone, so a
renamed layout can leak files but never delete live work.

Expired browser sessions are refused (and their row deleted) when presented again; the sweep
deletes the rest in one statement. They need no grace period: an expired session is never used.
Failed-login counts (`services/login_throttle.py`) whose last failure is forgotten go the same way.

Anything younger than `grace` is left alone whatever the database says: an import writes its
blobs before it commits their rows, and a training job writes its version folder before the
version row exists, so a young unreferenced file may be about to be referenced.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import data_layout
from backend.config import Settings
from backend.models import Image, Job, JobState, ModelVersion, Project, Video
from backend.services.login_throttle import delete_stale
from backend.services.user_sessions import delete_expired

FINISHED = (JobState.succeeded, JobState.failed, JobState.cancelled)


@dataclass
class GcReport:
    removed: list[Path] = field(default_factory=list)
    bytes_freed: int = 0
    dry_run: bool = False
    expired_sessions: int = 0
    stale_login_attempts: int = 0

    def add(self, path: Path) -> None:
        self.removed.append(path)
        self.bytes_freed += _size(path)


def collect_garbage(
    session: Session,
    settings: Settings,
    *,
    grace: timedelta = timedelta(hours=24),
    job_retention: timedelta = timedelta(days=7),
    dry_run: bool = False,
    now: datetime | None = None,
) -> GcReport:
    """Remove (or with `dry_run` only list) unreferenced files older than `grace`."""
    now = now or datetime.now(UTC)
    old_enough = _older_than(now - grace)
    report = GcReport(dry_run=dry_run)
    referenced = set(session.scalars(select(Image.checksum).distinct()))
    videos = set(session.scalars(select(Video.checksum).distinct()))
    referenced |= videos

    for blob in _files(settings.files_dir):
        orphan = blob.name not in referenced or blob.name.startswith(".tmp-")
        if orphan and old_enough(blob):
            report.add(blob)
    data_dir = settings.data_dir
    for derived in (data_layout.THUMBNAILS, data_layout.RENDITIONS):
        for path in _files(data_dir / derived):
            if path.stem not in referenced and old_enough(path):
                report.add(path)
    for path in _files(data_dir / data_layout.VIDEO_FRAMES):
        if path.parent.name not in videos and old_enough(path):
            report.add(path)

    ended = _ended_before(session, now - job_retention)
    live_jobs = set(session.scalars(select(Job.id)))
    for folder in _dirs(data_dir / data_layout.JOBS):
        place = data_layout.place_of(data_dir, folder)
        if place is None or place.kind != data_layout.Kind.job or not old_enough(folder):
            continue
        if place.job_id in ended or place.job_id not in live_jobs:
            report.add(folder)

    projects = set(session.scalars(select(Project.id)))
    version_paths = {Path(p).resolve() for p in session.scalars(select(ModelVersion.path))}
    for project_folder in _dirs(data_dir / data_layout.MODELS):
        project = data_layout.place_of(data_dir, project_folder)
        if project is None or project.kind != data_layout.Kind.project_models:
            continue
        if not old_enough(project_folder):
            continue
        if project.project_id not in projects:
            report.add(project_folder)
            continue
        for folder in _dirs(project_folder):
            if not old_enough(folder):
                continue
            place = data_layout.place_of(data_dir, folder)
            if place is None:
                continue  # not a name the layout gives: never ours to delete
            if place.kind == data_layout.Kind.training_work:
                if place.job_id in ended or place.job_id not in live_jobs:
                    report.add(folder)
            elif folder.resolve() not in version_paths:  # a version's path is its folder
                report.add(folder)

    report.expired_sessions = delete_expired(session, now, dry_run=dry_run)
    report.stale_login_attempts = delete_stale(session, now, dry_run=dry_run)
    if not dry_run:
        for path in report.removed:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return report


def _ended_before(session: Session, cutoff: datetime) -> set[int]:
    query = select(Job.id, Job.finished_at).where(Job.state.in_(FINISHED))
    return {
        job_id
        for job_id, finished in session.execute(query)
        if finished is None or _aware(finished) < cutoff
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _older_than(cutoff: datetime) -> Callable[[Path], bool]:
    stamp = cutoff.timestamp()

    def check(path: Path) -> bool:
        try:
            return path.stat().st_mtime < stamp
        except FileNotFoundError:
            return False

    return check


def _files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from (p for p in root.rglob("*") if p.is_file())


def _dirs(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(p for p in root.iterdir() if p.is_dir())


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
