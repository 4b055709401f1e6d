"""What a request costs the database. Authenticating is one query (the session with its
user), and a save reads nothing back after its first write: SQLite's one write lock is held
from that write until the commit, so every statement there lengthens every other writer's
wait (issue 14, item 2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend.config import Settings
from tests.backend.live_api import (
    live_db_settings,  # noqa: F401  (a fixture)
    logged_in_client,
    project_with_images,
)
from tests.coroutines import run_to_end

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


def save(version: int) -> dict[str, Any]:
    return {
        "version": version,
        "keypoints": [
            {"name": "nose", "x": 3, "y": 4, "visibility": "visible"},
            {"name": "tail", "visibility": "unlabeled"},
        ],
    }


def test_reading_an_image_costs_two_queries_and_a_save_reads_nothing_after_writing(
    live_db_settings: Settings,  # noqa: F811
    statements: list[str],
) -> None:
    async def run() -> dict[str, list[str]]:
        async with logged_in_client() as client:
            image_id = (await project_with_images(client, 1))[0]
            seen = {}

            async def sent_by(name: str, method: str, body: dict[str, Any] | None = None) -> None:
                statements.clear()
                url = f"/images/{image_id}" + ("/annotation" if body else "")
                r = await client.request(method, url, json=body)
                assert r.status_code == 200, r.text
                seen[name] = list(statements)

            await sent_by("read", "GET")
            await sent_by("first save", "PUT", save(0))
            await sent_by("save", "PUT", save(1))
            return seen

    seen = run_to_end(run())
    session_with_user, image = seen["read"]
    assert "FROM user_sessions" in session_with_user and "JOIN users" in session_with_user
    assert "FROM images" in image
    for name in ("first save", "save"):
        sent = seen[name]
        first_write = next(i for i, s in enumerate(sent) if s.startswith(WRITES))
        reads_after = [s for s in sent[first_write:] if s.startswith("SELECT")]
        assert reads_after == [], f"{name}: {sent}"
