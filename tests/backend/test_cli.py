"""The `keyloop` command: migrations, users, and `serve` running API + workers + beat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from backend.cli import app
from tests.services import free_port

runner = CliRunner()


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYLOOP_")}
    return {**env, "KEYLOOP_DATA_DIR": str(data_dir), "KEYLOOP_ENV": "dev", **extra}


def _keyloop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_users_create_reports_a_clear_error_for_a_duplicate(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _keyloop("db", "upgrade", env=env).returncode == 0
    ok = _keyloop("users", "create", "ann@example.com", "--password", "long-enough", env=env)
    assert ok.returncode == 0 and "created annotator ann@example.com" in ok.stdout
    again = _keyloop("users", "create", "ann@example.com", "--password", "long-enough", env=env)
    assert again.returncode == 2 and "already exists" in again.stderr
    rev = _keyloop(
        "users", "create", "rev@example.com", "--password", "long-enough", "--role", "reviewer",
        env=env,
    )  # fmt: skip
    assert rev.returncode == 0 and "created reviewer rev@example.com" in rev.stdout
    short = _keyloop("users", "create", "b@example.com", "--password", "short", env=env)
    assert short.returncode == 2 and "at least 8" in short.stderr


@pytest.mark.slow
def test_gc_lists_then_removes_old_unreferenced_files(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _keyloop("db", "upgrade", env=env).returncode == 0
    leftover = Path(env["KEYLOOP_DATA_DIR"]) / "jobs" / "job-424242"
    leftover.mkdir(parents=True)
    (leftover / "results.jsonl").write_text("{}\n")
    os.utime(leftover, (0, 0))

    listed = _keyloop("gc", "--dry-run", env=env)
    assert listed.returncode == 0 and f"would remove {leftover}" in listed.stdout
    assert leftover.is_dir()
    removed = _keyloop("gc", env=env)
    assert removed.returncode == 0 and "removed 1 paths" in removed.stdout
    assert "removed 0 expired sessions" in removed.stdout
    assert not leftover.exists()
    bad = _keyloop("gc", "--grace-hours", "-1", env=env)
    assert bad.returncode == 2 and ">= 0" in bad.stderr


@pytest.mark.slow
def test_production_refuses_a_placeholder_secret(tmp_path: Path) -> None:
    result = _keyloop("db", "upgrade", env=_env(tmp_path, KEYLOOP_ENV="production"))
    assert result.returncode != 0
    assert "KEYLOOP_SECRET_KEY" in result.stderr


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "users"):
        assert command in result.output


@pytest.mark.slow
def test_serve_runs_api_workers_and_beat_and_stops_them_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = _env(tmp_path / "data")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = log.read_text()
            try:
                healthy = httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200
            except httpx.TransportError:
                healthy = False
            workers_ready = "keyloop@" in text and "keyloop-imports@" in text
            if healthy and workers_ready and text.count("ready") >= 2 and "beat: Starting" in text:
                break
            assert proc.poll() is None, text
            time.sleep(0.5)
        else:
            pytest.fail(f"serve did not come up:\n{log.read_text()}")
        text = log.read_text()
        assert "one-time password:" in text
        password = text.split("one-time password:")[1].split()[0]
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"email": "admin@localhost", "password": password},
        )
        assert login.status_code == 200
        children = [
            int(line.split("pid ")[1].rstrip(")"))
            for line in text.splitlines()
            if line.startswith("keyloop: started")
        ]
        assert len(children) == 4  # api, worker, importer, beat
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        for pid in children:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        assert "stopped worker" in log.read_text() and "stopped importer" in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
