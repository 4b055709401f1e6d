"""Video identity in exports: frames taken from a Keyloop video are written as that video's
frames, not as loose images.

- DeepLabCut: `labeled-data/<video stem>/img<frame index>.png`, zero-padded to the digits
  DeepLabCut's `extract_frames` uses for the video's length, and the video in config.yaml's
  `video_sets` as `videos/<video file name>` with its full-frame crop, so DeepLabCut's
  tools (which pair a folder with the video of the same stem) find it. On request
  (`videos=true`) the video files themselves are written there too, so the zip is a
  DeepLabCut project that `analyze_videos` can run on as it is.
- SLEAP, on request (`SleapVideo.video`): labels that reference the video file by name and
  frame index, with the video written beside `labels.slp`.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import NotFound
from backend.formats import sleap
from backend.formats.bundle import Sink
from backend.formats.common import Dataset, MediaFrame
from backend.models import Image, Video
from backend.services.storage import LocalBlobStore
from backend.services.videos import safe_stem


class SleapVideo(StrEnum):
    """How a SLEAP export writes frames that come from a video."""

    embedded = "embedded"  # re-encoded PNG frames inside a labels package (.pkg.slp)
    video = "video"  # frame indices into the video file, which is written beside labels.slp


@dataclass(frozen=True)
class VideoFile:
    """A video as an export names it: `folder` is its stem, `file_name` stem + suffix."""

    video: Video
    folder: str
    file_name: str


def video_files(session: Session, images: list[Image]) -> dict[int, VideoFile]:
    """The videos the images' frames come from, by video id. Two videos with the same stem
    (`a.mp4`, `a.avi`) get their checksum's first 8 hex digits, since DeepLabCut pairs a
    labeled-data folder with the video of the same stem."""
    ids = {i.video_id for i in images if i.video_id is not None}
    if not ids:
        return {}
    videos = list(session.scalars(select(Video).where(Video.id.in_(ids)).order_by(Video.id)))
    stems = [safe_stem(v.original_name, v.id) for v in videos]
    counts = Counter(s.lower() for s in stems)
    out = {}
    for video, stem in zip(videos, stems, strict=True):
        if counts[stem.lower()] > 1:
            stem = f"{stem}-{video.checksum[:8]}"
        suffix = PurePosixPath(video.original_name.replace("\\", "/")).suffix
        suffix = suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ".mp4"
        out[video.id] = VideoFile(video, stem, stem + suffix)
    return out


def source_of(image: Image, files: dict[int, VideoFile]) -> tuple[VideoFile, int] | None:
    """The video an image was extracted from and its frame index, if it was."""
    if image.video_id is None or image.frame_index is None or image.video_id not in files:
        return None
    return files[image.video_id], image.frame_index


def dlc_frame_name(video: Video, index: int) -> str:
    """`img<index>.png` padded as DeepLabCut's extract_frames pads it: ceil(log10(frames))."""
    digits = max(1, math.ceil(math.log10(max(video.frame_count, 1))))
    return f"img{index:0{digits}d}.png"


def dlc_video_sets(files: Iterable[VideoFile]) -> dict[str, tuple[str, dict[str, str]]]:
    """labeled-data folder -> (video_sets key, entry) for each video."""
    return {
        f.folder: (
            f"videos/{f.file_name}",
            {"crop": f"0, {f.video.width}, 0, {f.video.height}"},
        )
        for f in files
    }


def media_frame(image: Image, files: dict[int, VideoFile]) -> MediaFrame | None:
    """Where a SLEAP video-backed export finds an image: its video's file and frame index."""
    found = source_of(image, files)
    if found is None:
        return None
    file, index = found
    video = file.video
    return MediaFrame(
        file.file_name, index, video.frame_count, video.width, video.height, video.fps
    )


def write_sleap_video(
    session: Session,
    store: LocalBlobStore,
    dataset: Dataset,
    images: list[Image],
    blobs: list[Path],
    sink: Sink,
) -> None:
    """`labels.slp` with video frames referenced by index, each video with an annotated frame
    beside it (only those: SLEAP labels hold labeled frames); other images embedded."""
    files = video_files(session, images)
    frames = [media_frame(i, files) for i in images]
    with tempfile.TemporaryDirectory(prefix="keyloop-export-") as tmp:
        out = Path(tmp) / "labels.slp"
        sleap.write(dataset, blobs, out, frames=frames)
        sink.write_path("labels.slp", out)
    used = {
        i.video_id for i, item in zip(images, dataset.items, strict=True) if item.points is not None
    }
    write_video_files(store, [f for f in files.values() if f.video.id in used], sink)


def write_video_files(
    store: LocalBlobStore, files: Iterable[VideoFile], sink: Sink, folder: str = ""
) -> None:
    """Each video's stored file as `<folder><file name>`."""
    for file in files:
        path = store.path_for(file.video.checksum)
        if not path.is_file():
            raise NotFound(f"the file of video {file.video.id} ({file.file_name}) is missing")
        sink.write_path(folder + file.file_name, path)
