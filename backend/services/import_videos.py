"""The videos of an import: each becomes a project video, and the items that really are the
frames they claim (`Item.video_frame`: DeepLabCut's `img<N>.png` of `labeled-data/<stem>/`
beside `videos/<stem>.mp4`, SLEAP's frames of a video-backed `.slp`) are linked to it
(`video_id`, `frame_index`, `frame_time`), as extracted frames are.

*prepare* (no transaction, after the images are stored): the video is streamed from the
bundle to a staged file as an upload is (`videos.stage_upload`, `max_video_bytes`), probed,
and adopted into the store (a blob this creates goes into `created_blobs`); then each image
that claims frame N and has the video's size is compared with frame N (`frame_match`).
*record* (the import's unit of work): the Video row, or the project's video with the same
checksum, and the links. Checking and linking are `frame_links`', shared with a video uploaded
after its frames. What is not linked stays a plain image and one note per video says why; a
file that is not a readable video is a note too, never a failed import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import BadInput, PayloadTooLarge
from backend.formats.bundle import Bundle
from backend.formats.common import FrameClaim, UploadVideo
from backend.models import Image, Project, Video
from backend.services import videos
from backend.services.frame_links import ClaimedFrame, FrameLink, link_images, verify_claims
from backend.services.images import StoredImage
from backend.services.storage import LocalBlobStore
from backend.services.video_files import VideoInfo

# `progress("videos", done, total)`: images that claim a video's frame checked so far.
Progress = Callable[[str, int, int], None]
_LISTED = 10


@dataclass(frozen=True)
class PreparedVideo:
    name: str  # in the upload: `videos/cam1.mp4`
    where: str  # its frames in the upload, for notes: `labeled-data/cam1`, `labels.slp`
    checksum: str
    size: int
    info: VideoInfo
    links: list[FrameLink]  # keyed by the image's position among the import's items


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
    frames = [
        ClaimedFrame(key, image.original_name, claim, image.checksum, image.width, image.height)
        for key, claim, image in claimed
    ]
    verified = verify_claims(store, checksum, info, frames, tick)
    if verified.unlinked:
        counts = {why: len(keys) for why, keys in verified.unlinked.items()}
        reasons = ", ".join(f"{n} {why}" for why, n in counts.items())
        notes.append(
            f"{upload.where}: {sum(counts.values())} of {len(claimed)} frames are not frames of "
            f"{upload.video} ({reasons}), imported as plain images"
        )
    return verified.links


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
    by_id = [replace(link, key=images[link.key].id) for link in video_file.links]
    # An image linked to its frame already was imported before, linked then: nothing to say.
    outcome = link_images(session, video, by_id)
    parts = []
    if outcome.frame_taken:
        as_what = "another image" if len(outcome.frame_taken) == 1 else "other images"
        parts.append(
            f"the project has {_frames(outcome.frame_taken)} of {video_file.name} as {as_what} "
            "already"
        )
    if outcome.other_frame:
        parts.append(f"the images of {_frames(outcome.other_frame)} are other video frames already")
    if outcome.gone:
        parts.append(f"the images of {_frames(outcome.gone)} were deleted meanwhile")
    if parts:
        count = len(outcome.frame_taken) + len(outcome.other_frame) + len(outcome.gone)
        notes.append(
            f"{video_file.where}: {count} {'frame' if count == 1 else 'frames'} imported "
            f"unlinked: {'; '.join(parts)}"
        )


def _frames(links: list[FrameLink]) -> str:
    """`frame 3`, `frames 3, 12`, `frames 1, 2, ... and 5 more`."""
    indices = [link.index for link in links]
    shown = ", ".join(str(i) for i in sorted(indices)[:_LISTED])
    more = f" and {len(indices) - _LISTED} more" if len(indices) > _LISTED else ""
    return f"{'frame' if len(indices) == 1 else 'frames'} {shown}{more}"
