"""Running a coroutine to the end from a synchronous test, whatever ran before it.

Once the browser tests have started Playwright's sync API (one driver per test process), the
main thread has a running event loop until the session ends, and `asyncio.run` refuses to start
another there. A fresh thread has no running loop, so the coroutine runs there instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-event-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
