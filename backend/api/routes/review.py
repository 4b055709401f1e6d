"""Review decisions on an image's labels (reviewer or admin): accept, fix or swap."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backend.api.deps import Reviewer, SessionDep
from backend.api.params import IdPath
from backend.schemas.review import ReviewCreate, ReviewRead
from backend.services.images import get_image_and_project
from backend.services.review import review_image

router = APIRouter(tags=["label quality"])


@router.post("/images/{image_id}/review")
def post_review(
    image_id: IdPath, body: ReviewCreate, user: Reviewer, session: SessionDep, response: Response
) -> ReviewRead:
    """Save the reviewer's decision as a new revision (origin `review`) and mark the image
    reviewed; 409 `version_conflict` with the stored annotation when `version` is stale."""
    image, project = get_image_and_project(session, image_id)
    read = review_image(
        session,
        project,
        image,
        version=body.version,
        decision=body.decision,
        reviewer=user,
        keypoint=body.keypoint,
        keypoints=body.keypoints,
    )
    session.commit()
    response.headers["ETag"] = f'"{read.annotation.version}"'
    return read
