"""Real job owners for tests: the identity (`backend/services/job_owner.py`) of a process of
this host that is still running, or of one that has exited."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PRINT_OWNER = "import json; from backend.services.job_owner import current_owner; "


def dead_owner() -> dict[str, Any]:
    """The owner record of a process that has exited (and been reaped) by the time we return."""
    out = subprocess.run(
        [sys.executable, "-c", PRINT_OWNER + "print(json.dumps(current_owner()))"],
        capture_output=True,
        text=True,
        check=True,
    )
    owner: dict[str, Any] = json.loads(out.stdout)
    return owner


@contextmanager
def live_owner() -> Iterator[dict[str, Any]]:
    """The owner record of a process that runs until the block ends."""
    code = (
        PRINT_OWNER + "import time; print(json.dumps(current_owner()), flush=True); time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()
