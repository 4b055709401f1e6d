"""Import from and export to other annotation tools (COCO, DeepLabCut, CVAT, SLEAP, Label
Studio, Ultralytics YOLO pose).

An import is a job (`services/import_jobs.py`): the request stores the upload in the job's
folder and answers 202 with the job; the worker imports it in one transaction and the job
carries the progress, then the report (`progress.report`) or the error. Exports stream back
in the response.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from backend.api.deps import Admin, BlobStoreDep, SessionDep, SettingsDep, Viewer
from backend.api.downloads import attachment
from backend.api.params import IdPath
from backend.dispatch import send_job
from backend.formats.bundle import ZipSink
from backend.models import ImageSplit, ImageState, Project, User
from backend.schemas.common import RowId
from backend.schemas.training import JobRead
from backend.services.export_videos import SleapVideo
from backend.services.import_jobs import create_import_job
from backend.services.projects import get_project
from backend.services.transfer import Format
from backend.services.transfer_export import (
    SCORER_PATTERN,
    ExportFilter,
    coco_document,
    export,
)

router = APIRouter(tags=["transfer"])

FilesField = Annotated[
    list[UploadFile],
    File(description="The annotation file and images, or a zip holding them (or both)"),
]
LabelQuery = Annotated[
    str | None,
    Query(description="COCO category, CVAT skeleton label or YOLO class, if the file has several"),
]

ScorerQuery = Annotated[
    str | None,
    Query(
        description="DeepLabCut: the scorer of CollectedData_<scorer> and config.yaml; "
        "default: the scorer the project was imported with, else keyloop",
        pattern=SCORER_PATTERN,
        max_length=64,
    ),
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
    session.commit()
    send_job(session, settings, job)
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


_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "COCO JSON, or a zip in the tool's layout (named by Content-Disposition)",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get("/projects/{project_id}/export/{fmt}", response_model=None, responses=_EXPORT_RESPONSES)
def export_project(
    project_id: IdPath,
    fmt: Format,
    _: Viewer,
    session: SessionDep,
    store: BlobStoreDep,
    state: ImageState | None = None,
    split: ImageSplit | None = None,
    image_id: Annotated[list[RowId] | None, Query(description="Only these images")] = None,
    reviewed: Annotated[
        bool | None, Query(description="true: only reviewed images; false: only unreviewed")
    ] = None,
    predictions: bool = False,
    images: Annotated[bool, Query(description="COCO: a zip with the images, not JSON")] = False,
    scorer: ScorerQuery = None,
    sleap_video: Annotated[
        SleapVideo,
        Query(
            description="SLEAP: `embedded` (frames inside labels.pkg.slp) or `video` (frames "
            "of a Keyloop video as indices into the video file, written beside labels.slp)"
        ),
    ] = SleapVideo.embedded,
) -> FileResponse | JSONResponse:
    """Download a zip in the tool's own layout (COCO: the JSON alone unless `images`)."""
    project = get_project(session, project_id)
    where = ExportFilter(state=state, split=split, image_ids=image_id, reviewed=reviewed)
    stem = f"{project.name}-{fmt.value}"
    if fmt is Format.coco and not images:
        document = coco_document(session, project, where, predictions=predictions)
        disposition = {"Content-Disposition": attachment(f"{stem}.json")}
        return JSONResponse(document, headers=disposition)
    fd, tmp = tempfile.mkstemp(prefix="keyloop-export-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w") as archive:
            export(
                session,
                store,
                project,
                fmt,
                ZipSink(archive),
                where,
                predictions=predictions,
                scorer=scorer,
                sleap_video=sleap_video,
            )
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return FileResponse(
        tmp,
        media_type="application/zip",
        headers={"Content-Disposition": attachment(f"{stem}.zip")},
        background=BackgroundTask(Path(tmp).unlink, missing_ok=True),
    )
