"""The neutral in-memory form every format reads into and writes from.

Coordinates are `xy_image`: pixels of the image as displayed, origin at the top-left corner,
exactly as Keyloop stores them; formats convert nothing except where their own convention
differs (none of the supported ones does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from backend.errors import BadInput

Visibility = Literal["unlabeled", "visible", "occluded"]
# Files an import takes as videos: those the admin page sends as videos
# (frontend/src/core/fileSelection.ts, VIDEO_EXTENSIONS), lower case.
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
# The animal's name when a file gives none (not remembered for exports: the project's is better).
UNNAMED = "animal"


@dataclass(frozen=True)
class Keypoint:
    x: float | None
    y: float | None
    visibility: Visibility
    # Per-keypoint confidence of a prediction; None for human labels.
    score: float | None = None


UNLABELED = Keypoint(None, None, "unlabeled")


@dataclass
class Item:
    """One image and (optionally) its single animal's keypoints, in `Dataset.keypoint_names`
    order. `points is None` means the image has no annotation at all."""

    file_name: str
    points: list[Keypoint] | None
    width: int | None = None
    height: int | None = None
    # Where the item came from, for error messages: "annotations.json: annotation 7".
    origin: str = ""
    score: float | None = None
    # Reads the encoded image when the annotation file embeds it (SLEAP .slp); called once,
    # when the item is imported, so embedded frames are never all in memory together.
    load_image: Callable[[], bytes] | None = None
    # The image's name in Keyloop when it is not `file_name` (DeepLabCut drops `labeled-data/`).
    name: str | None = None
    # Coordinates are fractions of the image's width and height (YOLO), scaled to pixels
    # once the image is decoded.
    normalized: bool = False
    # The frame of an upload video the item says it is; linked to it only if it is that frame.
    video_frame: FrameClaim | None = None


@dataclass(frozen=True)
class MediaFrame:
    """A frame of a video file an export references instead of embedding the image:
    `file_name` is the video's name beside the annotation file."""

    file_name: str
    frame_index: int
    frame_count: int
    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class UploadVideo:
    """A video file of the upload that items say they are frames of (`Item.video_frame`):
    the import attaches it as a project video and links each item that really is the frame
    it says (`services/import_videos.py`). DeepLabCut's `labeled-data/<stem>/img<N>.png`
    beside `videos/<stem>.mp4` (`dlc_videos`); SLEAP's frames of a video-backed `.slp`; the
    keyframes of a CVAT for video file beside its task's video (`cvat_video`)."""

    video: str  # the video's name in the upload: `videos/cam1.mp4`
    where: str  # where its frames are in the upload, for notes: `labeled-data/cam1`, `a.slp`


@dataclass(frozen=True)
class FrameClaim:
    video: UploadVideo
    # The frame index the item says it is, or why it names none (`not named img<N>`): an
    # item among a video's frames that names none is counted in the video's note.
    index: int | str


@dataclass
class Dataset:
    keypoint_names: list[str]
    skeleton: list[tuple[str, str]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    # The category / label / task name the format gives the animal.
    name: str = UNNAMED
    # The annotation file item names are relative to (resolved against it first).
    anchor: str = ""
    # Things that were read but dropped (extra instances, extra categories), for the report.
    notes: list[str] = field(default_factory=list)
    # What an export back to the same format needs and Keyloop's schema has no place for
    # (DeepLabCut's scorer and config.yaml), stored as `Project.format_metadata`: JSON only.
    metadata: dict[str, Any] = field(default_factory=dict)
    # The videos items claim frames of, in the order notes about them are written.
    videos: list[UploadVideo] = field(default_factory=list)


def labeled(x: float | None, y: float | None, visibility: Visibility) -> Keypoint:
    """A point that is unlabeled unless it has finite coordinates."""
    if visibility == "unlabeled" or x is None or y is None or not (finite(x) and finite(y)):
        return UNLABELED
    return Keypoint(float(x), float(y), visibility)


def finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def check_names(where: str, names: list[str]) -> list[str]:
    """Strip names (Keyloop's schema strips them too) and refuse blanks and repeats."""
    cleaned = [str(n).strip() for n in names]
    if not cleaned or any(not n for n in cleaned):
        raise BadInput(f"{where}: keypoint names must be non-empty, got {names}")
    repeated = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if repeated:
        raise BadInput(f"{where}: keypoint names repeated: {repeated}")
    return cleaned


def check_skeleton(where: str, names: list[str], edges: list[tuple[str, str]]) -> None:
    for a, b in edges:
        unknown = sorted({a, b} - set(names))
        if unknown:
            raise BadInput(f"{where}: skeleton edge ({a}, {b}) names unknown keypoints {unknown}")


def one_line(exc: BaseException) -> str:
    """A library's error message on one line (YAML and HDF5 errors span several)."""
    return " ".join(str(exc).split())


def to_float(where: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise BadInput(f"{where}: {text!r} is not a number") from exc
    if not finite(value):
        raise BadInput(f"{where}: {text!r} is not a finite number")
    return value


def relative_name(name: str) -> str | None:
    """`name` as a clean relative POSIX path (`v1/img.png`), or None when it is not one:
    empty, absolute (`/x`, `C:/x`), climbing out (`..`) or holding control characters.
    Image names become paths inside exported zips and folders, so they go through this."""
    path = name.replace("\\", "/").strip()
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if (
        not parts
        or path.startswith("/")
        or parts[0].endswith(":")
        or ".." in parts
        or any(ord(c) < 32 or ord(c) == 127 for c in path)
    ):
        return None
    return "/".join(parts)


def video_folder(video_name: str) -> str:
    """A video file's stem as the folder its frames are named in (`cam1.mp4`: `cam1/img00012.png`,
    DeepLabCut's `labeled-data/cam1/`): nothing path-like and no quotes; "" when none is left."""
    return re.sub(r"[^\w\- .]", "_", PurePosixPath(video_name).stem).strip(" .")


def image_name(reference: str, fallback: str) -> str:
    """The name an imported image keeps: the annotation file's relative path to it (so
    `data/exp_1/frame_1.jpg` stays that), else `fallback` (where the file was found in the
    upload), else the bare file name."""
    for candidate in (reference, fallback):
        name = relative_name(candidate)
        if name is not None:
            return name
    return PurePosixPath(reference.replace("\\", "/")).name or "image"
