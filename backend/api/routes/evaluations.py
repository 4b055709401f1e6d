"""Evaluations of model versions: starting one (a job), listing a version's or a project's,
and what the admin page draws from one (worst examples, keypoint embedding), all served
from the JSON the worker stored (`services/evaluations.py`), without torch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import Admin, SessionDep, SettingsDep, Viewer
from backend.api.params import IdPath, OptionalIdQuery
from backend.dispatch import commit_and_send
from backend.schemas.admin import EmbeddingRead, EvaluationSummary, ExampleImage
from backend.schemas.job_options import EvaluateOptions
from backend.schemas.training import EvaluateRequest, EvaluationRead, JobRead
from backend.services import evaluations, jobs
from backend.services.projects import get_project

router = APIRouter(tags=["evaluations"])


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
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)


# `name` keeps the operation id this route had before it shared a module with the project
# list below (`list_evaluations_api_v1_model_versions__version_id__evaluations_get`).
@router.get("/model-versions/{version_id}/evaluations", name="list_evaluations")
def list_version_evaluations(
    version_id: IdPath, _: Viewer, session: SessionDep
) -> list[EvaluationRead]:
    jobs.get_model_version(session, version_id)
    rows = evaluations.of_version(session, version_id)
    return [EvaluationRead.model_validate(e) for e in rows]


@router.get("/projects/{project_id}/evaluations")
def list_evaluations(
    project_id: IdPath,
    _: Admin,
    session: SessionDep,
    model_version_id: OptionalIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[EvaluationSummary]:
    """Evaluations of the project's versions (or of one), newest first, without the
    per-image lists; `GET /evaluations/{id}` has everything."""
    get_project(session, project_id)
    rows = evaluations.of_project(session, project_id, model_version_id, limit)
    return [evaluations.summarize(e) for e in rows]


@router.get("/evaluations/{evaluation_id}")
def get_evaluation(evaluation_id: IdPath, _: Admin, session: SessionDep) -> EvaluationRead:
    return EvaluationRead.model_validate(evaluations.get_evaluation(session, evaluation_id))


@router.get("/evaluations/{evaluation_id}/worst")
def worst_examples(
    evaluation_id: IdPath,
    _: Admin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 8,
) -> list[ExampleImage]:
    evaluation = evaluations.get_evaluation(session, evaluation_id)
    return evaluations.worst_examples(session, evaluation, limit)


@router.get("/evaluations/{evaluation_id}/embedding")
def embedding(evaluation_id: IdPath, _: Admin, session: SessionDep) -> EmbeddingRead:
    evaluation = evaluations.get_evaluation(session, evaluation_id)
    project = evaluations.project_of(session, evaluation)
    return evaluations.embedding(evaluation, project.keypoint_names)
