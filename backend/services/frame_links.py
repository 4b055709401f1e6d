"""Images that say they are frames of a video, checked and linked to it: the one path for an
import that brings the video (`import_videos.py`) and for a video uploaded after its frames
(the `link_frames` job, `worker/jobs/link_frames.py`).

`verify_claims` (no transaction: it decodes the video) keeps the claims whose images are the
frames they name (`frame_match`) and says why each other one is not. `link_images` (in the
caller's unit of work) writes the links as extracted frames have them (`video_id`,
`frame_index`, `frame_time`), each as a compare-and-set: the image is linked only if it is
still in the project, still no video's frame, and no image holds that frame of the video, all
checked by the write itself, so an image deleted, linked or outrun by another writer since it
was checked is left as it now is, never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import av
from PIL import Image as PILImage
from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from backend.models import Image, Video
from backend.services.frame_match import Claim, Pixels, check_frames
from backend.services.storage import LocalBlobStore
from backend.services.video_files import VideoInfo
from imaging.pixels import rgb_pixels

DIFFERENT_PIXELS = "whose pixels differ from that frame's"
NOT_DECODED = "whose frame could not be decoded"
DELETED = "deleted meanwhile"


@dataclass(frozen=True)
class ClaimedFrame:
    """An image that says it is a frame of the video: `claim` is the frame index its name
    gives, or why it gives none (`not named img<N>`)."""

    key: int  # the import's item position, or the image's id
    name: str  # for reports
    claim: int | str
    checksum: str
    width: int
    height: int


@dataclass(frozen=True)
class FrameLink:
    key: int  # as the claim's; `link_images` takes the image's id
    index: int
    time_s: float


@dataclass
class Verified:
    links: list[FrameLink] = field(default_factory=list)
    # Why the other claims are not their frames, in the order the reasons came up: their keys.
    unlinked: dict[str, list[int]] = field(default_factory=dict)

    def refuse(self, why: str, key: int) -> None:
        self.unlinked.setdefault(why, []).append(key)


def verify_claims(
    store: LocalBlobStore,
    checksum: str,
    info: VideoInfo,
    claimed: list[ClaimedFrame],
    tick: Callable[[], None],
) -> Verified:
    """Which images are the frames they claim of the video stored as `checksum`; `tick()` once
    per claim, when it is decided."""
    verified = Verified()
    claims = []
    gone: set[int] = set()  # images whose file was deleted with them since they were claimed

    def pixels(image: ClaimedFrame) -> Pixels | None:
        try:
            with PILImage.open(store.path_for(image.checksum)) as img:
                return rgb_pixels(img)
        except FileNotFoundError:
            gone.add(image.key)
            return None

    for image in claimed:
        index = _frame_index(image, info)
        if isinstance(index, str):
            verified.refuse(index, image.key)
            tick()
        else:
            claims.append(Claim(image.key, index, partial(pixels, image)))
    checked: set[int] = set()
    try:
        for verdict in check_frames(store.path_for(checksum), info.fps, info.frame_count, claims):
            checked.add(verdict.claim.key)
            tick()
            frame = verdict.frame
            if verdict.claim.key in gone:
                verified.refuse(DELETED, verdict.claim.key)
            elif frame is None:
                verified.refuse(DIFFERENT_PIXELS, verdict.claim.key)
            else:  # frame_time as extracted frames have it (`FrameReader`: index / fps)
                verified.links.append(FrameLink(verdict.claim.key, frame.index, frame.time_s))
    except av.FFmpegError:
        for claim in claims:
            if claim.key not in checked:
                verified.refuse(NOT_DECODED, claim.key)
                tick()
    return verified


def _frame_index(image: ClaimedFrame, info: VideoInfo) -> int | str:
    """The frame the image claims, or why it cannot be that frame."""
    if isinstance(image.claim, str):
        return image.claim
    if not 0 <= image.claim < info.frame_count:
        return f"numbered past its {info.frame_count} frames"
    if (image.width, image.height) != (info.width, info.height):
        return f"of size {image.width}x{image.height} vs the video's {info.width}x{info.height}"
    return image.claim


@dataclass
class Linked:
    """What `link_images` did with each link (keys are image ids)."""

    linked: list[FrameLink] = field(default_factory=list)
    already: list[FrameLink] = field(default_factory=list)  # the image is that frame already
    frame_taken: list[FrameLink] = field(default_factory=list)  # another image is that frame
    other_frame: list[FrameLink] = field(default_factory=list)  # the image is another frame
    gone: list[FrameLink] = field(default_factory=list)  # the image left the project


def link_images(session: Session, video: Video, links: list[FrameLink]) -> Linked:
    """Link each image (`FrameLink.key`, its id) to its frame of `video`, compare-and-set
    (flushes only). Images linked here are updated in the session too.

    On SQLite the first write takes the database's one write lock, so nothing changes between
    a write's check and the next. On PostgreSQL a frame another transaction links and has not
    committed when the check runs is caught by the unique (video, frame) constraint instead: the
    unit of work fails rather than link it twice (an import can be run again; a link job writes
    once more itself, and then sees that frame taken)."""
    outcome = Linked()
    holder = aliased(Image)
    for link in links:
        frame_held = (
            select(holder.id)
            .where(holder.video_id == video.id, holder.frame_index == link.index)
            .exists()
        )
        written = session.execute(
            update(Image)
            .where(
                Image.id == link.key,
                Image.project_id == video.project_id,
                Image.video_id.is_(None),
                ~frame_held,
            )
            .values(video_id=video.id, frame_index=link.index, frame_time=link.time_s)
            .returning(Image.id)
            .execution_options(synchronize_session="fetch")
        ).first()
        if written is not None:
            outcome.linked.append(link)
            continue
        now = session.execute(
            select(Image.video_id, Image.frame_index).where(
                Image.id == link.key, Image.project_id == video.project_id
            )
        ).first()
        if now is None:
            outcome.gone.append(link)
        elif (now.video_id, now.frame_index) == (video.id, link.index):
            outcome.already.append(link)
        elif now.video_id is not None:
            outcome.other_frame.append(link)
        else:
            outcome.frame_taken.append(link)
    return outcome
