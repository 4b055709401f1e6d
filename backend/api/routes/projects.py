"""Projects: create, read, settings, the keypoint schema, delete, and the dataset health the
admin page shows."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import Admin, SessionDep, Viewer
from backend.api.params import IdPath
from backend.models import Project
from backend.schemas.admin import ProjectHealth
from backend.schemas.project import ProjectCreate, ProjectRead, ProjectUpdate, SchemaChange
from backend.services import projects
from backend.services.health import project_health
from backend.services.schema_changes import change_schema

router = APIRouter(prefix="/projects", tags=["projects"])


def _read(session: SessionDep, project: Project) -> ProjectRead:
    read = ProjectRead.model_validate(project)
    read.counts = projects.image_counts(session, [project.id])[project.id]
    return read


@router.get("")
def list_projects(_: Viewer, session: SessionDep) -> list[ProjectRead]:
    rows = projects.list_projects(session)
    counts = projects.image_counts(session, [p.id for p in rows])
    out = []
    for p in rows:
        read = ProjectRead.model_validate(p)
        read.counts = counts[p.id]
        out.append(read)
    return out


@router.post("", status_code=201)
def create_project(body: ProjectCreate, _: Admin, session: SessionDep) -> ProjectRead:
    project = projects.create_project(session, body)
    session.commit()
    return _read(session, project)


@router.get("/{project_id}")
def get_project(project_id: IdPath, _: Viewer, session: SessionDep) -> ProjectRead:
    return _read(session, projects.get_project(session, project_id))


@router.patch("/{project_id}")
def update_project(
    project_id: IdPath, body: ProjectUpdate, _: Admin, session: SessionDep
) -> ProjectRead:
    project = projects.update_project(session, projects.get_project(session, project_id), body)
    session.commit()
    return _read(session, project)


@router.delete("/{project_id}", status_code=204)
def delete_project(project_id: IdPath, _: Admin, session: SessionDep) -> None:
    session.delete(projects.get_project(session, project_id))
    session.commit()


@router.put("/{project_id}/schema")
def put_schema(
    project_id: IdPath, body: SchemaChange, _: Admin, session: SessionDep
) -> ProjectRead:
    project = projects.get_project(session, project_id)
    change_schema(session, project, body)
    session.commit()
    return _read(session, project)


@router.get("/{project_id}/health")
def get_health(project_id: IdPath, _: Admin, session: SessionDep) -> ProjectHealth:
    return project_health(session, projects.get_project(session, project_id))
