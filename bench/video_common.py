"""Shared by the video benchmarks: a synthetic lab-like video, and a throwaway Keyloop data
dir with a project and that video uploaded through the same services the API uses."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
RESULTS = Path(__file__).resolve().parent / "results"


def synth_video(path: Path, seconds: float, width: int, height: int, fps: float = 30.0) -> Path:
    """A textured static arena with three moving animals (blobs) and sensor noise: decodes
    like camera footage (mostly static background, local motion), unlike flat colours."""
    from backend.services.video_encode import Mp4Writer

    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    small = rng.integers(60, 200, size=(height // 16 + 1, width // 16 + 1, 3)).astype(np.uint8)
    background = np.kron(small, np.ones((16, 16, 1), np.uint8))[:height, :width]
    # A few noise frames cycled: fresh noise per frame would cost more than the encoding.
    noises = [rng.integers(0, 6, size=(height, width, 1), dtype=np.uint8) for _ in range(7)]
    r = height // 14
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    disc = xx**2 + yy**2 <= r * r
    tmp = path.with_suffix(".partial.mp4")
    with Mp4Writer(tmp, fps, width, height, gop=60) as writer:
        for i in range(round(seconds * fps)):
            frame = background + noises[i % len(noises)]
            for k in range(3):  # the animals, moving on Lissajous paths
                t = i / fps * (0.3 + 0.2 * k) + k
                cx = int(width * (0.5 + 0.35 * np.cos(t)))
                cy = int(height * (0.5 + 0.35 * np.sin(1.3 * t)))
                patch = frame[cy - r : cy + r + 1, cx - r : cx + r + 1]
                patch[disc[: patch.shape[0], : patch.shape[1]]] = (30 + 60 * k, 20, 20)
            writer.write(frame)
    os.replace(tmp, path)
    return path


def keyloop_data_dir() -> Path:
    """A fresh data dir for the job code path; call before importing backend settings."""
    folder = Path(tempfile.mkdtemp(prefix="keyloop-bench-video-"))
    os.environ["KEYLOOP_DATA_DIR"] = str(folder)
    os.environ["KEYLOOP_ENV"] = "test"
    return folder


def project_with_video(video: Path, schema: dict[str, Any]) -> tuple[int, int]:
    """Migrate the database, add a project and upload `video` as the API does."""
    from backend.config import get_settings
    from backend.db.migrate import upgrade
    from backend.db.session import session_scope
    from backend.models import Project
    from backend.services import videos
    from backend.services.storage import LocalBlobStore

    settings = get_settings()
    upgrade(settings.database_url)
    store = LocalBlobStore(settings.files_dir)
    with session_scope(settings.database_url) as session:
        project = Project(name="bench", description="", keypoint_schema=schema, settings={})
        session.add(project)
        session.flush()
        with video.open("rb") as source:
            staged = videos.stage_upload(settings, store, video.name, source)
        info = videos.probe_staged(staged)
        row, _ = videos.add_video(session, store, project, staged, info)
        return project.id, row.id


def record(name: str, row: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    row = {**row, "machine": f"{platform.machine()} {os.cpu_count()} cpus (shared; noisy)"}
    with (RESULTS / f"{name}.jsonl").open("a") as out:
        out.write(json.dumps(row) + "\n")
    print(json.dumps(row))
