from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from backend.api.deps import Annotator, SessionDep, Viewer
from backend.api.params import IdPath
from backend.errors import BadInput
from backend.schemas.annotation import AnnotationRead, AnnotationUpdate, RevisionRead
from backend.schemas.common import MAX_ID
from backend.services import annotations as annotation_service
from backend.services.images import get_image_and_project

router = APIRouter(prefix="/images/{image_id}", tags=["annotations"])


def _etag(version: int) -> str:
    return f'"{version}"'


@router.get("/annotation")
def get_annotation(
    image_id: IdPath, _: Viewer, session: SessionDep, response: Response
) -> AnnotationRead:
    image, project = get_image_and_project(session, image_id)
    read = annotation_service.read_annotation(session, project, image)
    response.headers["ETag"] = _etag(read.version)
    return read


def _expected_version(body: AnnotationUpdate, if_match: str | None) -> int:
    if if_match is not None:
        try:
            version = int(if_match.strip().removeprefix("W/").strip('"'))
        except ValueError:
            raise BadInput(f"If-Match {if_match!r} is not a version number") from None
        if not 0 <= version <= MAX_ID:
            raise BadInput(f"If-Match {if_match!r} is not a version number")
        if body.version is not None and body.version != version:
            raise BadInput("If-Match and body version disagree")
        return version
    if body.version is None:
        raise BadInput("send the version you read, as 'version' or an If-Match header")
    return body.version


@router.put("/annotation")
def put_annotation(
    image_id: IdPath,
    body: AnnotationUpdate,
    user: Annotator,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> AnnotationRead:
    image, project = get_image_and_project(session, image_id)
    read = annotation_service.save_annotation(
        session,
        project,
        image,
        body.keypoints,
        body.done,
        _expected_version(body, if_match),
        user,
        effort=body.effort,
    )
    session.commit()
    response.headers["ETag"] = _etag(read.version)
    return read


@router.get("/annotation/revisions")
def get_revisions(image_id: IdPath, _: Viewer, session: SessionDep) -> list[RevisionRead]:
    image, project = get_image_and_project(session, image_id)
    return annotation_service.list_revisions(session, project, image)
