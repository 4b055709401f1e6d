"""Import from and export to other annotation tools (COCO, DeepLabCut, CVAT, SLEAP).

Imports run synchronously inside the request (in a worker thread), in one transaction:
the response comes when every image and annotation is stored, or nothing is.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import IO, Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from backend.api.deps import Admin, BlobStoreDep, SessionDep, SettingsDep, Viewer
from backend.errors import BadInput, PayloadTooLarge
from backend.formats.bundle import Bundle, Opener, ZipSink
from backend.models import ImageSplit, ImageState, Project, User
from backend.schemas.transfer import ImportResult
from backend.services.projects import get_project
from backend.services.transfer import Format, import_files
from backend.services.transfer_export import ExportFilter, coco_document, export

router = APIRouter(tags=["transfer"])

FilesField = Annotated[
    list[UploadFile],
    File(description="The annotation file and images, or a zip holding them (or both)"),
]
LabelQuery = Annotated[
    str | None, Query(description="COCO category or CVAT skeleton label, if the file has several")
]


def _rewinding(f: IO[bytes]) -> Opener:
    def open_() -> IO[bytes]:
        f.seek(0)
        return io.BytesIO(f.read())  # one file at a time; the upload itself stays open

    return open_


def _bundle(files: list[UploadFile], max_bytes: int) -> Bundle:
    bundle = Bundle()
    for upload in files:
        name = upload.filename or "upload"
        head = upload.file.read(4)
        upload.file.seek(0)
        if name.lower().endswith(".zip") or head == b"PK\x03\x04":
            bundle.add_zip(name, upload.file)
        elif upload.size is not None and upload.size > max_bytes:
            raise PayloadTooLarge(f"{name}: larger than the {max_bytes}-byte upload limit")
        else:
            bundle.add_file(name, _rewinding(upload.file))
    return bundle


async def _import(
    fmt: Format,
    files: list[UploadFile],
    project: Project | None,
    name: str | None,
    label: str | None,
    user: User,
    session: SessionDep,
    settings: SettingsDep,
    store: BlobStoreDep,
) -> ImportResult:
    if not files:
        raise BadInput("no files in the upload (use the multipart field 'files')")

    def run() -> ImportResult:
        with _bundle(files, settings.max_upload_bytes) as bundle:
            report = import_files(
                session,
                store,
                fmt,
                bundle,
                project=project,
                new_project_name=name,
                label=label,
                author=user,
                max_pixels=settings.max_image_pixels,
                max_bytes=settings.max_upload_bytes,
            )
        return ImportResult.model_validate(asdict(report))

    result = await asyncio.to_thread(run)
    session.commit()
    return result


@router.post("/projects/import/{fmt}", status_code=201)
async def import_as_new_project(
    fmt: Format,
    files: FilesField,
    user: Admin,
    session: SessionDep,
    settings: SettingsDep,
    store: BlobStoreDep,
    name: Annotated[str | None, Query(description="Project name; default: the file's")] = None,
    label: LabelQuery = None,
) -> ImportResult:
    """Create a project whose keypoint schema is the file's, and import into it."""
    return await _import(fmt, files, None, name, label, user, session, settings, store)


@router.post("/projects/{project_id}/import/{fmt}")
async def import_into_project(
    project_id: int,
    fmt: Format,
    files: FilesField,
    user: Admin,
    session: SessionDep,
    settings: SettingsDep,
    store: BlobStoreDep,
    label: LabelQuery = None,
) -> ImportResult:
    """Import into an existing project; the file's keypoints are matched to it by name."""
    project = get_project(session, project_id)
    return await _import(fmt, files, project, None, label, user, session, settings, store)


@router.get("/projects/{project_id}/export/{fmt}", response_model=None)
def export_project(
    project_id: int,
    fmt: Format,
    _: Viewer,
    session: SessionDep,
    store: BlobStoreDep,
    state: ImageState | None = None,
    split: ImageSplit | None = None,
    image_id: Annotated[list[int] | None, Query(description="Only these images")] = None,
    predictions: bool = False,
    images: Annotated[bool, Query(description="COCO: a zip with the images, not JSON")] = False,
) -> FileResponse | JSONResponse:
    """Download a zip in the tool's own layout (COCO: the JSON alone unless `images`)."""
    project = get_project(session, project_id)
    where = ExportFilter(state=state, split=split, image_ids=image_id)
    stem = f"{project.name}-{fmt.value}".replace('"', "")
    if fmt is Format.coco and not images:
        document = coco_document(session, project, where, predictions=predictions)
        disposition = {"Content-Disposition": f'attachment; filename="{stem}.json"'}
        return JSONResponse(document, headers=disposition)
    fd, tmp = tempfile.mkstemp(prefix="keyloop-export-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w") as archive:
            export(session, store, project, fmt, ZipSink(archive), where, predictions=predictions)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return FileResponse(
        tmp,
        media_type="application/zip",
        filename=f"{stem}.zip",
        background=BackgroundTask(Path(tmp).unlink, missing_ok=True),
    )
