from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import Conflict, NotFound
from backend.models import Image, Project
from backend.schemas.project import ImageCounts, ProjectCreate, ProjectSettings, ProjectUpdate


def get_project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


def list_projects(session: Session) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.id)))


def create_project(session: Session, data: ProjectCreate) -> Project:
    ensure_name_free(session, data.name)
    project = Project(
        name=data.name,
        description=data.description,
        keypoint_schema=data.keypoint_schema.model_dump(mode="json"),
        settings=data.settings.model_dump(mode="json"),
    )
    session.add(project)
    session.flush()
    return project


def update_project(session: Session, project: Project, data: ProjectUpdate) -> Project:
    if data.name is not None and data.name != project.name:
        ensure_name_free(session, data.name)
        project.name = data.name
    if data.description is not None:
        project.description = data.description
    if data.settings is not None:
        project.settings = data.settings.model_dump(mode="json")
    session.flush()
    return project


def project_settings(project: Project) -> ProjectSettings:
    return ProjectSettings.model_validate(project.settings)


def ensure_name_free(session: Session, name: str) -> None:
    if session.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Conflict(f"a project named {name!r} already exists")


def image_counts(session: Session, project_ids: list[int]) -> dict[int, ImageCounts]:
    """Per-project image counts by state and split, in two grouped queries."""
    counts: dict[int, dict[str, Any]] = {pid: {} for pid in project_ids}
    for column in (Image.state, Image.split):
        rows = session.execute(
            select(Image.project_id, column, func.count())
            .where(Image.project_id.in_(project_ids))
            .group_by(Image.project_id, column)
        )
        for pid, key, n in rows:
            counts[pid][str(key)] = n
    result = {}
    for pid, c in counts.items():
        c["total"] = c.get("train", 0) + c.get("validation", 0)
        result[pid] = ImageCounts(**c)
    return result
