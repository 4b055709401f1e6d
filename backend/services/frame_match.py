"""Whether an image file is a given frame of a video: its pixels against the decoded frame.

An image named as frame N (DeepLabCut's `img<N>.png`) is frame N when the video's frame N
differs from it by at most `MAX_BLOCK_DIFF` on every block and frames N-1 and N+1 do not
match it better. The score is the worst `BLOCK`x`BLOCK` block's mean absolute difference
(grey levels, R, G and B averaged), not the whole image's: two flies moving in a still arena
change the whole frame's mean by 0.06 grey levels from one frame to the next, one block by 1.14.

Measured (PNG frames decoded by another path against PyAV's, on the two real recordings
under ../shared/data, H.264, and synthetic H.264, MPEG-4, MJPEG and FFV1 video): OpenCV 4.8
and 5.1 (what DeepLabCut writes frames through) and the ffmpeg command line give PyAV's
pixels exactly (0.00), except that OpenCV 4 converts a BT.709-tagged video with BT.601's
matrix (worst block 13.0), which is why the frame is also compared converted that way;
ffmpeg with other scaler flags (accurate rounding, full chroma interpolation) differs by up
to 4.9, hence 6. Neighbour frames differ by at least 15 in the test videos, but in the real
fly recording by 1.14 at least (frames 914-915) and by under 4.4 in 5% of its pairs: no
threshold above decoder differences rejects those, comparing with N-1 and N+1 does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Colorspace
from numpy.typing import NDArray

from backend.services.video_files import Frame, FrameReader

BLOCK = 16
MAX_BLOCK_DIFF = 6.0
# Colour matrices other than BT.601, which OpenCV 4 applies to every video whatever its tag.
_OTHER_MATRICES = {int(c) for c in Colorspace} - {int(Colorspace.ITU601)}

Pixels = NDArray[np.uint8]  # (H, W, 3) RGB


@dataclass(frozen=True)
class Claim:
    """An image that says it is frame `index`; `pixels` reads it (RGB as displayed), or gives
    None when it is gone (deleted since it was claimed): then it is no frame."""

    key: int
    index: int
    pixels: Callable[[], Pixels | None]


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    frame: Frame | None  # the video's frame `index` when the image is it, else None


def check_frames(
    path: Path, fps: float, frame_count: int, claims: Iterable[Claim]
) -> Iterator[Verdict]:
    """One verdict per claim, in frame order, decoding forward through the video once (with
    seeks over long gaps, `FrameReader`); a claim's image and three frames are held at a time."""
    ordered = sorted(claims, key=lambda c: c.index)
    wanted = {i for c in ordered for i in (c.index - 1, c.index, c.index + 1)}
    with FrameReader(path, fps) as reader:
        frames = reader.frames(i for i in wanted if 0 <= i < frame_count)
        window: dict[int, _Decoded] = {}
        last, ended = -1, False  # the index of the last frame read; no frame left
        for claim in ordered:
            while not ended and last <= claim.index:  # until frame index + 1 is read
                frame = next(frames, None)
                if frame is None:
                    ended = True
                else:
                    last = frame.index
                    window[frame.index] = _Decoded(frame)
            window = {i: f for i, f in window.items() if i >= claim.index - 1}
            yield Verdict(claim, _matched(claim, window))


class _Decoded:
    """A frame and its RGB conversions, made once though a frame is compared with up to
    three images (as N-1, N and N+1)."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        self._rgb: list[Pixels] | None = None

    def conversions(self) -> list[Pixels]:
        """PyAV's (with the matrix the video is tagged with) and, for a video tagged with
        another matrix than BT.601, BT.601's, as OpenCV 4 converts it."""
        if self._rgb is None:
            self._rgb = [self.frame.pixels()]
            decoded: av.VideoFrame = self.frame.decoded
            if decoded.colorspace in _OTHER_MATRICES:
                as_601 = decoded.reformat(format="rgb24", src_colorspace=Colorspace.ITU601)
                self._rgb.append(np.asarray(as_601.to_ndarray(), dtype=np.uint8))
        return self._rgb


def _matched(claim: Claim, window: dict[int, _Decoded]) -> Frame | None:
    decoded = window.get(claim.index)
    if decoded is None:
        return None
    image = claim.pixels()
    if image is None:
        return None
    score = _score(image, decoded)
    if score is None or score > MAX_BLOCK_DIFF:
        return None
    for other in (claim.index - 1, claim.index + 1):
        if other in window:
            neighbour = _score(image, window[other])
            if neighbour is not None and neighbour < score:
                return None
    return decoded.frame


def _score(image: Pixels, decoded: _Decoded) -> float | None:
    """The image's difference to the frame's closest RGB conversion; None when the sizes
    differ."""
    frame = decoded.frame.decoded
    if image.shape[:2] != (frame.height, frame.width):
        return None
    return min(worst_block_diff(image, rgb) for rgb in decoded.conversions())


def worst_block_diff(a: Pixels, b: Pixels) -> float:
    """The largest mean absolute difference over `BLOCK`-pixel squares (the last row and
    column of blocks may be narrower), in grey levels averaged over the channels."""
    diff = np.maximum(a, b) - np.minimum(a, b)  # |a - b| without leaving uint8
    height, width, channels = diff.shape
    flat = diff.reshape(height, width * channels)  # a block's channels are adjacent columns
    rows = np.arange(0, height, BLOCK)
    cols = np.arange(0, width * channels, BLOCK * channels)
    # uint8, columns first: 4 ms at 720p, where int16 with the channels summed first took 19.
    sums = np.add.reduceat(np.add.reduceat(flat, cols, axis=1, dtype=np.int32), rows, axis=0)
    areas = np.outer(np.diff(rows, append=height), np.diff(cols, append=width * channels))
    return float((sums / areas).max())
