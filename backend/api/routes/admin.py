"""Admin-only views for the admin page and for scripts: dataset health, the label-efficiency
curve, evaluation details (worst examples, keypoint embedding), other users' API tokens.

Training jobs, model versions and evaluations themselves live in `routes.training`;
users in `routes.users`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from backend.api.deps import Admin, SessionDep
from backend.api.params import IdPath, OptionalIdQuery
from backend.errors import NotFound
from backend.models import ApiToken, Evaluation, ModelVersion
from backend.schemas.admin import (
    EmbeddingRead,
    EvaluationSummary,
    ExampleImage,
    LabelEfficiencyPoint,
    ProjectHealth,
)
from backend.schemas.training import EvaluationRead
from backend.schemas.user import TokenCreate, TokenCreated, TokenRead
from backend.services import evaluations, users
from backend.services.health import project_health
from backend.services.projects import get_project

router = APIRouter(tags=["admin"])


@router.get("/projects/{project_id}/health")
def get_health(project_id: IdPath, _: Admin, session: SessionDep) -> ProjectHealth:
    return project_health(session, get_project(session, project_id))


@router.get("/projects/{project_id}/label-efficiency")
def label_efficiency(
    project_id: IdPath, _: Admin, session: SessionDep
) -> list[LabelEfficiencyPoint]:
    """Validation PCK of every version against the labeled images it was trained on."""
    get_project(session, project_id)
    rows = session.scalars(
        select(ModelVersion)
        .where(ModelVersion.project_id == project_id)
        .order_by(ModelVersion.labeled_count, ModelVersion.id)
    )
    return [
        LabelEfficiencyPoint(
            model_version_id=v.id,
            created_at=v.created_at,
            backbone=v.backbone,
            labeled_count=v.labeled_count,
            unlabeled_count=v.unlabeled_count,
            pck=v.metrics.get("pck"),
            is_active=v.is_active,
        )
        for v in rows
    ]


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
    query = (
        select(Evaluation)
        .join(ModelVersion, ModelVersion.id == Evaluation.model_version_id)
        .where(ModelVersion.project_id == project_id)
    )
    if model_version_id is not None:
        query = query.where(Evaluation.model_version_id == model_version_id)
    rows = session.scalars(query.order_by(Evaluation.id.desc()).limit(limit))
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
    version = session.get(ModelVersion, evaluation.model_version_id)
    assert version is not None  # evaluations cascade with their version
    project = get_project(session, version.project_id)
    return evaluations.embedding(evaluation, project.keypoint_names)


@router.get("/users/{user_id}/tokens")
def list_user_tokens(user_id: IdPath, _: Admin, session: SessionDep) -> list[TokenRead]:
    users.get_user(session, user_id)
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    )
    return [TokenRead.model_validate(r) for r in rows]


@router.post("/users/{user_id}/tokens", status_code=201)
def issue_user_token(
    user_id: IdPath, body: TokenCreate, _: Admin, session: SessionDep
) -> TokenCreated:
    """A token for a script that acts as `user_id` (e.g. a bot account); shown once."""
    row, token = users.issue_token(session, users.get_user(session, user_id), body.name)
    session.commit()
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=token)


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=204)
def revoke_user_token(user_id: IdPath, token_id: IdPath, admin: Admin, session: SessionDep) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"token {token_id} of user {user_id} not found")
    users.revoke_token(session, admin, token_id)
    session.commit()
