"""Real PostgreSQL and Redis servers for the test session, from Debian's binaries.

Each is started on a free 127.0.0.1 port in a temporary directory and stopped at the end.
Where the binaries are missing the tests that need them skip, unless
KEYLOOP_REQUIRE_SERVICES=1 (set by .ci/run), which turns a skip into a failure.
Set KEYLOOP_TEST_POSTGRES_URL / KEYLOOP_TEST_REDIS_URL to use servers you run yourself.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing(what: str) -> None:
    message = f"{what} is not installed (apt-get install it, or see .ci/run)"
    if os.environ.get("KEYLOOP_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_s}s")


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL cluster."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        missing("PostgreSQL server (package postgresql)")
        raise AssertionError  # unreachable
    root = Path(tempfile.mkdtemp(prefix="keyloop-pg-"))
    data = root / "data"
    # initdb refuses to run as root; run the server as the postgres system user.
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        root.chmod(0o700)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*argv: str) -> None:
        subprocess.run([*as_user, *argv], check=True, capture_output=True)

    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    run(
        pg_ctl,
        "-D",
        str(data),
        "-w",
        "-l",
        str(root / "log"),
        "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off",
        "start",
    )
    try:
        run(
            _pg_bin("createdb") or "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "keyloop_test",
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/keyloop_test"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if not binary:
        missing("Redis server (package redis-server)")
        raise AssertionError
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="keyloop-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
