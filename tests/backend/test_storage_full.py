"""A full disk is a clear 507, never a bare 500, and loses nothing already stored."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from backend.errors import StorageFull, storage_full
from backend.services.storage import LocalBlobStore
from tests.backend.conftest import png_bytes, upload


def _images(client: TestClient, project_id: Any) -> list[str]:
    page = client.get(f"/api/v1/projects/{project_id}/images").json()
    return [item["original_name"] for item in page["items"]]


def test_an_upload_onto_a_full_disk_is_a_507_and_keeps_what_was_stored(
    admin: TestClient, project: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = project["id"]
    upload(admin, pid, ("before.png", png_bytes(color="red")))

    def disk_full(self: LocalBlobStore, data: bytes) -> tuple[str, bool]:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(LocalBlobStore, "put", disk_full)
        r = admin.post(
            f"/api/v1/projects/{pid}/images",
            files=[("files", ("after.png", png_bytes(color="blue"), "image/png"))],
        )
    assert r.status_code == 507
    body = r.json()
    assert body["code"] == "storage_full"
    assert "disk is full" in body["detail"] and "nothing from this request" in body["detail"]
    assert _images(admin, pid) == ["before.png"]

    upload(admin, pid, ("after.png", png_bytes(color="blue")))  # space freed: it goes through
    assert sorted(_images(admin, pid)) == ["after.png", "before.png"]


def test_sqlites_own_full_error_is_recognised(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'small.db'}")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE blobs (data BLOB)"))
        pages = connection.execute(text("PRAGMA page_count")).scalar_one()
        connection.execute(text(f"PRAGMA max_page_count = {pages + 1}"))
        with pytest.raises(OperationalError) as raised:
            connection.execute(text("INSERT INTO blobs VALUES (zeroblob(1000000))"))
    assert isinstance(storage_full(raised.value), StorageFull)


def test_postgres_disk_full_and_a_full_quota_are_recognised() -> None:
    wrapped = OperationalError("INSERT ...", {}, psycopg.errors.DiskFull("could not extend file"))
    assert isinstance(storage_full(wrapped), StorageFull)
    assert isinstance(storage_full(OSError(errno.EDQUOT, "quota")), StorageFull)


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.EACCES, "permission denied"),
        ConnectionResetError(errno.ECONNRESET, "reset"),
        DBAPIError("SELECT 1", {}, sqlite3.OperationalError("database is locked")),
        OperationalError("SELECT 1", {}, psycopg.errors.UndefinedTable("no table")),
    ],
)
def test_other_failures_are_not_called_a_full_disk(error: Exception) -> None:
    assert storage_full(error) is None
