"""Writing H.264 MP4 files with PyAV: the labeled preview of a video prediction, and the
synthetic videos of tests and benchmarks.

yuv420p with even dimensions and `+faststart` is what every browser's <video> plays.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container
import av.video.stream
import numpy as np
from PIL import Image as PILImage


def even(value: int) -> int:
    return max(2, value - value % 2)


class Mp4Writer:
    """Frames in, an MP4 out; frames of another size are resized to the writer's."""

    def __init__(
        self,
        path: Path,
        fps: float,
        width: int,
        height: int,
        *,
        codec: str = "libx264",
        crf: int = 23,
        gop: int | None = None,
    ) -> None:
        self.width, self.height = even(width), even(height)
        # The index in front, so a browser starts playing before the whole file arrived.
        fast = {"movflags": "+faststart"} if path.suffix.lower() in (".mp4", ".mov") else {}
        self._container: av.container.OutputContainer = av.open(str(path), "w", options=fast)
        rate = Fraction(fps).limit_denominator(1001)
        stream = self._container.add_stream(codec, rate=rate)
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height = self.width, self.height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        options: dict[str, object] = (
            {"crf": str(crf), "preset": "veryfast"} if codec == "libx264" else {}
        )
        if gop is not None:
            stream.codec_context.gop_size = gop
        stream.options = options
        self._stream: av.video.stream.VideoStream = stream

    def write(self, image: PILImage.Image | np.ndarray[Any, np.dtype[np.uint8]]) -> None:
        if isinstance(image, np.ndarray):
            image = PILImage.fromarray(image)
        if image.size != (self.width, self.height):
            image = image.resize((self.width, self.height), PILImage.Resampling.BILINEAR)
        frame = av.VideoFrame.from_image(image.convert("RGB"))  # type: ignore[no-untyped-call]
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
