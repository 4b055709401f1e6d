"""Agreement checks: admins send samples to a second annotator and read the disagreement;
annotators list and label the images sent to them (blind to the first labels)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import Admin, Annotator, SessionDep
from backend.api.params import IdPath
from backend.errors import NotFound
from backend.models import User
from backend.schemas.agreement import (
    AgreementRead,
    AssignmentCreate,
    AssignmentRead,
    SecondLabelRead,
    SecondLabelUpdate,
)
from backend.services import agreement as service
from backend.services.agreement_stats import agreement
from backend.services.projects import get_project

router = APIRouter(tags=["label quality"])


@router.post("/projects/{project_id}/agreement/assignments", status_code=201)
def assign(
    project_id: IdPath, body: AssignmentCreate, _: Admin, session: SessionDep
) -> AssignmentRead:
    """Send a random sample of the project's labeled images to a second annotator."""
    project = get_project(session, project_id)
    annotator = session.get(User, body.annotator_id)
    if annotator is None:
        raise NotFound(f"no user {body.annotator_id}", extra={"field": "annotator_id"})
    result = service.assign_sample(session, project, annotator, body.count, body.seed)
    session.commit()
    return result


@router.get("/projects/{project_id}/agreement")
def get_agreement(project_id: IdPath, _: Admin, session: SessionDep) -> AgreementRead:
    """Per-keypoint and per-annotator-pair disagreement of the second labels saved so far."""
    return agreement(session, get_project(session, project_id))


@router.get("/projects/{project_id}/second-labels")
def my_second_labels(
    project_id: IdPath, user: Annotator, session: SessionDep
) -> list[SecondLabelRead]:
    """The images sent to you for a second label, those still to label first."""
    return service.tasks_of(session, get_project(session, project_id), user)


@router.put("/second-labels/{label_id}")
def put_second_label(
    label_id: IdPath, body: SecondLabelUpdate, user: Annotator, session: SessionDep
) -> SecondLabelRead:
    """Save your second label of an image (every schema keypoint, as an annotation PUT)."""
    result = service.save_second_label(session, label_id, user, body.keypoints)
    session.commit()
    return result
