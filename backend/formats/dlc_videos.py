"""Which video file of a DeepLabCut upload a labeled-data folder's frames come from, and which
frame each image says it is.

DeepLabCut pairs `labeled-data/<stem>/` with the video of the same stem: `create_new_project`
links or copies the videos into `videos/`, and `config.yaml`'s `video_sets` lists them by the
labeller's absolute paths. So a folder's video is a file of the upload with a video suffix and
that stem; when several have it, the one whose base name a `video_sets` key has, then one under
a `videos/` folder, then the shortest name. Keys are matched by base name only: they name the
labeller's machine, and the demo project's is "WILL BE AUTOMATICALLY UPDATED BY DEMO CODE".
An image of the folder says it is frame N by its name, `img<N>.png` (`extract_frames`).
Imported images keep that folder in their name (`cam1/img005.png`, `dlc._frame_name`), so the
same rule finds them again when their video is uploaded later (`services/link_frames_jobs.py`).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from backend.formats.bundle import Bundle
from backend.formats.common import VIDEO_SUFFIXES, FrameClaim, Item, UploadVideo

FRAME_NAME = re.compile(r"img(\d{1,9})")  # DeepLabCut's `img<N>.png`, Keyloop's `img<NNNNN>`
NOT_FRAME_NAMED = "not named img<N>"


def video_stem(video_name: str) -> str:
    """The folder DeepLabCut pairs with a video file: its stem (`videos/cam1.mp4`: `cam1`)."""
    return PurePosixPath(video_name).stem


def folder_of(image_name: str) -> str:
    """The video folder an image's name puts it in (`cam1/img005.png`: `cam1`), or ""."""
    return PurePosixPath(image_name).parent.name


def frame_claim(image_name: str) -> int | str:
    """The frame index an image of a video's folder says it is, or why it names none."""
    match = FRAME_NAME.fullmatch(PurePosixPath(image_name).stem)
    return int(match[1]) if match else NOT_FRAME_NAMED


def claim_frames(
    bundle: Bundle, config: dict[str, Any], places: dict[str, str], items: list[Item]
) -> list[UploadVideo]:
    """Set `video_frame` on each item of a folder whose video is in the upload; the videos,
    by folder. `places`: {items' folder (`cam1`): that folder in the upload
    (`labeled-data/cam1`)}."""
    by_stem: dict[str, list[str]] = {}
    for name in bundle.with_suffix(*VIDEO_SUFFIXES):
        by_stem.setdefault(video_stem(name), []).append(name)
    listed = _video_sets_names(config)

    def preference(name: str) -> tuple[bool, bool, int, str]:
        path = PurePosixPath(name)
        return (path.name not in listed, "videos" not in path.parts[:-1], len(name), name)

    found: dict[str, UploadVideo] = {}
    for folder, where in sorted(places.items()):
        choices = by_stem.get(PurePosixPath(folder).name) if folder not in ("", ".") else None
        if choices:
            found[folder] = UploadVideo(min(choices, key=preference), where)
    for item in items:
        name = item.name or item.file_name
        video = found.get(str(PurePosixPath(name).parent))
        if video is not None:
            item.video_frame = FrameClaim(video, frame_claim(name))
    return list(found.values())


def _video_sets_names(config: dict[str, Any]) -> set[str]:
    video_sets = config.get("video_sets")
    if not isinstance(video_sets, dict):
        return set()
    return {PurePosixPath(str(key).replace("\\", "/")).name for key in video_sets}
