"""Reading video files with PyAV (its wheels bundle FFmpeg): probing, and frames by index.

No database and no torch here, so the API (probe, one neighbour frame), the light worker
(frame extraction) and the main worker (video prediction) share it.

Frame indices are 0-based in presentation order, derived from each frame's timestamp
(`round((t - start) * fps)`), so a frame has the same index whether it was reached by
decoding from the start or by seeking: what "frame 1234" means never depends on how it was
read. For constant-frame-rate video (what cameras record) this is the decode count.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import av.container
import av.video.stream
import numpy as np
from PIL import Image as PILImage

from backend.errors import BadInput

# Seeking costs up to one GOP of decoding; a target closer than this is reached by decoding
# forward from where the reader is.
SEEK_GAP = 48
# Frames nobody references (most B-frames) are skipped while the target is further ahead than
# this; frame threading and reordering delay output by a few frames, hence the margin.
SKIP_MARGIN = 16
LUMA_FORMATS = ("yuv", "yuvj", "gray", "nv12", "nv21")
SkipMode = Literal["DEFAULT", "NONREF", "NONKEY"]
FRAME_PNG_LEVEL = 3  # zlib level: 1080p PNGs at ~4x the speed of level 6, ~10% larger


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frame_count: int
    duration_s: float
    width: int
    height: int
    codec: str


class Frame:
    """A decoded frame; RGB conversion (a few ms at 1080p) happens only when asked for."""

    def __init__(self, index: int, time_s: float, decoded: av.VideoFrame) -> None:
        self.index = index
        self.time_s = time_s
        self.decoded = decoded
        self._image: PILImage.Image | None = None

    @property
    def image(self) -> PILImage.Image:
        if self._image is None:
            self._image = self.decoded.to_image()  # type: ignore[no-untyped-call]
        return self._image

    def pixels(self) -> np.ndarray[Any, np.dtype[np.uint8]]:
        return np.asarray(self.image, dtype=np.uint8)

    def small_gray(self, width: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """Downsampled luma: block means of the Y plane, read in place (no RGB frame and no
        scaler: at 1080p this is ~0.3 ms, FFmpeg's scaler to gray ~5 ms)."""
        f = self.decoded
        height = max(1, round(f.height * width / f.width))
        if not f.format.name.startswith(LUMA_FORMATS) or f.width < 2 * width:
            small = f.reformat(width=width, height=height, format="gray")
            return np.asarray(small.to_ndarray(), dtype=np.uint8)
        plane = f.planes[0]
        luma = np.frombuffer(memoryview(plane), np.uint8).reshape(f.height, plane.line_size)[
            :, : f.width
        ]
        step = max(1, f.width // (4 * width))  # every step-th pixel, then block means
        sparse = luma[::step, ::step]
        bh, bw = max(1, sparse.shape[0] // height), sparse.shape[1] // width
        blocks = sparse[: height * bh, : width * bw].reshape(height, bh, width, bw)
        return np.asarray(blocks.mean(axis=(1, 3)).round(), dtype=np.uint8)


def probe(path: Path, name: str, *, time_limit_s: float = 20.0) -> VideoInfo:
    """What a video's row keeps, or 422 naming the file when it is not a readable video.

    Opens the container (FFmpeg reads only the header), decodes the first frame (a header
    can be fine while the codec data is not), and counts packets when the header has no frame
    count (MKV, some AVI); demuxing does not decode, and the time limit bounds it anyway.
    """
    deadline = time.monotonic() + time_limit_s
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if _is_still_image(container):
                raise BadInput(f"{name}: a still image, not a video; upload it as an image")
            stream = _video_stream(container, name)
            fps = _fps(stream, name)
            first = next(container.decode(stream), None)
            if first is None:
                raise BadInput(f"{name}: the video stream has no decodable frame")
            count = int(stream.frames or 0) or _count_packets(path, deadline, name)
            start = _start_s(stream)
            duration = _duration_s(container, stream, start) or count / fps
            return VideoInfo(
                fps=fps,
                frame_count=count,
                duration_s=duration,
                width=int(first.width),
                height=int(first.height),
                codec=str(stream.codec_context.name)[:50],
            )
    except av.FFmpegError as exc:
        raise BadInput(f"{name}: not a readable video ({exc.strerror or exc})") from exc


def _is_still_image(container: av.container.InputContainer) -> bool:
    # FFmpeg opens PNG, JPEG, … as one-frame "videos" through its image demuxers.
    names = set(container.format.name.split(","))
    return any(n == "image2" or n.endswith("_pipe") for n in names)


def _video_stream(container: av.container.InputContainer, name: str) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise BadInput(f"{name}: the file holds no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return stream


def _fps(stream: av.video.stream.VideoStream, name: str) -> float:
    rate = stream.average_rate or stream.base_rate or stream.guessed_rate
    if not rate or rate <= 0:
        raise BadInput(f"{name}: the video has no frame rate")
    return float(rate)


def _start_s(stream: av.video.stream.VideoStream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _duration_s(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, start: float
) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return max(0.0, container.duration / av.time_base - start)
    return 0.0


def _count_packets(path: Path, deadline: float, name: str) -> int:
    count = 0
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size:
                count += 1
            if count % 1000 == 0 and time.monotonic() > deadline:
                raise BadInput(f"{name}: reading the video's frame count took too long")
    if count == 0:
        raise BadInput(f"{name}: the video stream has no frames")
    return count


class FrameReader:
    """Frames of one video by index, decoding as little as possible: targets far ahead are
    reached by seeking to the keyframe before them, near ones by decoding forward."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps
        self._container = av.open(str(path), metadata_errors="ignore")
        self._stream = _video_stream(self._container, path.name)
        self._start = _start_s(self._stream)
        self._decoder: Iterator[av.VideoFrame] | None = None
        self._next_index = 0  # index of the frame the decoder would give next (about)

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *_: object) -> None:
        self._container.close()

    def index_of(self, frame: av.VideoFrame) -> int:
        if frame.time is None:
            return self._next_index
        return max(0, round((float(frame.time) - self._start) * self.fps))

    def frames(self, indices: Iterable[int]) -> Iterator[Frame]:
        """The frames at `indices` (sorted, unique), each once. A target beyond the end is
        skipped; in variable-rate video a target without its own frame gets the next one."""
        last = -1
        for target in sorted(set(indices)):
            if target <= last:
                continue  # already given: the frame for an earlier target had this index
            found = self._decode_to(target)
            if found is None:
                return  # past the end
            index, frame = found
            last = index
            yield Frame(index, index / self.fps, frame)

    def sequential(self, start: int = 0, stop: int | None = None, step: int = 1) -> Iterator[Frame]:
        """Every `step`-th frame from `start` (decoding all between: the cheap way when most
        frames are wanted)."""
        found = self._decode_to(start)
        while found is not None:
            index, frame = found
            if stop is not None and index >= stop:
                return
            if (index - start) % step == 0:
                yield Frame(index, index / self.fps, frame)
            found = self._next()

    def scan(self, start: int, stop: int, keyframes_only: bool) -> Iterator[Frame]:
        """A cheap pass over [start, stop): only keyframes, or only the frames other frames
        reference (FFmpeg skips decoding the rest), so about 1/GOP or half of the frames."""
        self._seek(start)
        self._set_skip("NONKEY" if keyframes_only else "NONREF")
        try:
            while (found := self._next()) is not None and found[0] < stop:
                if found[0] >= start:
                    yield Frame(found[0], found[0] / self.fps, found[1])
        finally:
            self._set_skip("DEFAULT")
            self._decoder = None  # what follows starts from a fresh seek

    def keyframes(self, start: int, stop: int) -> int:
        """How many keyframes [start, stop) holds, from the packets (no decoding)."""
        count = 0
        time_base = float(self._stream.time_base or 1)
        with av.open(str(self.path), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if packet.is_keyframe and packet.pts is not None:
                    index = round((packet.pts * time_base - self._start) * self.fps)
                    count += start <= index < stop
        return count

    def _decode_to(self, target: int) -> tuple[int, av.VideoFrame] | None:
        if (
            self._decoder is None
            or target < self._next_index
            or target - self._next_index > SEEK_GAP
        ):
            self._seek(target)
        skipped = False
        while True:
            far = target - self._next_index > SKIP_MARGIN
            skipped |= far
            self._set_skip("NONREF" if far else "DEFAULT")
            found = self._next()
            if found is None:
                return None
            index, frame = found
            if index == target or (index > target and not skipped):
                return index, frame
            if index > target:
                # A skipped frame was the target after all (deep reordering): decode fully.
                self._set_skip("DEFAULT")
                self._seek(target)
                skipped = False

    def _set_skip(self, mode: SkipMode) -> None:
        context = self._stream.codec_context
        if context.skip_frame != mode:
            context.skip_frame = mode

    def _next(self) -> tuple[int, av.VideoFrame] | None:
        assert self._decoder is not None
        frame = next(self._decoder, None)
        if frame is None:
            return None
        index = self.index_of(frame)
        self._next_index = index + 1
        return index, frame

    def _seek(self, target: int) -> None:
        time_base = self._stream.time_base or Fraction(1, 1)
        pts = int((self._start + target / self.fps) / time_base)
        self._container.seek(pts, stream=self._stream, backward=True, any_frame=False)
        self._decoder = iter(self._container.decode(self._stream))
        first = self._next()
        if first is None or first[0] > target:
            # The seek landed past the target (odd timestamps): read from the beginning.
            self._container.seek(0, stream=self._stream, backward=True, any_frame=False)
            self._decoder = iter(self._container.decode(self._stream))
            self._next_index = 0
            return
        # Put the frame back in front of the rest.
        self._decoder = _chain(first[1], self._decoder)
        self._next_index = first[0]


def _chain(first: av.VideoFrame, rest: Iterator[av.VideoFrame]) -> Iterator[av.VideoFrame]:
    yield first
    yield from rest


def frame_png(frame: Frame) -> bytes:
    buffer = io.BytesIO()
    frame.image.save(buffer, "PNG", compress_level=FRAME_PNG_LEVEL)
    return buffer.getvalue()
