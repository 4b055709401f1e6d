"""Where the frames of a CVAT video task are in an upload, and how to read one.

CVAT's "Save images" writes every frame of the task as `images/frame_<frame:06d>.PNG` (its
frame providers' `VIDEO_FRAME_EXT`, upper case; the frame number is the video's, six digits),
decoded by PyAV and encoded by OpenCV. A frame image is found by that name in any folder and
any case, `.jpg` too (a zip packed again elsewhere), and only the frames imported are read.

The task's video is the upload's video file with the base name of `<source>` (CVAT writes the
uploaded file's base name there; the labeller may keep it anywhere in the upload), or the one
video of the upload when the file names none (a job export). Its frames are decoded by
Keyloop's reader (`services/video_files.py`): PyAV in presentation order, CVAT's numbering of a
constant-rate video, and the frames a project video's frames are checked against, so the
images are the pixels Keyloop shows for that frame.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path, PurePosixPath

import av

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.formats.common import VIDEO_SUFFIXES
from backend.services.video_files import FrameReader, VideoInfo, frame_png, probe

# CVAT's name of a video task's frame (`bindings.py`: "frame_{:06d}", the video's frame number),
# the `<image name>` of its "CVAT for images" export; the image file adds the suffix.
FRAME_NAME = re.compile(r"frame_(\d{1,9})")
FRAME_FILE = re.compile(FRAME_NAME.pattern + r"\.(png|jpe?g)", re.IGNORECASE)


class FrameSources:
    """The frame images and the videos of an upload, by frame number and by name."""

    def __init__(self, bundle: Bundle, workdir: Path, video_limit: int) -> None:
        self.bundle, self.workdir, self.video_limit = bundle, workdir, video_limit
        self._images: dict[int, str] | None = None

    def image(self, frame: int) -> str | None:
        """The upload's name of the frame's image, preferring one under an `images/` folder."""
        if self._images is None:
            found: dict[int, list[str]] = {}
            for name in self.bundle.names():
                match = FRAME_FILE.fullmatch(PurePosixPath(name).name)
                if match:
                    found.setdefault(int(match[1]), []).append(name)
            self._images = {n: min(names, key=_preference) for n, names in found.items()}
        return self._images.get(frame)

    def videos(self) -> list[str]:
        return self.bundle.with_suffix(*VIDEO_SUFFIXES)

    def video(self, source: str | None) -> str | None:
        """The task's video in the upload: the one named `source`, else the only one."""
        videos = self.videos()
        if source is None:
            return videos[0] if len(videos) == 1 else None
        wanted = PurePosixPath(source.replace("\\", "/")).name
        named = [v for v in videos if PurePosixPath(v).name == wanted]
        return min(named, key=_preference) if named else None

    def decoder(
        self, where: str, video: str, frames: list[int], size: tuple[int, int] | None
    ) -> VideoFrames:
        """`frames` of the upload's `video`, read from a copy; a video that cannot be read or
        whose frames are not `size` fails here, before any frame is stored."""
        copy = self.workdir / f"cvat-video{PurePosixPath(video).suffix}"
        self.bundle.copy_to(video, copy, self.video_limit)
        info = probe(copy, video)
        if size is not None and size != (info.width, info.height):
            raise BadInput(
                f"{where}: <original_size> says the frames are {size[0]}x{size[1]}, but "
                f"{video}'s are {info.width}x{info.height}; is it the task's video?"
            )
        return VideoFrames(copy, video, info, frames)


def _preference(name: str) -> tuple[bool, int, str]:
    """Of files with the same name: one in an `images/` folder (CVAT's), then the shallowest."""
    return ("images" not in PurePosixPath(name).parts[:-1], len(name), name)


class VideoFrames:
    """Frames of one video as PNG, decoded on demand in ascending order by one reader, which is
    closed once the last wanted frame is read (the import reads its items in order)."""

    def __init__(self, path: Path, name: str, info: VideoInfo, wanted: list[int]) -> None:
        self.path, self.name, self.info = path, name, info
        self._left = set(wanted)
        self._open = ExitStack()
        self._reader: FrameReader | None = None

    def loader(self, origin: str, index: int) -> Callable[[], bytes]:
        return lambda: self._load(origin, index)

    def _load(self, origin: str, index: int) -> bytes:
        if self._reader is None:
            self._reader = self._open.enter_context(FrameReader(self.path, self.info.fps))
        try:
            frame = next(self._reader.frames([index]), None)
            png = None if frame is None or frame.index != index else frame_png(frame)
        except av.FFmpegError as exc:
            why = f"{origin}: frame {index} of {self.name} cannot be decoded"
            raise BadInput(f"{why} ({exc.strerror or exc})") from exc
        self._left.discard(index)
        if not self._left:
            self._open.close()
            self._reader = None
        if png is None:
            raise BadInput(
                f"{origin}: {self.name} has no frame {index} (its frames are 0 to "
                f"{self.info.frame_count - 1} at {self.info.fps:g} fps); is it the task's video?"
            )
        return png
