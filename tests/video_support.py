"""Small synthetic videos for tests (PyAV), and the real recordings of ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from backend.services.video_encode import Mp4Writer

SHARED_VIDEOS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "formats" / "sleap_io_js"
)


def scene(index: int, width: int, height: int, scenes: int = 1, frames: int = 1) -> np.ndarray:
    """Frame `index`: a bar whose position encodes the index, on a background whose
    colour changes every `frames // scenes` frames (distinct scenes for k-means)."""
    which = index * scenes // max(frames, 1)
    palette = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40), (40, 200, 200)]
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = palette[which % len(palette)]
    if which >= len(palette):
        image[: height // 2] = 255 - image[: height // 2]
    x = (index * 3) % max(1, width - 4)
    image[: height // 4, x : x + 2] = 255
    return image


def write_video(
    path: Path,
    frames: int = 30,
    width: int = 64,
    height: int = 48,
    fps: float = 25.0,
    codec: str = "libx264",
    scenes: int = 1,
) -> Path:
    with Mp4Writer(path, fps, width, height, codec=codec, gop=12) as writer:
        for i in range(frames):
            writer.write(scene(i, width, height, scenes, frames))
    return path


def shared_video(name: str) -> Path:
    """A real recording under ../shared/data (or $KEYLOOP_SHARED_DATA), else skip."""
    roots = [SHARED_VIDEOS]
    if os.environ.get("KEYLOOP_SHARED_DATA"):
        roots.insert(0, Path(os.environ["KEYLOOP_SHARED_DATA"]) / "formats" / "sleap_io_js")
    for root in roots:
        path = root / "videos" / name
        if path.is_file():
            return path
    pytest.skip(f"real video {name} not found under ../shared/data")
