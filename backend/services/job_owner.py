"""Who runs a job, and whether that process still lives.

A worker that claims a job writes its owner into the row (`Job.owner`): the host
(hostname + kernel boot id + pid namespace, so another machine, a reboot or another container
is another host), the pid, and the process's start time (so a pid that the kernel has handed
to a new process is not mistaken for the owner). Anyone on the same host (a redelivered task,
a restarted worker, the API answering a cancel) can then tell at once that the owner is gone.

On another host nothing can be known (a remote pid cannot be checked): `owner_state` answers
"unknown" and the heartbeat timeout (`presumed_dead`) stays the fallback, so a job of a dead
remote worker waits up to `STALE_AFTER` before it is taken over or failed.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from backend.models import Job

# A running job whose owner cannot be checked and who has not written a heartbeat for this
# long is presumed dead.
STALE_AFTER = timedelta(minutes=5)
# Progress key: a job alive but unable to write heartbeats until then (`announce_silence`).
SILENT_UNTIL = "silent_until"

OwnerState = Literal["alive", "dead", "unknown"]


@lru_cache(maxsize=1)
def host_id() -> str:
    """This machine as its processes see it; equal only where pids mean the same process."""
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:  # not Linux: the hostname alone, and pids are checked with kill(0)
        pass
    return "/".join(parts)


def process_start(pid: int) -> str | None:
    """An opaque start time of a live process `pid` (None if there is none, or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return _exists_without_proc(pid)
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    if fields[0] in ("Z", "X"):  # exited, not yet reaped by its parent
        return None
    return fields[19]  # starttime, in clock ticks since boot


def _exists_without_proc(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "?"
    return "?"


def current_owner(takeovers: int = 0) -> dict[str, Any]:
    pid = os.getpid()
    start = process_start(pid) if Path("/proc").is_dir() else "?"
    return {"host": host_id(), "pid": pid, "start": start, "takeovers": takeovers}


def owner_state(owner: dict[str, Any] | None) -> OwnerState:
    if not owner or owner.get("host") != host_id() or owner.get("pid") is None:
        return "unknown"
    start = process_start(int(owner["pid"]))
    if start is None:
        return "dead"
    recorded = owner.get("start")
    return "alive" if recorded in (None, "?") or start in ("?", recorded) else "dead"


def presumed_dead(job: Job, now: datetime, stale_after: timedelta = STALE_AFTER) -> bool:
    """Is the running `job`'s worker gone? Known at once on its own host; elsewhere, after
    `stale_after` without a heartbeat (and past any silence the job announced)."""
    state = owner_state(job.owner)
    if state != "unknown":
        return state == "dead"
    return heartbeat_stale(job, now, stale_after)


def heartbeat_stale(job: Job, now: datetime, stale_after: timedelta) -> bool:
    if job.heartbeat_at is None or now - job.heartbeat_at >= stale_after:
        silent_until = (job.progress or {}).get(SILENT_UNTIL)
        if silent_until is None:
            return True
        return now - datetime.fromisoformat(silent_until) >= stale_after
    return False


def takeovers(job: Job) -> int:
    return int((job.owner or {}).get("takeovers", 0))
