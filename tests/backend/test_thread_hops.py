"""A request goes to the thread pool only for blocking work: authenticating (a query), the
route, FastAPI's check of a sync route's response, and returning a server database's
connection still in a transaction. A small stored file (a thumbnail, a photo) is read in the
route's own thread, not stat-ed, opened, read and closed in four more. Every other dependency
runs on the event loop (backend/api/deps.py): under load each hop waits for the loop's turn
while the request holds its database slot, so hops cost throughput (issue 14, item 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest

from backend.config import Settings
from tests.backend.live_api import (
    live_db_settings,  # noqa: F401  (a fixture)
    recorded_per_request,
)

SAVE = {
    "version": 0,
    "done": False,
    "keypoints": [
        {"name": "nose", "x": 3, "y": 4, "visibility": "visible"},
        {"name": "tail", "visibility": "unlabeled"},
    ],
}


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions sent to the thread pool, in order."""
    sent: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(func, "__qualname__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return sent


def test_reads_files_and_saves_each_cross_to_the_thread_pool_at_most_four_times(
    live_db_settings: Settings,  # noqa: F811
    hops: list[str],
) -> None:
    seen = recorded_per_request(
        hops,
        [
            ("read", "GET", "", None),
            ("annotation read", "GET", "/annotation", None),
            ("thumbnail", "GET", "/thumbnail", None),
            ("view", "GET", "/view", None),
            ("file", "GET", "/file", None),
            ("save", "PUT", "/annotation", SAVE),
        ],
    )
    for name, sent in seen.items():
        # Before: settings, session open, codec, auth, user, route, response check, session
        # close (8; 9 with a role guard).
        assert len(sent) <= 4, f"{name}: {sent}"
