"""A real Keyloop stack for integration tests: uvicorn and a Celery worker as processes,
sharing a SQLite database and data dir, on the filesystem broker or a real Redis."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from backend.queue import QUEUE_BULK, QUEUE_INFERENCE, QUEUE_LIGHT, QUEUE_TRAIN
from backend.serve import celery_worker_argv, uvicorn_argv
from tests.services import free_port

ADMIN = ("admin@example.com", "admin-password")
KEYPOINTS = ["head", "tail"]


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    api_url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    client: httpx.Client | None = None

    @staticmethod
    def create(root: Path, broker_url: str | None = None) -> Stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEYLOOP_")}
        env.update(
            KEYLOOP_DATA_DIR=str(root / "data"),
            KEYLOOP_ENV="test",
            KEYLOOP_ADMIN_EMAIL=ADMIN[0],
            KEYLOOP_ADMIN_PASSWORD=ADMIN[1],
            KEYLOOP_DEVICE="cpu",
            OMP_NUM_THREADS="1",
        )
        if broker_url:
            env["KEYLOOP_BROKER_URL"] = broker_url
            env["KEYLOOP_RESULT_BACKEND"] = broker_url
        stack = Stack(root, env)
        stack.run_cli("db", "upgrade")
        stack.run_cli("users", "ensure-admin")
        return stack

    def run_cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "backend.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    def python(self, code: str) -> str:
        out = subprocess.run(
            [sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    def _start(self, name: str, argv: list[str]) -> None:
        log = (self.root / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_api(self) -> None:
        port = free_port()
        self._start("api", uvicorn_argv("backend.app:create_app", "127.0.0.1", port))
        self.api_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _ok(f"{self.api_url}/api/v1/health"), 60, "API did not start")
        self._login()

    def start_serve(self) -> None:
        """`keyloop serve`: the API, both workers and beat under one supervisor, as a user
        runs them; returns once the API answers and both workers and beat are ready."""
        port = free_port()
        argv = [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)]
        self._start("serve", argv)
        self.api_url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            text = self.log("serve")
            up = text.count(" ready.") >= 2 and "beat: Starting" in text
            return up and _ok(f"{self.api_url}/api/v1/health")

        wait_until(ready, 120, lambda: f"serve did not come up:\n{self.log('serve')[-4000:]}")
        self._login()

    def _login(self) -> None:
        self.client = httpx.Client(base_url=f"{self.api_url}/api/v1", timeout=30)
        r = self.client.post("/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        assert r.status_code == 200, r.text
        self.client.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    def start_worker(self) -> None:
        queues = ",".join((QUEUE_TRAIN, QUEUE_INFERENCE, QUEUE_BULK))
        self._start("worker", celery_worker_argv("worker.celery_app", queues, _unique("test")))

    def start_import_worker(self) -> None:
        """The light worker `keyloop serve` runs beside the main one, for work without a model."""
        queues = QUEUE_LIGHT
        self._start("importer", celery_worker_argv("worker.import_app", queues, _unique("imp")))

    def kill(self, name: str) -> None:
        proc = self.processes.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for name in list(self.processes):
            proc = self.processes.pop(name)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    @property
    def api(self) -> httpx.Client:
        assert self.client is not None
        return self.client

    def wait_for_job(self, job_id: int, states: set[str], timeout_s: float = 240) -> dict[str, Any]:
        job: dict[str, Any] = {}

        def done() -> bool:
            nonlocal job
            job = self.api.get(f"/jobs/{job_id}").json()
            return job["state"] in states

        def stuck() -> str:
            logs = [self.log(name)[-3000:] for name in self.processes if name != "api"]
            return f"job {job_id} stuck: {job}\n" + "\n".join(logs)

        wait_until(done, timeout_s, stuck)
        return job


def _unique(prefix: str) -> str:
    return f"{prefix}{time.time_ns()}"


def _ok(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(
    predicate: Callable[[], bool], timeout_s: float, message: str | Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(message() if callable(message) else message)


def synthetic_image(seed: int, size: int = 96) -> tuple[bytes, list[tuple[float, float]]]:
    """Noise with a bright red 'head' and a blue 'tail' blob: a task a tiny model can learn."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    points = [
        (float(rng.uniform(15, size - 15)), float(rng.uniform(15, size - 15))) for _ in KEYPOINTS
    ]
    yy, xx = np.mgrid[0:size, 0:size]
    for (x, y), channel in zip(points, (0, 2), strict=True):
        blob = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 3.0**2))
        pixels[..., channel] = np.maximum(pixels[..., channel], (255 * blob).astype(np.uint8))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue(), points


def make_project(stack: Stack, n_images: int = 12, n_labeled: int = 8) -> tuple[int, list[int]]:
    r = stack.api.post(
        "/projects",
        json={
            "name": f"synthetic-{time.time_ns()}",
            "keypoint_schema": {"keypoints": [{"name": n} for n in KEYPOINTS]},
            "settings": {"validation_fraction": 0.25},
        },
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    images = [synthetic_image(i) for i in range(n_images)]
    files = [("files", (f"img{i}.png", data, "image/png")) for i, (data, _) in enumerate(images)]
    created = stack.api.post(f"/projects/{pid}/images", files=files).json()["created"]
    ids = [c["id"] for c in created]
    for image_id, (_, points) in list(zip(ids, images, strict=True))[:n_labeled]:
        body = {
            "version": 0,
            "keypoints": [
                {"name": n, "x": x, "y": y, "visibility": "visible"}
                for n, (x, y) in zip(KEYPOINTS, points, strict=True)
            ],
        }
        assert stack.api.put(f"/images/{image_id}/annotation", json=body).status_code == 200
    return pid, ids


def zip_of_images(coco: dict[str, Any], files: dict[str, bytes]) -> bytes:
    """A COCO export as a zip: `annotations.json` and the image files by name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("annotations.json", json.dumps(coco))
        for name, data in files.items():
            archive.writestr(name, data)
    return buf.getvalue()
