"""Imports from other annotation tools (COCO, DeepLabCut, CVAT, SLEAP, Label Studio,
Ultralytics YOLO pose), into a new project or an existing one.

An import is a job (`services/import_jobs.py`): the request stores the upload in the job's
folder and answers 202 with the job; the worker imports it in one transaction and the job
carries the progress, then the report (`progress.report`) or the error.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from backend.api.deps import Admin, SessionDep, SettingsDep
from backend.api.params import IdPath
from backend.dispatch import commit_and_send
from backend.models import Project, User
from backend.schemas.training import JobRead
from backend.services.import_jobs import create_import_job
from backend.services.projects import get_project
from backend.services.transfer import Format

router = APIRouter(tags=["imports"])

FilesField = Annotated[
    list[UploadFile],
    File(description="The annotation file and images, or a zip holding them (or both)"),
]
LabelQuery = Annotated[
    str | None,
    Query(description="COCO category, CVAT skeleton label or YOLO class, if the file has several"),
]


async def _start_import(
    fmt: Format,
    files: list[UploadFile],
    project: Project | None,
    name: str | None,
    label: str | None,
    user: User,
    session: SessionDep,
    settings: SettingsDep,
) -> JobRead:
    uploads = [(f.filename or "upload", f.file) for f in files]
    job = await asyncio.to_thread(
        create_import_job,
        session,
        settings,
        fmt,
        uploads,
        project=project,
        new_project_name=name,
        label=label,
        user=user,
    )
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)


@router.post("/projects/import/{fmt}", status_code=202)
async def import_as_new_project(
    fmt: Format,
    files: FilesField,
    user: Admin,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str | None, Query(description="Project name; default: the file's")] = None,
    label: LabelQuery = None,
) -> JobRead:
    """Start a job that creates a project whose keypoint schema is the file's and imports
    into it; poll `GET /jobs/{id}` (the project's id is the job's once it succeeds)."""
    return await _start_import(fmt, files, None, name, label, user, session, settings)


@router.post("/projects/{project_id}/import/{fmt}", status_code=202)
async def import_into_project(
    project_id: IdPath,
    fmt: Format,
    files: FilesField,
    user: Admin,
    session: SessionDep,
    settings: SettingsDep,
    label: LabelQuery = None,
) -> JobRead:
    """Start a job that imports into an existing project (the file's keypoints are matched
    to it by name); poll `GET /jobs/{id}`."""
    project = get_project(session, project_id)
    return await _start_import(fmt, files, project, None, label, user, session, settings)
