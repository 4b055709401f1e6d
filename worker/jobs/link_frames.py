"""`link_frames` jobs (task `keyloop.link_frames`, queue `light`): the project's images that
say they are frames of a video (`services/link_frames_jobs.py`) linked to it where their
pixels are those frames' (`services/frame_links.py`, as an import that brings the video).

Two phases, as imports: *check*, with no transaction open, reads the claims in a short
session, then decodes the video once and compares each image with its frame while
`ProgressReporter` writes `{phase: "checking", step, total}` and the heartbeat and reads the
cancel flag; *record* links the images in one transaction, each a compare-and-set against
what changed meanwhile, and marks the job succeeded with `progress.report` in it. Run again,
it links nothing twice: linked images are no longer claims. No torch: the light worker.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.db.base import utcnow
from backend.db.session import session_scope
from backend.errors import NotFound
from backend.models import Job, JobState, Video
from backend.queue import TASK_LINK_FRAMES
from backend.schemas.job_options import LinkFramesOptions
from backend.services.frame_links import (
    DELETED,
    ClaimedFrame,
    Linked,
    Verified,
    link_images,
    verify_claims,
)
from backend.services.link_frames_jobs import claimed_frames
from backend.services.storage import LocalBlobStore
from backend.services.video_files import VideoInfo
from worker import job_state

LISTED = 10  # names the report gives per reason
# Why a checked image was not linked after all: what changed between the check and the write.
FRAME_TAKEN = "whose frame is another image of the video already"
LINKED_MEANWHILE = "linked to a video meanwhile"


class LinkCancelled(Exception):
    """The job's cancel flag was seen; nothing is linked."""


# Decoding a long video once to check frames spread over it takes minutes, not hours.
@shared_task(name=TASK_LINK_FRAMES, acks_late=True, time_limit=3 * 3600)
def link_frames(job_id: int) -> str:
    return run_link_job(job_id)


def run_link_job(job_id: int) -> str:
    claimed = job_state.claim(job_id, LinkFramesOptions)
    if claimed is None:
        return "skipped"
    options = claimed.options
    return job_state.run_to_end(
        job_id, "frame linking", lambda: _link(job_id, options), LinkCancelled
    )


def _link(job_id: int, options: LinkFramesOptions) -> None:
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    reporter = job_state.ProgressReporter(job_id, interval_s=1.0, keep_history=False)
    reporter.set_phase("reading")
    with session_scope(settings.database_url) as session:
        video = _video(session, options.video_id)
        checksum, info = video.checksum, _info(video)
        claims = claimed_frames(session, video)
    if not store.path_for(checksum).is_file():
        raise NotFound(f"the file of video {options.video_id} is missing from storage")
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        reporter.report({"phase": "checking", "step": done, "total": len(claims)})
        if reporter.should_stop():
            raise LinkCancelled

    verified = verify_claims(store, checksum, info, claims, tick)
    reporter.set_phase("recording", total=len(verified.links))
    for attempt in range(2):
        try:
            _record(settings.database_url, job_id, options.video_id, claims, verified)
            return
        except IntegrityError:
            # PostgreSQL: another transaction linked one of these frames and had not committed
            # when our check ran, so the unique (video, frame) constraint refused the write.
            # Run again, the check sees that link and reports the frame as taken.
            if attempt == 1:
                raise


def _record(
    database_url: str, job_id: int, video_id: int, claims: list[ClaimedFrame], verified: Verified
) -> None:
    with session_scope(database_url) as session:
        job = session.get_one(Job, job_id)
        if job.cancel_requested:
            raise LinkCancelled
        outcome = link_images(session, _video(session, video_id), verified.links)
        report = _report(video_id, claims, verified, outcome)
        job.progress = {**job.progress, "phase": "done", "report": report}
        job.state = JobState.succeeded
        job.finished_at = utcnow()


def _video(session: Session, video_id: int) -> Video:
    video = session.get(Video, video_id)
    if video is None:
        raise NotFound(f"video {video_id} was deleted; its frames stay unlinked")
    return video


def _info(video: Video) -> VideoInfo:
    return VideoInfo(
        fps=video.fps,
        frame_count=video.frame_count,
        duration_s=video.duration_s,
        width=video.width,
        height=video.height,
        codec=video.codec,
    )


def _report(
    video_id: int, claims: list[ClaimedFrame], verified: Verified, outcome: Linked
) -> dict[str, Any]:
    """`{video_id, claimed, linked, image_ids, frame_indices, not_linked: [{reason, count,
    names}]}`: `claimed` counts the unlinked images of the video's folder, `names` are the
    first `LISTED` of each reason's images."""
    names = {c.key: c.name for c in claims}
    why_not = dict(verified.unlinked)
    for why, links in (
        (FRAME_TAKEN, outcome.frame_taken),
        (LINKED_MEANWHILE, outcome.other_frame + outcome.already),
        (DELETED, outcome.gone),
    ):
        if links:
            why_not.setdefault(why, []).extend(link.key for link in links)
    return {
        "video_id": video_id,
        "claimed": len(claims),
        "linked": len(outcome.linked),
        "image_ids": [link.key for link in outcome.linked],
        "frame_indices": [link.index for link in outcome.linked],
        "not_linked": [
            {"reason": why, "count": len(keys), "names": [names[k] for k in keys[:LISTED]]}
            for why, keys in why_not.items()
        ],
    }
