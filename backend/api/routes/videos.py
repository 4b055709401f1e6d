"""Videos: upload, list, single frames, frames into the project, frame extraction jobs and the
jobs linking images that are a video's frames (`services/videos.py`,
`services/extract_frames_jobs.py`, `services/link_frames_jobs.py`). A video's prediction job is
started in `routes/predictions.py`, its files are read in `routes/jobs.py`."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile
from fastapi.responses import FileResponse, Response

from backend.api.deps import Admin, Annotator, BlobStoreDep, SessionDep, SettingsDep, Viewer
from backend.api.downloads import attachment
from backend.api.params import IdPath
from backend.api.stored_files import stored_file
from backend.dispatch import commit_and_send, send_job
from backend.errors import NotFound
from backend.models import Video
from backend.schemas.common import MAX_ID
from backend.schemas.image import ImageRead
from backend.schemas.training import JobRead
from backend.schemas.video import (
    AddFramesRequest,
    AddFramesResult,
    ExistingFrame,
    ExtractFramesRequest,
    VideoRead,
    VideoUploadRead,
)
from backend.services import extract_frames_jobs, link_frames_jobs, videos
from backend.services.blob_refs import remove_blob_if_orphaned
from backend.services.images import StoredImage
from backend.services.projects import get_project
from backend.services.video_frame_cache import frame_file

router = APIRouter(tags=["videos"])

_IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
FrameIndex = Annotated[int, Path(ge=0, le=MAX_ID, description="0-based, in presentation order")]


def _read(video: Video, frame_images: int, frames_labeled: int) -> VideoRead:
    read = VideoRead.model_validate(video)
    read.frame_images = frame_images
    read.frames_labeled = frames_labeled
    return read


@router.post("/projects/{project_id}/videos", status_code=201)
async def upload_video(
    project_id: IdPath,
    file: Annotated[UploadFile, File(description="A video (MP4, AVI, MOV, MKV, …)")],
    user: Annotator,
    session: SessionDep,
    settings: SettingsDep,
    store: BlobStoreDep,
) -> VideoUploadRead:
    """Store a video after checking it opens and its first frame decodes (422 otherwise,
    nothing stored); frames are extracted later, by a job. When project images say they are
    its frames (imported without it), a job links those that are: `link_job`."""
    project = get_project(session, project_id)
    session.rollback()  # no transaction held open while a large file streams in and is probed
    name = file.filename or "video"
    staged = await asyncio.to_thread(videos.stage_upload, settings, store, name, file.file)
    info = await asyncio.to_thread(videos.probe_staged, staged)
    video, created = videos.add_video(session, store, project, staged, info)
    job = link_frames_jobs.link_job_for_upload(session, project, video, user)
    try:
        session.commit()
    except BaseException:
        if created:
            store.delete(staged.checksum)
        raise
    if job is not None:
        send_job(session, settings, job)
    # No frame is its image yet: extraction and the link job add them.
    uploaded = VideoUploadRead.model_validate(video)
    uploaded.link_job = JobRead.model_validate(job) if job is not None else None
    return uploaded


@router.get("/projects/{project_id}/videos")
def list_videos(project_id: IdPath, _: Viewer, session: SessionDep) -> list[VideoRead]:
    get_project(session, project_id)
    return [_read(v, n, done) for v, n, done in videos.list_videos(session, project_id)]


@router.get("/videos/{video_id}")
def get_video(video_id: IdPath, _: Viewer, session: SessionDep) -> VideoRead:
    return _read(*videos.video_with_frame_counts(session, video_id))


@router.delete("/videos/{video_id}", status_code=204)
def delete_video(video_id: IdPath, _: Admin, session: SessionDep, store: BlobStoreDep) -> None:
    """The video goes; its extracted frames stay project images (with their labels)."""
    video = videos.get_video(session, video_id)
    checksum = video.checksum
    session.delete(video)
    session.commit()
    remove_blob_if_orphaned(session, store, checksum)


@router.get("/videos/{video_id}/file", response_class=FileResponse)
def video_file(
    video_id: IdPath, _: Viewer, session: SessionDep, store: BlobStoreDep
) -> FileResponse:
    video = videos.get_video(session, video_id)
    path = store.path_for(video.checksum)
    if not path.is_file():
        raise NotFound(f"the file of video {video_id} is missing from storage")
    disposition = {"Content-Disposition": attachment(video.original_name)}
    return FileResponse(path, headers=_IMMUTABLE | disposition)


@router.get("/videos/{video_id}/frames/{index}", response_class=FileResponse)
def video_frame(
    video_id: IdPath,
    index: FrameIndex,
    _: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    store: BlobStoreDep,
) -> Response:
    """One frame as PNG, decoded on demand (and cached): the annotator's neighbour frames."""
    video = videos.get_video(session, video_id)
    videos.check_frame_index(video, index)
    session.close()  # no transaction held open while decoding
    path = frame_file(settings, store, video, index)
    return stored_file(path, "image/png", _IMMUTABLE)


@router.post("/videos/{video_id}/frames", status_code=201)
def add_frames(
    video_id: IdPath,
    body: AddFramesRequest,
    _: Annotator,
    session: SessionDep,
    settings: SettingsDep,
    store: BlobStoreDep,
) -> AddFramesResult:
    """Make these frames project images (one action from the annotator's neighbour view);
    frames already in the project are named, not added twice."""
    video = videos.get_video(session, video_id)
    project = get_project(session, video.project_id)
    for index in body.frame_indices:
        videos.check_frame_index(video, index)
    have = videos.existing_frames(session, video.id)
    wanted = sorted(set(body.frame_indices) - set(have))
    created_blobs: list[str] = []
    try:
        stored = []
        for index in wanted:
            data = frame_file(settings, store, video, index).read_bytes()
            checksum, created = store.put(data)
            if created:
                created_blobs.append(checksum)
            image = StoredImage(
                filename=f"{video.original_name} frame {index}",
                original_name=videos.frame_name(video.original_name, video.id, index),
                checksum=checksum,
                media_type="image/png",
                width=video.width,
                height=video.height,
            )
            stored.append(videos.StoredFrame(index, index / video.fps, image))
        rows = videos.add_frame_images(session, project, video, stored)
        session.commit()
    except BaseException:
        for checksum in created_blobs:
            store.delete(checksum)
        raise
    present = [i for i in body.frame_indices if i in have]
    return AddFramesResult(
        created=[ImageRead.model_validate(i) for i in rows.created],
        already_present=[ExistingFrame(frame_index=i, image_id=have[i]) for i in present],
        same_content=rows.same_content,
    )


@router.post("/videos/{video_id}/extract-frames", status_code=202)
def extract_frames(
    video_id: IdPath,
    body: ExtractFramesRequest,
    user: Annotator,
    session: SessionDep,
    settings: SettingsDep,
) -> JobRead:
    """Start a job that picks `count` frames and adds them as project images; poll
    `GET /jobs/{id}` (its `progress.report` says what was added), cancel with
    `POST /jobs/{id}/cancel`."""
    video = videos.get_video(session, video_id)
    project = get_project(session, video.project_id)
    job = extract_frames_jobs.create_extract_job(session, project, video, body, user)
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)


@router.post("/videos/{video_id}/link-frames", status_code=202)
def link_frames(
    video_id: IdPath, user: Annotator, session: SessionDep, settings: SettingsDep
) -> JobRead:
    """Start a job that links the project's images that say they are this video's frames
    (`<video stem>/img<N>.png`, or `<video stem>_<NNNNNN>.png` from a SLEAP package; no
    video's frame yet) where their pixels are those frames', as an upload does itself; for
    images imported after the video. Poll `GET /jobs/{id}`: its
    `progress.report` says what was linked and why the others were not."""
    video = videos.get_video(session, video_id)
    project = get_project(session, video.project_id)
    job = link_frames_jobs.create_link_job(session, project, video, user)
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)
