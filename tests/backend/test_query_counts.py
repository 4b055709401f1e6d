"""What a request costs the database. Authenticating is one query (the session with its
user). Before its first write a save reads who sent it and the image with its project; the
version check is the write itself, and nothing is read back after it: SQLite's one write lock
is held from that write until the commit, so every statement there lengthens every other
writer's wait (issue 14, item 2). On PostgreSQL a read opens no transaction: its queries are
its only round trips, with no `BEGIN` before them and no `ROLLBACK` after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend.config import Settings
from tests.backend.live_api import (
    live_db_settings,  # noqa: F401  (a fixture)
    recorded_per_request,
)

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL statements every engine sends, in order, on one line each."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    yield sent
    event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def left_in_transaction() -> Iterator[list[bool]]:
    """For each statement sent to PostgreSQL, whether its connection was inside a transaction
    when it returned (a `BEGIN` went before it, a `COMMIT` or `ROLLBACK` must follow)."""
    seen: list[bool] = []

    def record(conn: Any, *_: Any) -> None:
        if conn.dialect.name == "postgresql":
            status = conn.connection.dbapi_connection.info.transaction_status
            seen.append(status != psycopg.pq.TransactionStatus.IDLE)

    event.listen(Engine, "after_cursor_execute", record)
    yield seen
    event.remove(Engine, "after_cursor_execute", record)


def save(version: int) -> dict[str, Any]:
    return {
        "version": version,
        "keypoints": [
            {"name": "nose", "x": 3, "y": 4, "visibility": "visible"},
            {"name": "tail", "visibility": "unlabeled"},
        ],
    }


def test_a_read_costs_a_query_per_thing_it_shows_and_a_save_reads_only_who_and_where(
    live_db_settings: Settings,  # noqa: F811
    statements: list[str],
) -> None:
    seen = recorded_per_request(
        statements,
        [
            ("image", "GET", "", None),
            ("first save", "PUT", "/annotation", save(0)),
            ("save", "PUT", "/annotation", save(1)),
            ("annotation", "GET", "/annotation", None),
        ],
    )
    session_with_user, image = seen["image"]
    assert "FROM user_sessions" in session_with_user and "JOIN users" in session_with_user
    assert "FROM images" in image
    session_with_user, image_with_project, annotation_with_author = seen["annotation"]
    assert "JOIN projects" in image_with_project
    assert "FROM annotations" in annotation_with_author and "JOIN users" in annotation_with_author
    for name in ("first save", "save"):
        sent = seen[name]
        first_write = next(i for i, s in enumerate(sent) if s.startswith(WRITES))
        # Who sends it, and the image with its project; the write itself checks the version.
        assert len(sent[:first_write]) == 2, f"{name}: {sent}"
        assert "JOIN projects" in sent[1], f"{name}: {sent}"
        reads_after = [s for s in sent[first_write:] if s.startswith("SELECT")]
        assert reads_after == [], f"{name}: {sent}"


def test_on_postgresql_a_read_opens_no_transaction_and_a_save_is_one(
    live_db_settings: Settings,  # noqa: F811
    left_in_transaction: list[bool],
) -> None:
    if not live_db_settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite's driver begins no transaction for a read already")

    seen = recorded_per_request(
        left_in_transaction,
        [
            ("image", "GET", "", None),
            ("annotation", "GET", "/annotation", None),
            ("save", "PUT", "/annotation", save(0)),
        ],
    )
    assert seen["image"] and not any(seen["image"])
    assert seen["annotation"] and not any(seen["annotation"])
    assert len(seen["save"]) > 2 and all(seen["save"]), seen["save"]
