"""Reading frames by index: every way of reaching a frame (decoding from the start, seeking,
skipping unreferenced frames on the way, a keyframe scan) gives the same index and pixels."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from backend.services.video_files import FrameReader, probe
from tests.video_support import shared_video, write_video


@pytest.fixture(params=["synthetic", "real"])
def video(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "real":
        return shared_video("centered_pair_low_quality.mp4")
    return write_video(tmp_path / "v.mp4", frames=120, width=96, height=64, scenes=3)


@pytest.mark.slow
def test_frames_reached_by_seeking_and_skipping_are_the_decoded_frames(video: Path) -> None:
    info = probe(video, video.name)
    with FrameReader(video, info.fps) as reader:
        every = {f.index: f.pixels() for f in reader.sequential()}
    assert sorted(every) == list(range(info.frame_count))
    rng = random.Random(0)
    for _ in range(3):
        targets = sorted(rng.sample(range(info.frame_count), 25))
        with FrameReader(video, info.fps) as reader:
            got = {f.index: f.pixels() for f in reader.frames(targets)}
        assert sorted(got) == targets
        assert all(np.array_equal(got[i], every[i]) for i in targets)
    with FrameReader(video, info.fps) as reader:
        backwards = [next(iter(reader.frames([t]))).index for t in (50, 10, 49, 11)]
    assert backwards == [50, 10, 49, 11]


@pytest.mark.slow
def test_a_scan_gives_true_indices_and_fewer_frames(video: Path) -> None:
    info = probe(video, video.name)
    with FrameReader(video, info.fps) as reader:
        every = {f.index: f.pixels() for f in reader.sequential()}
        referenced = {f.index: f.pixels() for f in reader.scan(10, 100, keyframes_only=False)}
        keys = [f.index for f in reader.scan(0, info.frame_count, keyframes_only=True)]
    assert 0 < len(referenced) < 90 and min(referenced) >= 10 and max(referenced) < 100
    assert all(np.array_equal(p, every[i]) for i, p in referenced.items())
    assert keys[0] == 0 and len(keys) < info.frame_count / 4


def test_small_gray_is_the_downsampled_luma(video: Path) -> None:
    info = probe(video, video.name)
    with FrameReader(video, info.fps) as reader:
        frame = next(iter(reader.frames([30])))
        small = frame.small_gray(32).astype(float)
        scaled = frame.decoded.reformat(width=32, height=small.shape[0], format="gray")
    assert small.shape == (round(info.height * 32 / info.width), 32)
    # FFmpeg's gray is full range, the Y plane limited (16-235): compare the pictures' shape.
    reference = scaled.to_ndarray().astype(float)
    assert np.corrcoef(small.ravel(), reference.ravel())[0, 1] > 0.95
