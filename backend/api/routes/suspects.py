"""Suspect labels, worst first: what the review queue walks (issue 17)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import Reviewer, SessionDep, SettingsDep, Viewer
from backend.api.params import IdPath, OffsetQuery, OptionalIdQuery
from backend.dispatch import commit_and_send
from backend.schemas.suspect import SuspectPage
from backend.schemas.training import JobRead
from backend.services.projects import get_project
from backend.services.suspects import open_suspects, start_scan

router = APIRouter(tags=["label quality"])


@router.get("/projects/{project_id}/suspects")
def list_suspects(
    project_id: IdPath,
    _: Viewer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: OffsetQuery = 0,
    min_score: Annotated[float, Query(ge=0, le=1, allow_inf_nan=False)] = 0.0,
    image_id: OptionalIdQuery = None,
) -> SuspectPage:
    """The project's open suspect labels (their image not saved since they were scored), the
    most likely wrong first; `image_id` narrows to one image."""
    project = get_project(session, project_id)
    return open_suspects(
        session, project, limit=limit, offset=offset, min_score=min_score, image_id=image_id
    )


@router.post("/projects/{project_id}/suspects/scan", status_code=202)
def scan_labels(
    project_id: IdPath, reviewer: Reviewer, session: SessionDep, settings: SettingsDep
) -> JobRead:
    """Score every human label with the active model version now (a `score_labels` job);
    its suspects replace the project's earlier ones. 409 without an active version or while
    another scan of the project is queued or running."""
    project = get_project(session, project_id)
    job = start_scan(session, project, reviewer)
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)
