"""`keyloop serve`'s supervisor with tiny child commands: a dead child is restarted while
the others run on, a child that keeps crashing makes it give up, Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.worker.stack import wait_until

SLEEPER = "import time; time.sleep(600)"


def _supervise(tmp_path: Path, children: dict[str, str], policy: str = "") -> subprocess.Popen[str]:
    """Run `run_children` in its own process (it installs signal handlers), children given
    as Python code; its output goes to tmp_path/supervisor.log."""
    specs = ", ".join(
        f"Child({name!r}, [sys.executable, '-c', {code!r}])" for name, code in children.items()
    )
    program = (
        "import sys\n"
        "from backend.supervisor import Child, RestartPolicy, run_children\n"
        f"sys.exit(run_children([{specs}], RestartPolicy({policy})))\n"
    )
    log = (tmp_path / "supervisor.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-c", program],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
    )


def _pids(tmp_path: Path, name: str) -> list[int]:
    log = (tmp_path / "supervisor.log").read_text()
    return [
        int(line.split("(pid ")[1].rstrip(")"))
        for line in log.splitlines()
        if line.startswith(("keyloop: started ", "keyloop: restarted ")) and f" {name} (" in line
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def test_restarts_a_killed_child_and_leaves_the_others_running(tmp_path: Path) -> None:
    proc = _supervise(tmp_path, {"api": SLEEPER, "worker": SLEEPER})
    try:
        wait_until(lambda: len(_pids(tmp_path, "worker")) == 1, 30, "worker did not start")
        (api,) = _pids(tmp_path, "api")
        (first,) = _pids(tmp_path, "worker")
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: len(_pids(tmp_path, "worker")) == 2, 30, "worker not restarted")
        log = (tmp_path / "supervisor.log").read_text()
        assert "worker was killed by SIGKILL; restarting it in 0.5s" in log
        assert _alive(api) and _pids(tmp_path, "api") == [api], "the API was left alone"
        assert _alive(_pids(tmp_path, "worker")[1])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not _alive(api) and not _alive(_pids(tmp_path, "worker")[1])
        log = (tmp_path / "supervisor.log").read_text()
        assert log.index("stopped worker") < log.index("stopped api"), "stopped in reverse order"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_dead_childs_own_children_do_not_outlive_it(tmp_path: Path) -> None:
    """Like a Celery worker's pool child: whatever the dead child forked is killed before the
    restart, so two copies never run side by side."""
    forks_then_dies = (
        "import os, signal, subprocess, sys, time\n"
        "from pathlib import Path\n"
        "if Path('helper.pid').exists(): time.sleep(600)\n"
        "helper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "Path('helper.pid').write_text(str(helper.pid))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = _supervise(tmp_path, {"worker": forks_then_dies})
    try:
        wait_until(lambda: len(_pids(tmp_path, "worker")) == 2, 30, "worker not restarted")
        helper = int((tmp_path / "helper.pid").read_text())
        wait_until(lambda: not _alive(helper), 10, "the dead child's helper still runs")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_gives_up_after_repeated_fast_crashes_and_stops_everything(tmp_path: Path) -> None:
    crasher = "import sys; sys.exit(3)"
    policy = "max_crashes=3, window_s=60, first_delay_s=0.05"
    proc = _supervise(tmp_path, {"api": SLEEPER, "importer": crasher}, policy)
    try:
        assert proc.wait(timeout=60) == 1
        log = (tmp_path / "supervisor.log").read_text()
        assert "importer exited with 3; restarting it in 0.05s" in log
        assert "importer exited with 3; restarting it in 0.1s" in log  # the delay doubles
        assert (
            "importer exited with 3, 3 times within 60s; giving up and stopping everything" in log
        )
        assert len(_pids(tmp_path, "importer")) == 3
        (api,) = _pids(tmp_path, "api")
        assert not _alive(api) and "stopped api" in log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_slow_crashes_are_restarted_forever(tmp_path: Path) -> None:
    """Crashes further apart than the window never add up to giving up."""
    crasher = "import sys, time; time.sleep(0.4); sys.exit(3)"
    policy = "max_crashes=2, window_s=0.3, first_delay_s=0.05"
    proc = _supervise(tmp_path, {"worker": crasher}, policy)
    try:
        wait_until(lambda: len(_pids(tmp_path, "worker")) >= 4, 30, "not restarted")
        assert proc.poll() is None
        assert "giving up" not in (tmp_path / "supervisor.log").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
