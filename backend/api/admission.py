"""Bounded admission of requests that use the database: a slot per session, 503 when full.

Why: sync routes and dependencies run on AnyIO's thread pool (40 threads). With more requests
in flight than pool connections, the threads filled up with requests blocked on a pool
checkout while the requests holding the connections waited for a thread to run their next
dependency or their route: a deadlock that lasted until the pool's 30 s timeout and then
answered 500 (issue 14, item 2). Now a request takes a slot *before* its session exists,
waiting on the event loop (no thread), and the engine's pool has a connection for every slot
(`backend.db.session.get_engine`), so an admitted request never waits for a connection and a
thread is never parked on the pool. A request that finds `api_queue_length` others already
waiting, or waits `api_queue_wait_s` without a slot, gets 503 with `Retry-After` and
`{"detail", "code": "overloaded"}`; requests that need no database (`/health`, the UI's files)
never queue here.

Slots are per event loop (one per uvicorn worker process), like the semaphores themselves.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from anyio.lowlevel import RunVar

from backend.config import Settings
from backend.errors import Overloaded


class Admission:
    """A counting semaphore whose waiters give up after `wait_s`, and that refuses at once when
    `max_waiting` already wait. Plain asyncio: a free slot is taken without yielding to the
    event loop, so an unloaded API pays nothing for it."""

    def __init__(self, slots: int, max_waiting: int, wait_s: float) -> None:
        self.slots = slots
        self.max_waiting = max_waiting
        self.wait_s = wait_s
        self.free = slots
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def in_use(self) -> int:
        return self.slots - self.free

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block, or raise `Overloaded` (503) without running it."""
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    async def _acquire(self) -> None:
        if self.free and not self._waiters:
            self.free -= 1
            return
        if len(self._waiters) >= self.max_waiting:
            raise self._overloaded(f"{len(self._waiters)} requests are already waiting")
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(granted)
        try:
            await asyncio.wait_for(granted, self.wait_s)
        except TimeoutError:
            raise self._overloaded(f"no database slot freed within {self.wait_s:g} s") from None
        except BaseException:
            if granted.done() and not granted.cancelled():
                self._release()  # handed a slot just as the client went away: pass it on
            raise
        finally:
            if granted in self._waiters:
                self._waiters.remove(granted)

    def _release(self) -> None:
        while self._waiters:
            granted = self._waiters.popleft()
            if not granted.done():
                granted.set_result(None)  # the slot passes straight to the longest waiter
                return
        self.free += 1

    def _overloaded(self, why: str) -> Overloaded:
        return Overloaded(
            f"the server is busy ({why}); retry shortly",
            retry_after_s=max(1, math.ceil(min(self.wait_s, 5.0))),
        )


_admission: RunVar[Admission] = RunVar("keyloop_admission")


def admission_for(settings: Settings) -> Admission:
    """This event loop's admission, made from `settings` on first use. The thread limiter is
    raised too when it has fewer threads than slots plus room for requests without a session,
    so admitted requests never queue for a thread behind each other."""
    try:
        return _admission.get()
    except LookupError:
        admission = Admission(
            settings.api_db_slots, settings.api_queue_length, settings.api_queue_wait_s
        )
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, settings.api_db_slots + 8)
        _admission.set(admission)
        return admission
