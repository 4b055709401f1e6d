"""Telling whether an image is a given frame of a video (`services/frame_match.py`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from backend.services.frame_match import (
    MAX_BLOCK_DIFF,
    Claim,
    Pixels,
    check_frames,
    worst_block_diff,
)
from backend.services.video_files import FrameReader, probe
from tests.video_support import shared_video, write_video


def decoded(path: Path, *indices: int) -> dict[int, Pixels]:
    info = probe(path, path.name)
    with FrameReader(path, info.fps) as reader:
        return {f.index: f.pixels() for f in reader.frames(indices)}


def verdicts(path: Path, claims: list[tuple[int, Pixels]]) -> list[bool]:
    """Whether each (claimed index, pixels) is that frame, checked in one pass."""
    info = probe(path, path.name)
    made = [Claim(n, index, partial(np.copy, pixels)) for n, (index, pixels) in enumerate(claims)]
    found = {
        v.claim.key: v.frame is not None
        for v in check_frames(path, info.fps, info.frame_count, made)
    }
    return [found[n] for n in range(len(made))]


def test_the_stillest_neighbour_frame_of_a_real_recording_is_told_apart() -> None:
    """Frames 914 and 915 of the two-fly recording differ less than any other neighbours (one
    block by 1.14 grey levels), well within what decoders differ by: the image matches its
    own frame better than the neighbour, and that decides."""
    video = shared_video("centered_pair_low_quality.mp4")
    frames = decoded(video, 914, 915)
    assert worst_block_diff(frames[914], frames[915]) < MAX_BLOCK_DIFF
    assert verdicts(video, [(914, frames[914]), (914, frames[915]), (915, frames[914])]) == [
        True,
        False,
        False,
    ]


def test_a_frame_matches_itself_and_not_its_neighbours_in_a_synthetic_video(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", frames=40)
    frames = decoded(video, 0, 1, 2, 20, 39)
    claims = [(0, frames[0]), (1, frames[1]), (2, frames[1]), (20, frames[20]), (39, frames[39])]
    claims += [(19, frames[20]), (38, frames[39]), (1, frames[2])]
    assert verdicts(video, claims) == [True, True, False, True, True, False, False, False]


def test_an_image_of_another_size_or_past_the_end_is_no_frame(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", frames=10)
    frame = decoded(video, 3)[3]
    assert verdicts(video, [(3, frame[:, :32]), (12, frame)]) == [False, False]


def test_the_worst_block_counts_a_small_change_that_the_mean_hides() -> None:
    a = np.full((480, 640, 3), 100, np.uint8)
    b = a.copy()
    b[96:112, 192:208] = 140  # one block, 40 grey levels off
    assert np.abs(a.astype(int) - b).mean() < 0.04
    assert worst_block_diff(a, b) == 40.0
    c = a[:, :70].copy()
    d = c.copy()
    d[:, 64:] = 130  # the narrower last column of blocks counts too
    assert worst_block_diff(c, d) == 30.0
