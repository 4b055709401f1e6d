"""`extract_frames` jobs: frames of a video added to its project as images, rows first and
tasks by name, like every job (`services/jobs.py`).

Options carry everything the worker needs: `video_id`, `method`, `count`, `start_frame`,
`end_frame` (the time range converted once, here) and `model_version_id` (`uncertain`).
"""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.models import Job, Project, User, Video
from backend.schemas.job_options import ExtractFramesOptions
from backend.schemas.video import ExtractFramesRequest
from backend.services.jobs import create_job, version_for_prediction


def frame_range(video: Video, start_s: float | None, end_s: float | None) -> tuple[int, int]:
    """[start, end) frame indices of a time range, or 422 when it holds no frame."""
    start = 0 if start_s is None else math.ceil(start_s * video.fps - 1e-9)
    end = (
        video.frame_count if end_s is None else min(video.frame_count, math.ceil(end_s * video.fps))
    )
    if start >= end:
        raise BadInput(
            f"the range holds no frame of video {video.id} ({video.duration_s:.2f} s, "
            f"{video.frame_count} frames)"
        )
    return start, end


def create_extract_job(
    session: Session, project: Project, video: Video, body: ExtractFramesRequest, user: User
) -> Job:
    start, end = frame_range(video, body.start_s, body.end_s)
    chosen: dict[str, int] = {}  # only when set, as rows have always held it
    if body.method == "uncertain":
        chosen["model_version_id"] = version_for_prediction(
            session, project, body.model_version_id
        ).id
    elif body.model_version_id is not None:
        raise BadInput("model_version_id is only used by the 'uncertain' method")
    options = ExtractFramesOptions(
        video_id=video.id,
        method=body.method,
        count=body.count,
        start_frame=start,
        end_frame=end,
        **chosen,
    )
    return create_job(session, project, options, user)
