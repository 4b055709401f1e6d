"""Faults through a real `keyloop serve`: `kill -9` of the training worker, or of the pool
child running the job, mid-training. The API answers throughout, the worker comes back, the
job is taken over within 30 s and resumes from its last checkpoint, and new jobs work."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.worker.stack import Stack, make_project, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-faults")]

JOB = {"backbone": "efficientnet_lite0", "input_size": 64, "batch_size": 4, "eval_interval": 3}
TAKEOVER_S = 30


class HealthWatch:
    """Polls /health from a thread and keeps every failure (status, error, or > 5 s)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.failures: list[str] = []
        self.answered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                r = httpx.get(f"{self.url}/api/v1/health", timeout=5)
                if r.status_code != 200:
                    self.failures.append(f"{r.status_code}: {r.text[:200]}")
                else:
                    self.answered += 1
            except httpx.HTTPError as exc:
                self.failures.append(repr(exc))
            time.sleep(0.25)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack.create(tmp_path_factory.mktemp("serve-faults"))
    try:
        stack.start_serve()
        yield stack
    finally:
        stack.stop()


def _row(stack: Stack, job_id: int) -> tuple[str, dict[str, Any]]:
    with sqlite3.connect(Path(stack.env["KEYLOOP_DATA_DIR"]) / "keyloop.db") as db:
        state, owner = db.execute(
            "SELECT state, owner FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
    return str(state), json.loads(owner) if owner else {}


def _worker_pid(stack: Stack) -> int:
    lines = [
        line
        for line in stack.log("serve").splitlines()
        if line.startswith(("keyloop: started worker ", "keyloop: restarted worker "))
    ]
    return int(lines[-1].split("(pid ")[1].rstrip(")"))


def _training(stack: Stack, max_steps: int) -> tuple[int, int]:
    """A project and a training job well into its run (past its first `last.pt`)."""
    project_id, _ = make_project(stack, n_images=6, n_labeled=5)
    r = stack.api.post(
        f"/projects/{project_id}/training-jobs", json={**JOB, "max_steps": max_steps}
    )
    assert r.status_code == 202, r.text
    job_id = int(r.json()["id"])
    wait_until(
        lambda: stack.api.get(f"/jobs/{job_id}").json()["progress"].get("step", 0) >= 5,
        240,
        lambda: stack.log("serve")[-4000:],
    )
    return project_id, job_id


def _taken_over(stack: Stack, job_id: int, dead_pid: int) -> None:
    """Within TAKEOVER_S of the kill, another process runs the job (or it failed)."""

    def moved() -> bool:
        state, owner = _row(stack, job_id)
        return state == "failed" or (
            state == "running" and owner.get("pid") not in (None, dead_pid)
        )

    started = time.monotonic()
    wait_until(moved, TAKEOVER_S, lambda: f"not taken over: {_row(stack, job_id)}")
    print(f"job {job_id} taken over {time.monotonic() - started:.1f}s after the kill")


def _resumed_from_checkpoint(stack: Stack, job_id: int) -> None:
    job = stack.wait_for_job(job_id, {"succeeded", "failed", "cancelled"}, 300)
    assert job["state"] == "succeeded", job["error"]
    steps = [h["step"] for h in job["progress"]["history"] if "step" in h]
    # Step 1 was reported before the kill (we waited for step 5): a second one would mean
    # the run started over instead of resuming from `last.pt`.
    assert steps.count(1) == 1 and steps[-1] == job["progress"]["total"], steps


def _new_job_works(stack: Stack, project_id: int) -> None:
    r = stack.api.post(f"/projects/{project_id}/training-jobs", json={**JOB, "max_steps": 4})
    assert r.status_code == 202, r.text
    assert stack.wait_for_job(r.json()["id"], {"succeeded", "failed"}, 300)["state"] == "succeeded"


def test_a_killed_worker_comes_back_and_resumes_its_job_while_the_api_answers(
    served: Stack,
) -> None:
    project_id, job_id = _training(served, max_steps=30)
    watch = HealthWatch(served.api_url)
    try:
        worker = _worker_pid(served)
        _, owner = _row(served, job_id)
        os.kill(worker, signal.SIGKILL)  # the main Celery process; its pool child dies with it
        _taken_over(served, job_id, owner["pid"])
        assert "worker was killed by SIGKILL; restarting it" in served.log("serve")
        assert _worker_pid(served) != worker
        _resumed_from_checkpoint(served, job_id)
        _new_job_works(served, project_id)
    finally:
        watch.stop()
    assert watch.failures == [] and watch.answered > 10


def test_a_killed_pool_child_is_replaced_and_its_job_taken_over_at_once(served: Stack) -> None:
    """Celery redelivers the task of a lost pool child within seconds; the heartbeat is still
    fresh, but the owner's process is gone, so the job is taken over instead of skipped."""
    _, job_id = _training(served, max_steps=30)
    watch = HealthWatch(served.api_url)
    try:
        _, owner = _row(served, job_id)
        os.kill(owner["pid"], signal.SIGKILL)
        _taken_over(served, job_id, owner["pid"])
        _resumed_from_checkpoint(served, job_id)
        assert _row(served, job_id)[1]["takeovers"] == 1
    finally:
        watch.stop()
    assert watch.failures == [] and watch.answered > 10
