"""Security headers on the UI and the API; the secret key file and the SQLite database are
readable by their owner only (issue 14, item 11)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.app import create_app
from backend.config import Settings, get_settings
from backend.db.migrate import upgrade
from backend.db.session import get_engine

COMMON = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which a plain create gives 0644: the tests show we do better."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_common(headers: dict[str, str] | object) -> None:
    for name, value in COMMON.items():
        assert headers[name] == value, name  # type: ignore[index]
    assert headers["referrer-policy"] == "same-origin"  # type: ignore[index]


def test_the_ui_is_served_with_csp_nosniff_and_no_framing(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=app></div>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    settings = get_settings()
    old, settings.frontend_dist = settings.frontend_dist, dist
    try:
        client = TestClient(create_app())
        for path in ("/", "/projects/3", "/assets/app.js"):
            r = client.get(path)
            assert r.status_code == 200, path
            _assert_common(r.headers)
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, csp
            assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    finally:
        settings.frontend_dist = old


def test_api_responses_carry_the_headers_and_a_deny_all_policy(anon: TestClient) -> None:
    for r in (
        anon.get("/api/v1/health"),
        anon.get("/api/v1/auth/me"),  # an error rendered by the handler
        anon.post(  # refused by the body guard before any route runs
            "/api/v1/projects/1/images",
            files=[("files", ("a.png", b"x" * 100, "image/png"))],
        ),
    ):
        _assert_common(r.headers)
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert anon.get("/api/v1/health").status_code == 200


def test_the_dev_secret_key_file_is_created_0600(tmp_path: Path, umask_022: None) -> None:
    Settings(data_dir=tmp_path, env="dev")
    key = tmp_path / ".dev-secret-key"
    assert _mode(key) == 0o600
    before = key.read_text()
    key.chmod(0o644)  # written by an older version
    Settings(data_dir=tmp_path, env="dev")
    assert _mode(key) == 0o600 and key.read_text() == before


def test_the_sqlite_database_and_its_wal_are_created_0600(tmp_path: Path, umask_022: None) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'keyloop.db'}"
    upgrade(url)
    with get_engine(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        for suffix in ("", "-wal", "-shm"):
            path = tmp_path / "data" / f"keyloop.db{suffix}"
            if path.exists():
                assert _mode(path) == 0o600, suffix
    get_engine(url).dispose()
    old = tmp_path / "old.db"
    old.touch(mode=0o644)
    upgrade(f"sqlite:///{old}")  # an existing database is tightened too
    assert _mode(old) == 0o600
