"""The videos of an import: each becomes a project video, and the items that really are the
frames they claim (`Item.video_frame`: DeepLabCut's `img<N>.png` of `labeled-data/<stem>/`
beside `videos/<stem>.mp4`, SLEAP's frames of a video-backed `.slp`) are linked to it
(`video_id`, `frame_index`, `frame_time`), as extracted frames are.

*prepare* (no transaction, after the images are stored): the video is streamed from the
bundle to a staged file as an upload is (`videos.stage_upload`, `max_video_bytes`), probed,
and adopted into the store (a blob this creates goes into `created_blobs`); then each image
that claims frame N and has the video's size is compared with frame N (`frame_match`).
*record* (the import's unit of work): the Video row, or the project's video with the same
checksum, and the links. What is not linked stays a plain image and one note per video says
why; a file that is not a readable video is a note too, never a failed import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import av
from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import BadInput, PayloadTooLarge
from backend.formats.bundle import Bundle
from backend.formats.common import FrameClaim, UploadVideo
from backend.models import Image, Project, Video
from backend.services import videos
from backend.services.frame_match import Claim, Pixels, check_frames
from backend.services.images import StoredImage
from backend.services.storage import LocalBlobStore
from backend.services.video_files import VideoInfo
from imaging.pixels import rgb_pixels

# `progress("videos", done, total)`: images that claim a video's frame checked so far.
Progress = Callable[[str, int, int], None]
_LISTED = 10


@dataclass(frozen=True)
class FrameLink:
    item: int  # the image's position among the import's items
    index: int
    time_s: float


@dataclass(frozen=True)
class PreparedVideo:
    name: str  # in the upload: `videos/cam1.mp4`
    where: str  # its frames in the upload, for notes: `labeled-data/cam1`, `labels.slp`
    checksum: str
    size: int
    info: VideoInfo
    links: list[FrameLink]


def prepare_videos(
    store: LocalBlobStore,
    settings: Settings,
    bundle: Bundle,
    upload_videos: list[UploadVideo],
    claims: list[FrameClaim | None],
    images: list[StoredImage],
    *,
    created_blobs: list[str],
    notes: list[str],
    progress: Progress | None = None,
) -> list[PreparedVideo]:
    """`claims` and `images`: each item's claim and stored image, in item order. Notes go to
    `notes`, one per video, in `upload_videos` order."""
    members: dict[UploadVideo, list[tuple[int, int | str]]] = {v: [] for v in upload_videos}
    for position, claim in enumerate(claims):
        if claim is not None and claim.video in members:
            members[claim.video].append((position, claim.index))
    total, done = sum(len(m) for m in members.values()), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress("videos", done, total)

    prepared = []
    for upload in upload_videos:
        claimed = [(position, index, images[position]) for position, index in members[upload]]
        staged = _stage(store, settings, bundle, upload, created_blobs, notes)
        if staged is None:
            for _ in claimed:
                tick()
            continue
        checksum, size, info = staged
        links = _links(store, upload, checksum, info, claimed, notes, tick)
        prepared.append(PreparedVideo(upload.video, upload.where, checksum, size, info, links))
    return prepared


def _stage(
    store: LocalBlobStore,
    settings: Settings,
    bundle: Bundle,
    upload: UploadVideo,
    created_blobs: list[str],
    notes: list[str],
) -> tuple[str, int, VideoInfo] | None:
    """The video in the store, probed, or None with a note saying why it is not a video."""
    try:
        with bundle.open(upload.video) as source:
            staged = videos.stage_upload(settings, store, upload.video, source)
        info = videos.probe_staged(staged)
    except (BadInput, PayloadTooLarge) as exc:
        notes.append(f"{exc.detail}; its frames are imported as plain images")
        return None
    if store.adopt(staged.path, staged.checksum):
        created_blobs.append(staged.checksum)
    return staged.checksum, staged.size, info


def _links(
    store: LocalBlobStore,
    upload: UploadVideo,
    checksum: str,
    info: VideoInfo,
    claimed: list[tuple[int, int | str, StoredImage]],
    notes: list[str],
    tick: Callable[[], None],
) -> list[FrameLink]:
    """The claims whose images are the frames they claim; a note counts the others."""
    unlinked: Counter[str] = Counter()
    claims = []
    for position, claim, image in claimed:
        index = _frame_index(claim, image, info)
        if isinstance(index, str):
            unlinked[index] += 1
            tick()
        else:
            claims.append(Claim(position, index, partial(_pixels, store, image.checksum)))
    links: list[FrameLink] = []
    checked = 0
    try:
        for verdict in check_frames(store.path_for(checksum), info.fps, info.frame_count, claims):
            checked += 1
            tick()
            frame = verdict.frame
            if frame is None:
                unlinked["whose pixels differ from that frame's"] += 1
            else:  # frame_time as extracted frames have it (`FrameReader`: index / fps)
                links.append(FrameLink(verdict.claim.key, frame.index, frame.time_s))
    except av.FFmpegError:
        unlinked["whose frame could not be decoded"] += len(claims) - checked
        for _ in range(len(claims) - checked):
            tick()
    if unlinked:
        reasons = ", ".join(f"{n} {why}" for why, n in unlinked.items())
        notes.append(
            f"{upload.where}: {unlinked.total()} of {len(claimed)} frames are not frames of "
            f"{upload.video} ({reasons}), imported as plain images"
        )
    return links


def _frame_index(claim: int | str, image: StoredImage, info: VideoInfo) -> int | str:
    """The frame the image claims, or why it cannot be that frame."""
    if isinstance(claim, str):
        return claim
    if not 0 <= claim < info.frame_count:
        return f"numbered past its {info.frame_count} frames"
    if (image.width, image.height) != (info.width, info.height):
        return f"of size {image.width}x{image.height} vs the video's {info.width}x{info.height}"
    return claim


def _pixels(store: LocalBlobStore, checksum: str) -> Pixels:
    with PILImage.open(store.path_for(checksum)) as img:
        return rgb_pixels(img)


def record_videos(
    session: Session,
    project: Project,
    prepared: list[PreparedVideo],
    images: list[Image],
    notes: list[str],
) -> None:
    """Phase 2 (flushes only): `images` are the rows of the import's items, in item order
    (new ones, or the project's image of the same checksum)."""
    for video_file in prepared:
        video = session.scalar(
            select(Video).where(
                Video.project_id == project.id, Video.checksum == video_file.checksum
            )
        )
        if video is None:
            video = videos.new_video(
                session,
                project,
                video_file.name,
                video_file.checksum,
                video_file.size,
                video_file.info,
            )
        _link(session, video, video_file, images, notes)
    session.flush()


def _link(
    session: Session,
    video: Video,
    video_file: PreparedVideo,
    images: list[Image],
    notes: list[str],
) -> None:
    taken = videos.existing_frames(session, video.id)
    other_image: list[int] = []  # frame indices the project has as another image
    other_frame: list[int] = []  # images that are another frame already
    for link in video_file.links:
        image = images[link.item]
        if (image.video_id, image.frame_index) == (video.id, link.index):
            continue  # imported before, linked then
        if image.video_id is not None:
            other_frame.append(link.index)
        elif taken.get(link.index, image.id) != image.id:
            other_image.append(link.index)
        else:
            image.video_id, image.frame_index, image.frame_time = video.id, link.index, link.time_s
            taken[link.index] = image.id
    parts = []
    if other_image:
        as_what = "another image" if len(other_image) == 1 else "other images"
        parts.append(
            f"the project has {_frames(other_image)} of {video_file.name} as {as_what} already"
        )
    if other_frame:
        parts.append(f"the images of {_frames(other_frame)} are other video frames already")
    if parts:
        count = len(other_image) + len(other_frame)
        notes.append(
            f"{video_file.where}: {count} {'frame' if count == 1 else 'frames'} imported "
            f"unlinked: {'; '.join(parts)}"
        )


def _frames(indices: list[int]) -> str:
    """`frame 3`, `frames 3, 12`, `frames 1, 2, ... and 5 more`."""
    shown = ", ".join(str(i) for i in sorted(indices)[:_LISTED])
    more = f" and {len(indices) - _LISTED} more" if len(indices) > _LISTED else ""
    return f"{'frame' if len(indices) == 1 else 'frames'} {shown}{more}"
