"""Jobs: starting a training, listing a project's jobs, polling and cancelling one, and the
results a finished prediction job leaves (`services/jobs.py`, `services/predict_jobs.py`,
`services/predict_video_jobs.py`). Jobs of the other kinds are started from the resource they act
on (`/model-versions/{id}/evaluations`, `/projects/{id}/predictions`, `/videos/{id}/...`,
`/projects/{id}/import/{fmt}`, `/projects/{id}/suspects/scan`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from backend.api.deps import Admin, SessionDep, SettingsDep, Viewer
from backend.api.downloads import attachment
from backend.api.params import IdPath, OffsetQuery
from backend.dispatch import commit_and_send, revoke
from backend.models import JobKind
from backend.schemas.job_options import TrainOptions
from backend.schemas.predict import BulkResult, BulkResultPage
from backend.schemas.training import JobRead, TrainingOptions
from backend.services import jobs, predict_jobs, predict_video_jobs
from backend.services.projects import get_project

router = APIRouter(tags=["jobs"])


@router.post("/projects/{project_id}/training-jobs", status_code=202)
def start_training(
    project_id: IdPath,
    body: TrainingOptions,
    admin: Admin,
    session: SessionDep,
    settings: SettingsDep,
) -> JobRead:
    project = get_project(session, project_id)
    job = jobs.create_job(session, project, TrainOptions(**body.model_dump()), admin)
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)


@router.get("/projects/{project_id}/training-jobs")
def list_jobs(
    project_id: IdPath,
    _: Viewer,
    session: SessionDep,
    kind: JobKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobRead]:
    get_project(session, project_id)
    return [JobRead.model_validate(j) for j in jobs.list_jobs(session, project_id, kind, limit)]


@router.get("/jobs/{job_id}")
def get_job(
    job_id: IdPath,
    _: Viewer,
    session: SessionDep,
    since: Annotated[
        int | None,
        Query(
            ge=0,
            description="Only history entries numbered after this `seq` (for polling clients: "
            "the last `seq` they hold)",
        ),
    ] = None,
) -> JobRead:
    job = JobRead.model_validate(jobs.get_job(session, job_id))
    history = job.progress.get("history")
    if since is not None and isinstance(history, list):
        newer = [h for h in history if isinstance(h, dict) and h.get("seq", 0) > since]
        job.progress = {**job.progress, "history": newer}
    return job


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: IdPath, _: Admin, session: SessionDep, settings: SettingsDep) -> JobRead:
    job = jobs.request_cancel(session, jobs.get_job(session, job_id))
    session.commit()
    revoke(settings, job)
    return JobRead.model_validate(job)


@router.get("/jobs/{job_id}/results")
def job_results(
    job_id: IdPath,
    _: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    offset: OffsetQuery = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> BulkResultPage:
    job = jobs.get_job(session, job_id)
    project = predict_jobs.prediction_project(session, job)
    items, total = predict_jobs.results(session, settings, project, job, offset, limit)
    return BulkResultPage(
        job_id=job.id,
        model_version_id=predict_jobs.prediction_job(session, job).model_version_id,
        items=[BulkResult.model_validate(i) for i in items],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/jobs/{job_id}/results.coco.json")
def job_results_coco(
    job_id: IdPath,
    _: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.3,
) -> dict[str, Any]:
    """All results as COCO keypoints (`keypoint_scores` per keypoint, `score` per image)."""
    job = jobs.get_job(session, job_id)
    project = predict_jobs.prediction_project(session, job)
    items, _total = predict_jobs.results(session, settings, project, job, 0, None)
    return predict_jobs.to_coco(project, job, items, min_confidence)


@router.get("/jobs/{job_id}/video-results/{fmt}", response_class=FileResponse)
def video_results(
    job_id: IdPath, fmt: str, _: Viewer, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """DeepLabCut CSV / HDF5, SLEAP `.slp`, JSON, or the labeled preview (`mp4`)."""
    job = jobs.get_job(session, job_id)
    path, media_type, name = predict_video_jobs.result_file(settings, job, fmt)
    if fmt == "mp4":  # watched in the page, not downloaded
        return FileResponse(path, media_type=media_type)
    return FileResponse(
        path, media_type=media_type, headers={"Content-Disposition": attachment(name)}
    )
