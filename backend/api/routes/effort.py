"""Labeling effort per model version, annotator or day: does the model in the loop save work?"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import Admin, SessionDep
from backend.api.params import IdPath, OptionalIdQuery
from backend.schemas.effort import EffortGroup, EffortReport
from backend.services.effort import effort_report
from backend.services.projects import get_project

router = APIRouter(tags=["admin"])


@router.get("/projects/{project_id}/effort")
def get_effort(
    project_id: IdPath,
    _: Admin,
    session: SessionDep,
    group: EffortGroup = "version",
    user_id: OptionalIdQuery = None,
) -> EffortReport:
    """What the annotators' saves took (accepted-untouched share, clicks and active seconds per
    image), per model version whose predictions they saw, per annotator or per UTC day;
    `user_id` keeps one annotator's saves."""
    return effort_report(session, get_project(session, project_id), group, user_id)
