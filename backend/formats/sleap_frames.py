"""Where the frames of a SLEAP labels file come from, and how to read one.

A SLEAP video is one of:
- embedded in the .slp itself (a labels package, `.pkg.slp`): an HDF5 dataset of encoded
  images (`video0/video`) named by the video's backend metadata. SLEAP 1.x and sleap-io write
  different metadata (SLEAP leaves out `type` and `has_embedded_images`), so a video is taken
  as embedded when its dataset is in the file itself. A virtual crop (sleap-io's format 2.3
  `/video_crops`) is applied: the frame is what SLEAP shows, and the coordinates are the
  crop's.
- a list of image files (`ImageVideo`): the files are looked up in the upload.
- a media file (.mp4, .avi): read from the upload when the user put it beside the .slp,
  looked up by file name, since the path in the file is the labeller's machine's. The file
  is named in `FrameSource.upload`, so the import can attach it as the frames' video.
Frames that are not stored as the original file (embedded with a crop or in BGR order,
video frames) are decoded by sleap-io and encoded as PNG.

A video frame is decoded by sleap-io, not by Keyloop's reader, because `frame_idx` is the
index in SLEAP's decoders' frame order, where the labeller saw it; the import links it to
Keyloop's frame of that index only where the pixels agree (`services/frame_match.py`).
Measured with sleap-io 0.9.5 against Keyloop's PyAV frames (worst 16-px block mean abs
difference): on `centered_pair_low_quality.mp4` (H.264, 1100 frames, 384x384) the plugin
sleap-io picks here (FFMPEG: imageio-ffmpeg; OpenCV's when cv2 is installed) gives Keyloop's
pixels exactly (0.00) at all 1100 indices, and so does its pyav plugin (every 7th index),
neighbour frames being 1.14 or more apart; on `small_robot_3_frame.mp4` (3 frames) FFMPEG
agrees at 0, 1 and 2, but the pyav plugin returns Keyloop's frame i + 1 as frame i (0.00
from it, 128 and more from frame i) and cannot read frame 2: the same index is not always
the same frame. (FFMPEG reads a frame at random in ~0.3 s there, on two busy cores.)
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.formats.common import one_line

Loader = Callable[[], bytes]


def base_name(path: object) -> str:
    """The file name of a path written on Windows or POSIX."""
    return PurePosixPath(str(path).replace("\\", "/")).name


def embedded_frame_stem(video_stem: str, frame_idx: int) -> str:
    """What a frame a SLEAP package embeds is named without its extension: the stem of the
    video it was taken from, and its index there (`cam1_000120`)."""
    return f"{video_stem}_{frame_idx:06d}"


def embedded_frame_index(image_name: str, video_stem: str) -> int | None:
    """The frame of the video `video_stem` an image named as an embedded frame of a SLEAP
    package says it is (`cam1_000120.png`: 120), or None: a video uploaded after such a
    package was imported links its frames by this."""
    path = PurePosixPath(image_name)
    index = path.stem.removeprefix(f"{video_stem}_")
    if path.parent.name or index == path.stem or not (index.isdigit() and len(index) >= 6):
        return None
    return int(index)


@dataclass
class FrameSource:
    """One SLEAP video as Keyloop reads it: the name of each frame and its bytes."""

    video: Any  # the sleap_io.Video frames are read from
    stem: str  # frames are named `<stem>_<frame index>.png` unless they have files
    files: list[str] | None = None  # an image-list video's files, by frame index
    names: list[str] | None = None  # embedded frames' original file names, by frame index
    raw: Any = None  # an HDF5 backend whose stored bytes are the frame as shown
    size: tuple[int, int] | None = None  # (width, height) when a crop makes it known
    upload: str | None = None  # the media file's name in the upload that frames are read from

    def frame(self, origin: str, frame_idx: int) -> tuple[str, Loader | None]:
        if self.files is not None:
            if not 0 <= frame_idx < len(self.files):
                raise BadInput(
                    f"{origin}: frame index outside the video's {len(self.files)} images"
                )
            return self.files[frame_idx], None
        if self.names is not None and 0 <= frame_idx < len(self.names):
            name = self.names[frame_idx]
        else:
            ext = str(getattr(self.raw, "image_format", "png")) if self.raw is not None else "png"
            name = f"{embedded_frame_stem(self.stem, frame_idx)}.{ext}"
        return name, lambda: self._load(origin, frame_idx)

    def _load(self, origin: str, frame_idx: int) -> bytes:
        try:
            data = None if self.raw is None else self.raw.get_frame_raw_bytes(frame_idx)
            if data is not None:
                return bytes(data.tobytes())
            return _png(self.video[frame_idx])
        except Exception as exc:  # h5py and the decoders raise many types for a bad file
            raise BadInput(f"{origin}: the frame cannot be read ({one_line(exc)})") from exc


def _png(pixels: Any) -> bytes:
    from PIL import Image as PILImage

    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    out = io.BytesIO()
    PILImage.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def frame_source(
    name: str,
    labels_path: Path,
    video: Any,
    bundle: Bundle,
    workdir: Path,
    limit: int,
    video_limit: int,
) -> FrameSource:
    """How to read `video`'s frames; `name` is the .slp as uploaded, for messages. A media
    file is read under `video_limit`, everything else under `limit`."""
    meta = video.backend_metadata or {}
    dataset = str(meta.get("dataset") or "")
    if dataset and str(video.filename) in (str(labels_path), "."):
        return _embedded(name, video, dataset)
    if isinstance(video.filename, list):
        return FrameSource(video, "frame", files=[str(f) for f in video.filename])
    return _media(name, video, bundle, workdir, video_limit)


def _embedded(name: str, video: Any, dataset: str) -> FrameSource:
    try:
        video.open()
    except Exception as exc:  # h5py raises many types for a damaged dataset
        raise BadInput(
            f"{name}: the embedded frames in {dataset!r} cannot be read ({one_line(exc)})"
        ) from exc
    backend = video.backend
    inner = getattr(backend, "inner", backend)  # a virtual crop wraps the stored frames
    source = getattr(inner, "source_filename", None) or getattr(video.source_video, "filename", "")
    stem = PurePosixPath(base_name(source or "frame")).stem or "frame"
    shown_as_stored = backend is inner and (
        getattr(inner, "channel_order", "RGB") == "RGB"
        or int(getattr(inner, "_stored_channels", 0) or 0) == 1
    )
    raw = inner if shown_as_stored and hasattr(inner, "get_frame_raw_bytes") else None
    crop = getattr(backend, "crop", None)
    size = (crop[2] - crop[0], crop[3] - crop[1]) if crop is not None else None
    names = None
    origin_files = getattr(video.source_video, "filename", None)
    if isinstance(origin_files, list) and raw is not None:
        # A package made from image files, stored as they were: keep their names.
        names = [base_name(f) for f in origin_files]
    return FrameSource(video, stem, names=names, raw=raw, size=size)


def _media(name: str, video: Any, bundle: Bundle, workdir: Path, limit: int) -> FrameSource:
    wanted = base_name(video.filename)
    found = bundle.resolve(wanted)
    if found is None:
        raise BadInput(
            f"{name}: frames come from the video {wanted!r} ({video.filename}), which is not in "
            "the upload; upload it beside the .slp, or export a labels package (.pkg.slp) "
            "with embedded frames from SLEAP"
        )
    copy = workdir / f"video-{len(list(workdir.iterdir()))}{PurePosixPath(wanted).suffix}"
    bundle.copy_to(found, copy, limit)
    from sleap_io import Video  # type: ignore[import-untyped]

    try:
        opened = Video.from_filename(str(copy))
        opened.open()
        count = len(opened)
    except Exception as exc:  # the video readers raise many types for a bad file
        raise BadInput(f"{found}: not a readable video ({one_line(exc)})") from exc
    if count == 0:
        raise BadInput(f"{found}: the video has no frames")
    return FrameSource(opened, PurePosixPath(wanted).stem or "frame", upload=found)
