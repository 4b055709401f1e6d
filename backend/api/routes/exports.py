"""Exports to other annotation tools' layouts (COCO, DeepLabCut, CVAT, SLEAP, Label Studio,
Ultralytics YOLO pose), streamed back in the response (`services/transfer_export.py`)."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from backend.api.deps import BlobStoreDep, SessionDep, Viewer
from backend.api.downloads import attachment
from backend.api.params import IdPath
from backend.formats.bundle import ZipSink
from backend.models import ImageSplit, ImageState
from backend.schemas.common import RowId
from backend.services.export_videos import SleapVideo
from backend.services.projects import get_project
from backend.services.transfer import Format
from backend.services.transfer_export import (
    SCORER_PATTERN,
    ExportFilter,
    check_export_options,
    coco_document,
    export,
)

router = APIRouter(tags=["exports"])

ScorerQuery = Annotated[
    str | None,
    Query(
        description="DeepLabCut: the scorer of CollectedData_<scorer> and config.yaml; "
        "default: the scorer the project was imported with, else keyloop",
        pattern=SCORER_PATTERN,
        max_length=64,
    ),
]


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
    videos: Annotated[
        bool,
        Query(
            description="DeepLabCut: also the video files the exported frames come from, "
            "under videos/ as config.yaml's video_sets names them"
        ),
    ] = False,
) -> FileResponse | JSONResponse:
    """Download a zip in the tool's own layout (COCO: the JSON alone unless `images`)."""
    project = get_project(session, project_id)
    where = ExportFilter(state=state, split=split, image_ids=image_id, reviewed=reviewed)
    stem = f"{project.name}-{fmt.value}"
    check_export_options(fmt, predictions=predictions, dlc_videos=videos)
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
                dlc_videos=videos,
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
