from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from backend.api.deps import Admin, Annotator, SessionDep, SettingsDep, Viewer
from backend.api.params import IdPath
from backend.dispatch import revoke, send_job
from backend.errors import BadInput
from backend.models import Evaluation, Image, Job, JobKind, ModelVersion
from backend.schemas.job_options import EvaluateOptions, PredictOptions, TrainOptions
from backend.schemas.training import (
    EvaluateRequest,
    EvaluationRead,
    JobRead,
    ModelVersionRead,
    PredictRequest,
    TrainingOptions,
)
from backend.services import jobs, predict_jobs
from backend.services.projects import get_project

router = APIRouter(tags=["training"])


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
    session.commit()
    send_job(session, settings, job)
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
    query = select(Job).where(Job.project_id == project_id)
    if kind is not None:
        query = query.where(Job.kind == kind)
    rows = session.scalars(query.order_by(Job.id.desc()).limit(limit))
    return [JobRead.model_validate(j) for j in rows]


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


@router.get("/projects/{project_id}/model-versions")
def list_versions(project_id: IdPath, _: Viewer, session: SessionDep) -> list[ModelVersionRead]:
    get_project(session, project_id)
    rows = session.scalars(
        select(ModelVersion)
        .where(ModelVersion.project_id == project_id)
        .order_by(ModelVersion.id.desc())
    )
    return [ModelVersionRead.model_validate(v) for v in rows]


@router.get("/model-versions/{version_id}")
def get_version(version_id: IdPath, _: Viewer, session: SessionDep) -> ModelVersionRead:
    return ModelVersionRead.model_validate(jobs.get_model_version(session, version_id))


@router.post("/model-versions/{version_id}/promote")
def promote_version(version_id: IdPath, _: Admin, session: SessionDep) -> ModelVersionRead:
    """Make this version active: promotion of a new one or rollback to an older one."""
    version = jobs.promote(session, jobs.get_model_version(session, version_id))
    session.commit()
    return ModelVersionRead.model_validate(version)


@router.post("/model-versions/{version_id}/evaluations", status_code=202)
def evaluate_version(
    version_id: IdPath,
    body: EvaluateRequest,
    admin: Admin,
    session: SessionDep,
    settings: SettingsDep,
) -> JobRead:
    version = jobs.get_model_version(session, version_id)
    project = get_project(session, version.project_id)
    options = EvaluateOptions(model_version_id=version.id, alpha=body.alpha)
    job = jobs.create_job(session, project, options, admin)
    session.commit()
    send_job(session, settings, job)
    return JobRead.model_validate(job)


@router.get("/model-versions/{version_id}/evaluations")
def list_evaluations(version_id: IdPath, _: Viewer, session: SessionDep) -> list[EvaluationRead]:
    jobs.get_model_version(session, version_id)
    rows = session.scalars(
        select(Evaluation)
        .where(Evaluation.model_version_id == version_id)
        .order_by(Evaluation.id.desc())
    )
    return [EvaluationRead.model_validate(e) for e in rows]


@router.post("/projects/{project_id}/predictions", status_code=202)
def predict_images(
    project_id: IdPath,
    body: PredictRequest,
    user: Annotator,
    session: SessionDep,
    settings: SettingsDep,
) -> JobRead:
    project = get_project(session, project_id)
    version = jobs.version_for_prediction(session, project, body.model_version_id)
    if body.image_ids is not None:
        found = set(
            session.scalars(
                select(Image.id).where(Image.project_id == project.id, Image.id.in_(body.image_ids))
            )
        )
        unknown = sorted(set(body.image_ids) - found)
        if unknown:
            raise BadInput(f"images not in project {project.id}: {unknown[:20]}")
    predict_jobs.check_capacity(session, project, settings)
    options = PredictOptions(model_version_id=version.id, image_ids=body.image_ids, source="images")
    job = jobs.create_job(session, project, options, user)
    session.commit()
    send_job(session, settings, job)
    return JobRead.model_validate(job)
