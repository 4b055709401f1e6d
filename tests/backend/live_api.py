"""An app on its own committed database (SQLite or a fresh PostgreSQL database), driven
concurrently through httpx's ASGI transport: no dependency overrides, so the real session
dependency, admission, pool and thread limiter are what the requests meet."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from backend.app import create_app
from backend.config import Settings, get_settings
from backend.db.migrate import upgrade
from backend.db.session import session_scope
from backend.models import Role
from backend.services.users import create_user
from tests.coroutines import run_to_end
from tests.databases import DATABASES

T = TypeVar("T")
# (name, method, path after /images/{id}, JSON body or None)
ImageRequest = tuple[str, str, str, dict[str, Any] | None]

EMAIL, PASSWORD = "load@example.com", "correct-horse-battery"
SCHEMA = {"keypoints": [{"name": "nose"}, {"name": "tail"}]}


def fresh_postgres_database(base_url: str) -> str:
    name = f"keyloop_live_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=DATABASES)
def live_db_settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings of a fresh data dir whose database (SQLite, or a new PostgreSQL database) is
    migrated and holds one admin, `EMAIL`."""
    monkeypatch.setenv("KEYLOOP_DATA_DIR", str(tmp_path / "data"))
    if request.param == "postgres":
        url = fresh_postgres_database(request.getfixturevalue("postgres_url"))
        monkeypatch.setenv("KEYLOOP_DATABASE_URL", url)
    get_settings.cache_clear()
    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        create_user(session, EMAIL, PASSWORD, Role.admin)
    yield settings
    get_settings.cache_clear()


def png(i: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (i % 256, i // 256 % 256, 90)).save(buf, "PNG")
    return buf.getvalue()


@asynccontextmanager
async def logged_in_client(**kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a new app on the current settings, logged in as `EMAIL` (cookie + CSRF)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()),
        base_url="http://keyloop.test/api/v1",
        timeout=120,
        **kwargs,
    ) as client:
        r = await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


async def project_with_images(client: httpx.AsyncClient, n: int) -> list[int]:
    r = await client.post("/projects", json={"name": "load", "keypoint_schema": SCHEMA})
    assert r.status_code == 201, r.text
    files = [("files", (f"{i}.png", png(i), "image/png")) for i in range(n)]
    r = await client.post(f"/projects/{r.json()['id']}/images", files=files)
    assert r.status_code == 201, r.text
    return [int(i["id"]) for i in r.json()["created"]]


def recorded_per_request(recorded: list[T], requests: Sequence[ImageRequest]) -> dict[str, list[T]]:
    """Send `requests` in order, about the one image of a new project, each answering 200; for
    each, what `recorded` (a list a hook appends to) gathered while it ran."""

    async def run() -> dict[str, list[T]]:
        async with logged_in_client() as client:
            image_id = (await project_with_images(client, 1))[0]
            seen = {}
            for name, method, path, body in requests:
                recorded.clear()
                r = await client.request(method, f"/images/{image_id}{path}", json=body)
                assert r.status_code == 200, f"{name}: {r.text}"
                seen[name] = list(recorded)
            return seen

    return run_to_end(run())
