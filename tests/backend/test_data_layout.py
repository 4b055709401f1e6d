"""Every path the worker and the API build under the data directory reads back as what it is,
so `keyloop gc` judges it by the right rule; the names on disk stay those of data directories
already deployed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend import data_layout
from backend.config import Settings
from backend.data_layout import Kind, Place, place_of
from backend.models import Job, JobKind, JobState, ModelVersion
from backend.services.garbage import collect_garbage

ROOT = Path("/srv/keyloop-data")
SHA = "ab" * 32

BUILT: dict[str, tuple[Callable[[Path], Path], Place]] = {
    "job folder": (lambda d: data_layout.job_dir(d, 7), Place(Kind.job, job_id=7)),
    "project models": (
        lambda d: data_layout.project_models(d, 3),
        Place(Kind.project_models, project_id=3),
    ),
    "training work": (
        lambda d: data_layout.training_work(d, 3, 9),
        Place(Kind.training_work, project_id=3, job_id=9),
    ),
    "version": (
        lambda d: data_layout.version_dir(d, 3, 9),
        Place(Kind.version, project_id=3, job_id=9),
    ),
    "thumbnail": (lambda d: data_layout.thumbnail(d, SHA), Place(Kind.thumbnail, checksum=SHA)),
    "rendition": (lambda d: data_layout.rendition(d, SHA), Place(Kind.rendition, checksum=SHA)),
    "video frame": (
        lambda d: data_layout.video_frame(d, SHA, 12),
        Place(Kind.video_frame, checksum=SHA, index=12),
    ),
}


@pytest.mark.parametrize("name", BUILT)
def test_every_path_the_layout_builds_reads_back_as_its_kind(name: str) -> None:
    build, expected = BUILT[name]
    assert place_of(ROOT, build(ROOT)) == expected


def test_the_names_on_disk_are_those_of_deployed_data_directories(tmp_path: Path) -> None:
    """Renaming any of these would orphan (or worse, misjudge) folders already on disk."""
    assert data_layout.job_dir(ROOT, 7) == ROOT / "jobs/job-7"
    assert data_layout.job_dir(ROOT, 7) / data_layout.JOB_INPUTS == ROOT / "jobs/job-7/inputs"
    assert data_layout.training_work(ROOT, 3, 9) == ROOT / "models/project-3/job-9.work"
    assert data_layout.version_dir(ROOT, 3, 9) == ROOT / "models/project-3/version-job-9"
    assert data_layout.version_weights(ROOT / "v") == ROOT / "v/model.pt"
    assert data_layout.thumbnail(ROOT, SHA) == ROOT / f"thumbnails/{SHA}.jpg"
    assert data_layout.rendition(ROOT, SHA) == ROOT / f"renditions/{SHA}.png"
    assert data_layout.video_frame(ROOT, SHA, 4) == ROOT / f"video-frames/{SHA}/4.png"
    settings = Settings(data_dir=tmp_path)  # it writes a dev secret key there
    assert (settings.files_dir, settings.models_dir, settings.jobs_dir) == (
        tmp_path / "files",
        tmp_path / "models",
        tmp_path / "jobs",
    )


@pytest.mark.parametrize(
    "relative",
    [
        "jobs/job-x",
        "jobs/job-7/inputs",
        "models/project-3/job-9",  # a work folder ends in .work
        "models/project-3/staging",
        "models/project-3/version-job-9/model.pt",
        "models/project-three",
        "thumbnails/.tmp-123",
        "video-frames/abc/first.png",
        "elsewhere/job-7",
    ],
)
def test_paths_the_layout_does_not_name_are_not_recognised(relative: str) -> None:
    assert place_of(ROOT, ROOT / relative) is None


def test_a_path_outside_the_data_directory_is_not_recognised() -> None:
    assert place_of(ROOT, Path("/elsewhere/jobs/job-7")) is None


def _job(db: Session, project_id: int, state: JobState, ended: datetime | None) -> int:
    row = Job(
        project_id=project_id, kind=JobKind.train, state=state, options={}, progress={},
        finished_at=ended,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row.id


def test_gc_keeps_what_the_layout_builds_for_live_work_and_removes_it_once_ended(
    project: dict[str, Any], db: Session, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    now = datetime.now(UTC)
    pid = project["id"]
    running = _job(db, pid, JobState.running, None)
    ended = _job(db, pid, JobState.succeeded, now - timedelta(days=30))
    version = data_layout.version_dir(settings.data_dir, pid, ended)
    db.add(
        ModelVersion(
            project_id=pid, backbone="efficientnet_lite0", config={}, metrics={},
            labeled_count=1, unlabeled_count=0, labels_snapshot={}, path=str(version),
        )
    )  # fmt: skip
    db.flush()
    kept = [
        data_layout.training_work(settings.data_dir, pid, running),
        data_layout.job_dir(settings.data_dir, running),
        version,
    ]
    gone = [
        data_layout.training_work(settings.data_dir, pid, ended),
        data_layout.job_dir(settings.data_dir, ended),
    ]
    for path in kept + gone:
        path.mkdir(parents=True)

    later = now + timedelta(days=2)  # past the grace period, within the job retention
    report = collect_garbage(db, settings, now=later, job_retention=timedelta(days=7))

    assert set(report.removed) == set(gone)
    assert all(path.is_dir() for path in kept)
