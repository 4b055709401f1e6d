"""A real `uvicorn` serving the app on 127.0.0.1 with its own SQLite database and data dir,
seeded over HTTP with an admin and an annotator (API tokens), a project, images and an
annotation: what the schemathesis run (tests/backend/test_api_fuzz.py) fuzzes."""

from __future__ import annotations

import io
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image

from backend.config import Settings
from backend.db.migrate import upgrade
from backend.db.session import session_scope
from backend.models import Evaluation, ModelVersion, Role
from backend.serve import uvicorn_argv
from backend.services.users import create_user, issue_token
from tests.services import free_port

SCHEMA = {
    "keypoints": [{"name": "nose"}, {"name": "left_eye"}, {"name": "right_eye"}],
    "flip_pairs": [["left_eye", "right_eye"]],
}


@dataclass
class LiveApi:
    url: str  # e.g. http://127.0.0.1:8123
    admin_token: str
    annotator_token: str
    log: Path


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (seed * 40 % 256, 90, 200)).save(buf, "PNG")
    return buf.getvalue()


def _seed(url: str, token: str) -> None:
    """One project with 4 images (ids 1-4), image 1 annotated with an roi, and a queued
    training job (id 1): the rows the fuzzer's ids point at."""
    with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}) as c:
        project = c.post("/projects", json={"name": "Łoś 虎", "keypoint_schema": SCHEMA})
        project.raise_for_status()
        pid = project.json()["id"]
        files = [("files", (f"{i}.png", _png(i), "image/png")) for i in range(4)]
        created = c.post(f"/projects/{pid}/images", files=files)
        created.raise_for_status()
        first = created.json()["created"][0]["id"]
        points = [
            {"name": "nose", "x": 10, "y": 12, "visibility": "visible"},
            {"name": "left_eye", "x": 20, "y": 14, "visibility": "occluded"},
            {"name": "right_eye", "visibility": "unlabeled"},
        ]
        saved = c.put(f"/images/{first}/annotation", json={"version": 0, "keypoints": points})
        saved.raise_for_status()
        c.patch(f"/images/{first}", json={"roi": [1, 1, 40, 30]}).raise_for_status()
        c.post(f"/projects/{pid}/training-jobs", json={"max_steps": 1}).raise_for_status()


def _add_model_version(database_url: str) -> None:
    """A version row without files (no worker runs here): predict answers its 409, the
    version and evaluation routes have a row to read."""
    with session_scope(database_url) as session:
        version = ModelVersion(
            project_id=1, backbone="efficientnet_lite0", config={}, metrics={},
            labeled_count=1, unlabeled_count=3, labels_snapshot={}, path="/nonexistent",
            is_active=True,
        )  # fmt: skip
        session.add(version)
        session.flush()
        session.add(Evaluation(model_version_id=version.id, alpha=0.1, metrics={"pck": 0.5}))


@contextmanager
def live_api(root: Path) -> Iterator[LiveApi]:
    env = {
        **os.environ,
        "KEYLOOP_DATA_DIR": str(root / "data"),
        "KEYLOOP_ENV": "test",
        "KEYLOOP_FRONTEND_DIST": str(root / "no-frontend"),
    }
    for name in ("KEYLOOP_DATABASE_URL", "KEYLOOP_BROKER_URL", "KEYLOOP_RESULT_BACKEND"):
        env.pop(name, None)
    settings = Settings(data_dir=root / "data")
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        tokens = {}
        for role in (Role.admin, Role.annotator):
            user = create_user(session, f"{role.value}@example.com", "fuzz-password-1", role)
            tokens[role] = issue_token(session, user, "schemathesis")[1]
    port = free_port()
    log = root / "api.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            uvicorn_argv("backend.app:create_app", "127.0.0.1", port),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the API did not start:\n{log.read_text()}")
            time.sleep(0.2)
        _seed(url, tokens[Role.admin])
        _add_model_version(settings.database_url)
        yield LiveApi(url, tokens[Role.admin], tokens[Role.annotator], log)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
