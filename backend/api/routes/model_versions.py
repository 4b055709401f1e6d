"""Model versions: a project's list, one version, promotion (and rollback), and the
label-efficiency curve, which is the version list as the admin page plots it. A version's
evaluations and predictions live with those resources (`routes/evaluations.py`,
`routes/predictions.py`)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import Admin, SessionDep, Viewer
from backend.api.params import IdPath
from backend.schemas.admin import LabelEfficiencyPoint
from backend.schemas.training import ModelVersionRead
from backend.services import jobs
from backend.services.projects import get_project

router = APIRouter(tags=["model versions"])


@router.get("/projects/{project_id}/model-versions")
def list_versions(project_id: IdPath, _: Viewer, session: SessionDep) -> list[ModelVersionRead]:
    get_project(session, project_id)
    return [ModelVersionRead.model_validate(v) for v in jobs.list_versions(session, project_id)]


@router.get("/model-versions/{version_id}")
def get_version(version_id: IdPath, _: Viewer, session: SessionDep) -> ModelVersionRead:
    return ModelVersionRead.model_validate(jobs.get_model_version(session, version_id))


@router.post("/model-versions/{version_id}/promote")
def promote_version(version_id: IdPath, _: Admin, session: SessionDep) -> ModelVersionRead:
    """Make this version active: promotion of a new one or rollback to an older one."""
    version = jobs.promote(session, jobs.get_model_version(session, version_id))
    session.commit()
    return ModelVersionRead.model_validate(version)


@router.get("/projects/{project_id}/label-efficiency")
def label_efficiency(
    project_id: IdPath, _: Admin, session: SessionDep
) -> list[LabelEfficiencyPoint]:
    """Validation PCK of every version against the labeled images it was trained on."""
    get_project(session, project_id)
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
        for v in jobs.versions_by_labeled_count(session, project_id)
    ]
