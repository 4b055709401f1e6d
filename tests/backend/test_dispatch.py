"""Starting a job: the row is committed, then its task is sent by name (`commit_and_send`); a
broker that cannot be reached fails the job with the reason instead of leaving it queued."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.api.deps import current_settings
from backend.config import Settings, get_settings
from backend.models import Job, ModelVersion
from backend.queue import TASK_EVALUATE, TASK_TRAIN


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def broker_down(app: FastAPI) -> Iterator[None]:
    """The app's broker is a Redis URL where nothing listens (a stopped broker)."""
    down = get_settings().model_copy(update={"broker_url": f"redis://127.0.0.1:{_closed_port()}/0"})
    app.dependency_overrides[current_settings] = lambda: down
    yield
    del app.dependency_overrides[current_settings]


def _version(db: Session, project_id: int) -> int:
    version = ModelVersion(
        project_id=project_id,
        backbone="efficientnet_lite0",
        config={},
        metrics={"pck": 0.5},
        labeled_count=5,
        unlabeled_count=10,
        labels_snapshot={},
        path="/nonexistent",
        is_active=True,
    )
    db.add(version)
    db.commit()
    return version.id


def _start(kind: str, admin: TestClient, db: Session, project: dict[str, Any]) -> Any:
    if kind == "train":
        return admin.post(f"/api/v1/projects/{project['id']}/training-jobs", json={})
    version_id = _version(db, project["id"])
    return admin.post(f"/api/v1/model-versions/{version_id}/evaluations", json={})


def _sent_message(settings: Settings, task_id: str) -> dict[str, Any]:
    for path in (settings.broker_dir / "messages").iterdir():
        message = json.loads(path.read_text())
        if message["headers"]["id"] == task_id:
            return dict(message)
    raise AssertionError(f"no message for task {task_id} in the broker folder")


@pytest.mark.parametrize("kind", ["train", "evaluate"])
def test_a_started_job_is_committed_and_its_task_sent_with_its_id(
    kind: str, admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    r = _start(kind, admin, db, project)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued"
    row = db.get(Job, job["id"])
    assert row is not None and row.celery_task_id is not None
    message = _sent_message(get_settings(), row.celery_task_id)
    assert message["headers"]["task"] == {"train": TASK_TRAIN, "evaluate": TASK_EVALUATE}[kind]
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert args == [job["id"]]


@pytest.mark.parametrize("kind", ["train", "evaluate"])
def test_a_job_whose_broker_is_down_fails_with_the_reason_and_is_kept(
    kind: str, admin: TestClient, db: Session, project: dict[str, Any], broker_down: None
) -> None:
    r = _start(kind, admin, db, project)
    assert r.status_code == 202, r.text  # the request did its part: the job row exists
    job = r.json()
    assert job["state"] == "failed"
    assert job["error"].startswith("could not reach the task broker: ")
    assert job["finished_at"] is not None
    stored = admin.get(f"/api/v1/jobs/{job['id']}").json()
    assert (stored["state"], stored["error"]) == ("failed", job["error"])


def test_a_training_whose_broker_was_down_does_not_block_the_next(
    admin: TestClient, db: Session, project: dict[str, Any], app: FastAPI
) -> None:
    down = get_settings().model_copy(update={"broker_url": f"redis://127.0.0.1:{_closed_port()}/0"})
    app.dependency_overrides[current_settings] = lambda: down
    url = f"/api/v1/projects/{project['id']}/training-jobs"
    assert admin.post(url, json={}).json()["state"] == "failed"
    del app.dependency_overrides[current_settings]  # the broker is back
    again = admin.post(url, json={})
    assert again.status_code == 202 and again.json()["state"] == "queued"
