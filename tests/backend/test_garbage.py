"""`collect_garbage` removes files no row needs any more, and only once they are old enough."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.models import Image, Job, JobKind, JobState, ModelVersion, Role, UserSession
from backend.services.garbage import collect_garbage
from backend.services.storage import LocalBlobStore
from tests.backend.conftest import SCHEMA, ClientFactory, png_bytes, upload

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


def age(path: Path, days: float) -> Path:
    """Make `path` (and everything under it) look `days` old."""
    stamp = (NOW - timedelta(days=days)).timestamp()
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (stamp, stamp))
    return path


def folder(path: Path, days: float) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "file.bin").write_bytes(b"x" * 10)
    return age(path, days)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)  # its files_dir is the `blob_dir` the API writes to


def job(db: Session, project_id: int, state: JobState, ended_days_ago: float | None) -> int:
    row = Job(
        project_id=project_id, kind=JobKind.predict, state=state, options={}, progress={},
        finished_at=None if ended_days_ago is None else NOW - timedelta(days=ended_days_ago),
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row.id


def test_blobs_of_a_deleted_project_go_once_older_than_the_grace_period(
    admin: TestClient, project: dict[str, Any], db: Session, settings: Settings
) -> None:
    upload(admin, project["id"], ("keep.png", png_bytes(color="red")))
    doomed = admin.post("/api/v1/projects", json={"name": "doomed", "keypoint_schema": SCHEMA})
    gone = upload(admin, doomed.json()["id"], ("gone.png", png_bytes(color="blue")))["created"][0]
    assert admin.delete(f"/api/v1/projects/{doomed.json()['id']}").status_code == 204
    store = LocalBlobStore(settings.files_dir)
    kept_sum = db.scalars(select(Image.checksum)).one()
    orphan = store.path_for(gone["checksum"])
    thumbnail = settings.data_dir / "thumbnails" / f"{gone['checksum']}.jpg"
    thumbnail.parent.mkdir(parents=True)
    thumbnail.write_bytes(b"jpeg")
    rendition = settings.data_dir / "renditions" / f"{gone['checksum']}.png"
    rendition.parent.mkdir(parents=True)
    rendition.write_bytes(b"png")
    crash_leftover = settings.files_dir / "ab" / ".tmp-123"
    crash_leftover.parent.mkdir(parents=True, exist_ok=True)
    crash_leftover.write_bytes(b"half")

    young = collect_garbage(db, settings, now=NOW)
    assert young.removed == [] and orphan.is_file()  # a young orphan may be an import in flight

    for path in (orphan, thumbnail, rendition, crash_leftover, store.path_for(kept_sum)):
        age(path, 2)
    listed = collect_garbage(db, settings, now=NOW, dry_run=True)
    assert set(listed.removed) == {orphan, thumbnail, rendition, crash_leftover}
    assert orphan.is_file(), "a dry run removes nothing"

    report = collect_garbage(db, settings, now=NOW)
    assert set(report.removed) == {orphan, thumbnail, rendition, crash_leftover}
    assert report.bytes_freed == sum(len(b) for b in (b"jpeg", b"png", b"half")) + len(
        png_bytes(color="blue")
    )
    assert not any(p.exists() for p in (orphan, thumbnail, rendition, crash_leftover))
    assert store.exists(kept_sum)
    assert admin.get(f"/api/v1/images/{db.scalars(select(Image.id)).one()}/file").status_code == 200


def test_job_folders_go_after_the_retention_period_of_their_finished_job(
    project: dict[str, Any], db: Session, settings: Settings
) -> None:
    pid = project["id"]
    old_done = folder(settings.jobs_dir / f"job-{job(db, pid, JobState.succeeded, 10)}", 10)
    fresh_done = folder(settings.jobs_dir / f"job-{job(db, pid, JobState.failed, 1)}", 10)
    running = folder(settings.jobs_dir / f"job-{job(db, pid, JobState.running, None)}", 10)
    no_row = folder(settings.jobs_dir / "job-999999", 10)
    unrelated = folder(settings.jobs_dir / "notes", 10)

    report = collect_garbage(db, settings, now=NOW, job_retention=7 * DAY)

    assert set(report.removed) == {old_done, no_row}
    assert fresh_done.is_dir() and running.is_dir() and unrelated.is_dir()
    assert not old_done.exists() and not no_row.exists()


def test_model_folders_of_deleted_projects_and_versions_go(
    project: dict[str, Any], db: Session, settings: Settings
) -> None:
    pid = project["id"]
    project_dir = settings.models_dir / f"project-{pid}"
    live_version = folder(project_dir / "version-job-1", 30)
    db.add(
        ModelVersion(
            project_id=pid, backbone="efficientnet_lite0", config={}, metrics={},
            labeled_count=1, unlabeled_count=0, labels_snapshot={}, path=str(live_version),
        )
    )  # fmt: skip
    db.flush()
    dropped_version = folder(project_dir / "version-job-2", 30)
    ended_work = folder(project_dir / f"job-{job(db, pid, JobState.cancelled, 30)}.work", 30)
    running_work = folder(project_dir / f"job-{job(db, pid, JobState.running, None)}.work", 30)
    deleted_project = folder(settings.models_dir / "project-999999", 30)
    unknown = folder(project_dir / "copied by hand", 30)  # not a name the layout gives
    age(project_dir, 30)

    report = collect_garbage(db, settings, now=NOW)

    assert set(report.removed) == {dropped_version, ended_work, deleted_project}
    assert live_version.is_dir() and running_work.is_dir() and unknown.is_dir()


def test_expired_sessions_are_swept_and_live_ones_kept(
    client_as: ClientFactory, db: Session, settings: Settings
) -> None:
    for role in (Role.viewer, Role.annotator):
        client_as(role)
    stale, live = db.scalars(select(UserSession).order_by(UserSession.id)).all()
    stale.expires_at = NOW - timedelta(minutes=1)
    db.flush()

    assert collect_garbage(db, settings, now=NOW, dry_run=True).expired_sessions == 1
    assert len(db.scalars(select(UserSession)).all()) == 2, "a dry run removes nothing"

    assert collect_garbage(db, settings, now=NOW).expired_sessions == 1
    assert db.scalars(select(UserSession.id)).all() == [live.id]
