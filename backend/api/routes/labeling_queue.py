from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import SessionDep, Viewer
from backend.api.params import IdPath, OffsetQuery
from backend.schemas.image import ImageRead
from backend.schemas.queue import QueueItem, QueueRead, Strategy, UncertainKeypoint
from backend.services.labeling_queue import next_images
from backend.services.projects import get_project

router = APIRouter(tags=["active learning"])


@router.get("/projects/{project_id}/queue")
def get_queue(
    project_id: IdPath,
    _: Viewer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
    offset: OffsetQuery = 0,
    strategy: Annotated[Strategy | None, Query(description="override the project setting")] = None,
    seed: Annotated[int | None, Query(description="repeatable order for `random`")] = None,
) -> QueueRead:
    """The next images to annotate (not done), in order, each with why it was chosen."""
    project = get_project(session, project_id)
    queue = next_images(session, project, limit, strategy, seed, offset)
    return QueueRead(
        strategy=queue.strategy,
        requested_strategy=queue.requested_strategy,
        fallback_reason=queue.fallback_reason,
        model_version_id=queue.model_version_id,
        remaining=queue.remaining,
        items=[
            QueueItem(
                image=ImageRead.model_validate(e.image),
                rank=offset + position,
                score=e.score,
                uncertain_keypoints=[UncertainKeypoint(**k) for k in e.uncertain_keypoints],
            )
            for position, e in enumerate(queue.entries)
        ],
    )
