from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse, Response

from backend import data_layout
from backend.api.deps import Admin, Annotator, BlobStoreDep, SessionDep, SettingsDep, Viewer
from backend.api.params import IdPath, OffsetQuery
from backend.api.stored_files import stored_file
from backend.api.uploads import read_limited
from backend.config import Settings
from backend.errors import BadInput, NotFound
from backend.models import ImageSplit, ImageState
from backend.schemas.common import MAX_ID
from backend.schemas.image import DuplicateUpload, ImagePage, ImageRead, ImageUpdate, UploadResult
from backend.services import images
from backend.services.blob_refs import remove_blob_if_orphaned
from backend.services.image_files import (
    BROWSER_MEDIA_TYPES,
    decode_slot,
    make_rendition,
    make_thumbnail,
)
from backend.services.projects import get_project
from backend.services.storage import write_atomic

router = APIRouter(tags=["images"])


@router.post("/projects/{project_id}/images", status_code=201)
async def upload_images(
    project_id: IdPath,
    files: Annotated[list[UploadFile], File(description="Images and/or zip archives")],
    _: Annotator,
    session: SessionDep,
    settings: SettingsDep,
    store: BlobStoreDep,
) -> UploadResult:
    project = get_project(session, project_id)
    if not files:
        raise BadInput("no files in the upload (use the multipart field 'files')")
    uploaded = [
        images.UploadedFile(
            f.filename or "upload", await read_limited(f, settings.max_upload_bytes)
        )
        for f in files
    ]
    # Decoding and hashing are CPU work: keep them off the event loop.
    result = await asyncio.to_thread(
        images.ingest_images,
        session,
        store,
        project,
        uploaded,
        max_pixels=settings.max_image_pixels,
        max_bytes=settings.max_upload_bytes,
        data_dir=settings.data_dir,
    )
    session.commit()
    return UploadResult(
        created=[ImageRead.model_validate(i) for i in result.created],
        duplicates=[
            DuplicateUpload(filename=f, existing_image_id=e, detail=d)
            for f, e, d in result.duplicates
        ],
    )


@router.get("/projects/{project_id}/images")
def list_images(
    project_id: IdPath,
    _: Viewer,
    session: SessionDep,
    state: ImageState | None = None,
    split: ImageSplit | None = None,
    has_prediction: bool | None = None,
    name: Annotated[
        str | None,
        Query(max_length=255, description="Part of the file name, any case"),
    ] = None,
    video_id: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_ID,
            description="Only frames of this video (0: only images not from a video)",
        ),
    ] = None,
    by_video: Annotated[
        bool,
        Query(description="Order frames video by video in frame order, then other images"),
    ] = False,
    offset: OffsetQuery = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ImagePage:
    get_project(session, project_id)
    items, total = images.list_images(
        session,
        project_id,
        state=state,
        split=split,
        has_prediction=has_prediction,
        name=name,
        video_id=video_id,
        by_video=by_video,
        offset=offset,
        limit=limit,
    )
    return ImagePage(
        items=[ImageRead.model_validate(i) for i in items], total=total, offset=offset, limit=limit
    )


@router.get("/images/{image_id}")
def get_image(image_id: IdPath, _: Viewer, session: SessionDep) -> ImageRead:
    return ImageRead.model_validate(images.get_image(session, image_id))


@router.patch("/images/{image_id}")
def update_image(
    image_id: IdPath, body: ImageUpdate, _: Annotator, session: SessionDep
) -> ImageRead:
    image = images.get_image(session, image_id)
    if body.split is not None:
        image.split = body.split
    if body.clear_roi:
        image.roi = None
    elif body.roi is not None:
        x, y, w, h = body.roi
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > image.width or y + h > image.height:
            raise BadInput(f"roi {body.roi} must lie inside the {image.width}x{image.height} image")
        image.roi = list(body.roi)
    session.commit()
    return ImageRead.model_validate(image)


@router.delete("/images/{image_id}", status_code=204)
def delete_image(image_id: IdPath, _: Admin, session: SessionDep, store: BlobStoreDep) -> None:
    image = images.get_image(session, image_id)
    checksum = image.checksum
    session.delete(image)
    session.commit()
    remove_blob_if_orphaned(session, store, checksum)


_IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}


@router.get("/images/{image_id}/file", response_class=FileResponse)
def image_file(image_id: IdPath, _: Viewer, session: SessionDep, store: BlobStoreDep) -> Response:
    image = images.get_image(session, image_id)
    path = _stored(store.path_for(image.checksum), image_id)
    return stored_file(path, image.media_type, _IMMUTABLE)


@router.get("/images/{image_id}/view", response_class=FileResponse)
def image_view(
    image_id: IdPath, _: Viewer, session: SessionDep, store: BlobStoreDep, settings: SettingsDep
) -> Response:
    """What the annotator's <img> loads: the original file where browsers display its format,
    else (TIFF) a PNG rendition, made once and kept beside the thumbnails."""
    image = images.get_image(session, image_id)
    source = store.path_for(image.checksum)
    if image.media_type in BROWSER_MEDIA_TYPES:
        path = _stored(source, image_id)
        return stored_file(path, image.media_type, _IMMUTABLE)
    cached = data_layout.rendition(settings.data_dir, image.checksum)
    session.close()  # no connection held across the decode
    _derive(cached, source, image_id, make_rendition, settings)
    return stored_file(cached, "image/png", _IMMUTABLE)


@router.get("/images/{image_id}/thumbnail", response_class=Response)
def image_thumbnail(
    image_id: IdPath, _: Viewer, session: SessionDep, store: BlobStoreDep, settings: SettingsDep
) -> Response:
    image = images.get_image(session, image_id)
    cached = data_layout.thumbnail(settings.data_dir, image.checksum)
    session.close()  # no connection held across the decode
    _derive(cached, store.path_for(image.checksum), image_id, make_thumbnail, settings)
    return stored_file(cached, "image/jpeg", _IMMUTABLE)


def _stored(path: Path, image_id: int) -> Path:
    if not path.is_file():
        raise NotFound(f"the file of image {image_id} is missing from storage")
    return path


def _derive(
    cached: Path, source: Path, image_id: int, make: Callable[[bytes], bytes], settings: Settings
) -> None:
    """Write `make(source bytes)` to `cached` unless there (keyed by checksum: never stale).
    Decodes are capped per process (`api_decode_concurrency`): each holds a whole image."""
    if cached.is_file():
        return
    with decode_slot(settings.api_decode_concurrency, settings.api_queue_wait_s):
        if not cached.is_file():  # made by a request that held the slot before us
            write_atomic(cached, make(_stored(source, image_id).read_bytes()))
