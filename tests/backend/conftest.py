from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from backend.api.deps import get_blob_store, get_db
from backend.app import create_app
from backend.config import Settings
from backend.db.session import session_scope
from backend.models import Role
from backend.services.storage import LocalBlobStore
from backend.services.users import create_user
from tests.backend.formats.helpers import coco_doc, image_bytes

PASSWORD = "correct-horse-battery"
SCHEMA: dict[str, Any] = {
    "keypoints": [{"name": "nose"}, {"name": "left_eye"}, {"name": "right_eye"}, {"name": "tail"}],
    "skeleton": [["nose", "left_eye"], ["nose", "right_eye"], ["nose", "tail"]],
    "flip_pairs": [["left_eye", "right_eye"]],
}


def png_bytes(
    width: int = 64, height: int = 48, color: str | tuple[int, int, int] = "red", fmt: str = "PNG"
) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, fmt)
    return buf.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def app(db: Session, blob_dir: Path) -> FastAPI:
    app = create_app()

    def test_db() -> Iterator[Session]:
        try:
            yield db
        except BaseException:
            db.rollback()
            raise

    app.dependency_overrides[get_db] = test_db
    app.dependency_overrides[get_blob_store] = lambda: LocalBlobStore(blob_dir)
    return app


ClientFactory = Callable[[Role], TestClient]


@pytest.fixture
def client_as(app: FastAPI, db: Session) -> Iterator[ClientFactory]:
    """`client_as(Role.admin)`: a browser-like client logged in with a new user of that role."""
    clients: list[TestClient] = []

    def make(role: Role) -> TestClient:
        email = f"{role.value}{len(clients)}@example.com"
        create_user(db, email, PASSWORD, role)
        db.commit()
        client = TestClient(app)
        clients.append(client)
        r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def admin(client_as: ClientFactory) -> TestClient:
    return client_as(Role.admin)


@pytest.fixture
def live_admin(live_settings: Settings) -> Iterator[TestClient]:
    """An admin's client of an app on `live_settings`' own database, without test overrides:
    what it commits, a job run in this process (as the worker runs it) sees, and back."""
    with session_scope(live_settings.database_url) as session:
        create_user(session, "admin@example.com", PASSWORD, Role.admin)
    with TestClient(create_app()) as client:
        r = client.post(
            "/api/v1/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


@pytest.fixture
def anon(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def project(admin: TestClient) -> dict[str, Any]:
    r = admin.post("/api/v1/projects", json={"name": "tigers", "keypoint_schema": SCHEMA})
    assert r.status_code == 201, r.text
    return dict(r.json())


def upload(client: TestClient, project_id: Any, *files: tuple[str, bytes]) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/projects/{project_id}/images",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


SCHEMA_NAMES = [k["name"] for k in SCHEMA["keypoints"]]
COCO_KPS = [(10.0, 12.0, 2), (20.0, 22.0, 1), (0, 0, 0), (30.0, 40.0, 2)]


def coco_upload(
    kps: list[tuple[float, float, int]] = COCO_KPS, names: list[str] = SCHEMA_NAMES
) -> list[tuple[str, bytes]]:
    """annotations.json (a.png annotated with `kps`, b.png not) and both images, as files of
    an upload; the keypoint names are the `project` fixture's."""
    items = [{"file": "a.png", "w": 64, "h": 48, "kps": kps}, {"file": "b.png", "w": 64, "h": 48}]
    doc = json.dumps(coco_doc(items, names=names)).encode()
    return [("annotations.json", doc), ("a.png", image_bytes(1)), ("b.png", image_bytes(2))]


def post_files(client: TestClient, url: str, files: list[tuple[str, bytes]]) -> Any:
    return client.post(url, files=[("files", (n, d, "application/octet-stream")) for n, d in files])
