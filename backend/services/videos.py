"""Videos of a project: upload (stream, hash, probe, store), rows, and frames as images.

An upload is streamed to a temporary file under the data dir with the size limit, hashed
while it is written, probed (`video_files.probe`: container header and first frame, no full
decode) and only then moved into the content-addressed store and given its row; a file that
is not a readable video is a 422 and leaves nothing behind. Frames become `Image` rows named
`<video stem>/img<index, 5+ digits>.png`, the layout DeepLabCut's labeled-data uses, so
exports keep the video's identity.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import BadInput, Conflict, NotFound, PayloadTooLarge
from backend.formats.common import video_folder
from backend.models import Image, ImageState, Project, Video
from backend.services.images import ImageRows, StoredImage
from backend.services.storage import LocalBlobStore
from backend.services.video_files import VideoInfo, probe

COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StagedVideo:
    """An uploaded file on disk, hashed, not yet in the store."""

    path: Path
    name: str
    checksum: str
    size: int


def stage_upload(
    settings: Settings, store: LocalBlobStore, name: str, source: IO[bytes]
) -> StagedVideo:
    """Copy the upload to a temporary file in chunks, hashing it; 413 past the limit. The
    file is staged in the store's own folder (so adopting it is a rename on one file system)
    under a `.tmp-` name, which `keyloop gc` removes if a crash leaves it."""
    limit = settings.max_video_bytes
    store.root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=store.root, prefix=".tmp-video-")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(COPY_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"{name}: larger than the {limit}-byte video limit "
                        "(KEYLOOP_MAX_VIDEO_BYTES)"
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise BadInput(f"{name}: empty file")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StagedVideo(Path(tmp), name, digest.hexdigest(), size)


def probe_staged(staged: StagedVideo) -> VideoInfo:
    """Probe outside any transaction; on a 422 the temporary file is removed."""
    try:
        return probe(staged.path, staged.name)
    except BaseException:
        staged.path.unlink(missing_ok=True)
        raise


def add_video(
    session: Session,
    store: LocalBlobStore,
    project: Project,
    staged: StagedVideo,
    info: VideoInfo,
) -> tuple[Video, bool]:
    """The row of a probed upload and whether this call created its blob (the caller removes
    that blob if its commit fails). The same video twice in a project is a 409."""
    existing = session.scalar(
        select(Video).where(Video.project_id == project.id, Video.checksum == staged.checksum)
    )
    if existing is not None:
        staged.path.unlink(missing_ok=True)
        raise Conflict(
            f"{staged.name}: the project already has this video ({existing.original_name}, "
            f"video {existing.id})",
            extra={"video_id": existing.id},
        )
    created = store.adopt(staged.path, staged.checksum)
    return new_video(session, project, staged.name, staged.checksum, staged.size, info), created


def new_video(
    session: Session, project: Project, name: str, checksum: str, size: int, info: VideoInfo
) -> Video:
    """The row of a video whose file is in the store already."""
    video = Video(
        project_id=project.id,
        checksum=checksum,
        original_name=PurePath(name).name[:500] or "video",
        fps=info.fps,
        frame_count=info.frame_count,
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
        size_bytes=size,
        codec=info.codec,
    )
    session.add(video)
    session.flush()
    return video


def get_video(session: Session, video_id: int) -> Video:
    video = session.get(Video, video_id)
    if video is None:
        raise NotFound(f"video {video_id} not found")
    return video


def list_videos(session: Session, project_id: int) -> list[tuple[Video, int, int]]:
    """The project's videos with how many of their frames are project images, and how many
    of those someone labeled (in progress or done; predictions alone are not labels)."""
    return _with_frame_counts(session, Video.project_id == project_id)


def video_with_frame_counts(session: Session, video_id: int) -> tuple[Video, int, int]:
    """One video with its frame counts, as `list_videos` gives them."""
    rows = _with_frame_counts(session, Video.id == video_id)
    if not rows:
        raise NotFound(f"video {video_id} not found")
    return rows[0]


def _with_frame_counts(
    session: Session, which: ColumnElement[bool]
) -> list[tuple[Video, int, int]]:
    labeled = Image.state.in_((ImageState.in_progress, ImageState.done))
    done = func.sum(case((labeled, 1), else_=0))
    counts = (
        select(Image.video_id, func.count().label("n"), done.label("done"))
        .join(Video, (Video.id == Image.video_id) & (Video.project_id == Image.project_id))
        .where(which)
        .group_by(Image.video_id)
        .subquery()
    )
    rows = session.execute(
        select(Video, func.coalesce(counts.c.n, 0), func.coalesce(counts.c.done, 0))
        .outerjoin(counts, counts.c.video_id == Video.id)
        .where(which)
        .order_by(Video.id)
    ).all()
    return [(video, int(n), int(labeled)) for video, n, labeled in rows]


def frame_name(video_name: str, video_id: int, index: int) -> str:
    """`<video stem>/img<index>.png`, as DeepLabCut names extracted frames (5+ digits)."""
    return f"{safe_stem(video_name, video_id)}/img{index:05d}.png"


def safe_stem(video_name: str, video_id: int) -> str:
    """The file name without its suffix, as a folder (DLC's labeled-data/<stem>/) or download
    name: nothing path-like and no quotes in it."""
    return video_folder(video_name) or f"video-{video_id}"


def check_frame_index(video: Video, index: int) -> None:
    if not 0 <= index < video.frame_count:
        raise BadInput(
            f"frame {index} is outside video {video.id} ({video.frame_count} frames, 0-based)"
        )


def existing_frames(session: Session, video_id: int) -> dict[int, int]:
    """{frame index: image id} of the video's frames already in the project."""
    rows = session.execute(
        select(Image.frame_index, Image.id).where(
            Image.video_id == video_id, Image.frame_index.is_not(None)
        )
    ).all()
    return {int(index): int(image_id) for index, image_id in rows if index is not None}


@dataclass(frozen=True)
class StoredFrame:
    index: int
    time_s: float
    image: StoredImage


@dataclass
class FrameRows:
    created: list[Image]
    already_present: list[int]  # frame indices that were project images before
    same_content: list[int]  # frames identical to an image already there (a still scene)


def add_frame_images(
    session: Session, project: Project, video: Video, frames: Iterable[StoredFrame]
) -> FrameRows:
    """Add one image per stored frame unless the frame, or identical pixels, is there."""
    rows = ImageRows(session, project)
    have = existing_frames(session, video.id)
    result = FrameRows(created=[], already_present=[], same_content=[])
    seen: set[str] = set()
    for frame in frames:
        if frame.index in have:
            result.already_present.append(frame.index)
            continue
        if frame.image.checksum in seen or rows.existing(frame.image.checksum) is not None:
            result.same_content.append(frame.index)
            continue
        seen.add(frame.image.checksum)
        image = rows.add(frame.image)
        image.video_id = video.id
        image.frame_index = frame.index
        image.frame_time = frame.time_s
        result.created.append(image)
    session.flush()
    return result
