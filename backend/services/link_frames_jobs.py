"""`link_frames` jobs: the project's images that say they are frames of a video, linked to it
where their pixels are those frames' (`worker/jobs/link_frames.py`; the checking and linking
are `frame_links`', as for an import that brings the video).

Labs import their labeled frames without the (large) videos and upload a video later; an
image says it is frame N of a video by DeepLabCut's rule (`formats/dlc_videos.py`): it is in
the folder named after the video's stem and named `img<N>`. A DeepLabCut import keeps that
folder in the name (`cam1/img005.png` of `labeled-data/cam1/`); Keyloop names its own frames
`<safe stem>/img<NNNNN>.png` (`videos.frame_name`), which they keep when their video is
deleted, so that folder counts too. A SLEAP package names the frames it embeds after their
video and index (`cam1_000120.png`, `formats/sleap_frames.py`): those claim frame 120 of
`cam1.*`. Only images that are no video's frame are claims. An
upload starts the job when an image claims one of the new video's frames; `POST
/videos/{id}/link-frames` starts it again (frames imported after the video).
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.errors import Conflict
from backend.formats.dlc_videos import folder_of, frame_claim, video_stem
from backend.formats.sleap_frames import embedded_frame_index
from backend.models import Image, Job, JobKind, Project, User, Video
from backend.models.ml import ACTIVE_JOB_STATES
from backend.schemas.job_options import LinkFramesOptions
from backend.services.frame_links import ClaimedFrame
from backend.services.jobs import create_job
from backend.services.videos import safe_stem


def claimed_frames(session: Session, video: Video) -> list[ClaimedFrame]:
    """The project's images in the video's folder, or named as frames of it that a SLEAP
    package embedded (`cam1_000120.png`), that are no video's frame (by id; `key` is the
    image's id), with the frame each claims or why it claims none."""
    stem = video_stem(video.original_name)
    folders = {stem, safe_stem(video.original_name, video.id)}
    named = [Image.original_name.contains(f"{f}/", autoescape=True) for f in folders]
    named.append(Image.original_name.startswith(f"{stem}_", autoescape=True))
    rows = session.execute(
        select(Image.id, Image.original_name, Image.checksum, Image.width, Image.height)
        .where(Image.project_id == video.project_id, Image.video_id.is_(None), or_(*named))
        .order_by(Image.id)
    ).all()
    claims = []
    for image_id, name, checksum, width, height in rows:
        embedded = embedded_frame_index(name, stem)
        claim = embedded if embedded is not None else frame_claim(name)
        if embedded is not None or folder_of(name) in folders:
            claims.append(ClaimedFrame(image_id, name, claim, checksum, width, height))
    return claims


def create_link_job(session: Session, project: Project, video: Video, user: User | None) -> Job:
    """409 while a link job of the video is queued or running: a second would check the same
    images again and find nothing left to link."""
    pending = session.scalars(
        select(Job).where(
            Job.project_id == project.id,
            Job.kind == JobKind.link_frames,
            Job.state.in_(ACTIVE_JOB_STATES),
        )
    ).all()
    for job in pending:
        if job.options.get("video_id") == video.id:
            raise Conflict(
                f"the frames of {video.original_name} are being linked already (job {job.id})",
                extra={"job_id": job.id},
            )
    return create_job(session, project, LinkFramesOptions(video_id=video.id), user)


def link_job_for_upload(
    session: Session, project: Project, video: Video, user: User | None
) -> Job | None:
    """The job for a video just added, when an image claims one of its frames (`user` None:
    the command line's)."""
    if any(isinstance(c.claim, int) for c in claimed_frames(session, video)):
        return create_link_job(session, project, video, user)
    return None
