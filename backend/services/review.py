"""Review decisions: a reviewer accepts, fixes or swaps an image's labels (issue 17).

Each decision is an ordinary compare-and-set save (`annotations.save_annotation`) with origin
`review`, authored by the reviewer, so it is a revision like any other, a stale `version` is the
usual 409 with nothing lost, and it closes the image's open suspects (they are open only while
the annotation stays at the version they were scored on). The image is then marked reviewed;
any later save that is not a review clears that mark (in `save_annotation`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.errors import BadInput, Conflict, VersionConflict
from backend.models import Image, Project, User
from backend.schemas.annotation import Point
from backend.schemas.review import Decision, ReviewRead
from backend.services.annotations import read_annotation, save_annotation

REVIEW_ORIGIN = "review"


def flip_partner(project: Project, keypoint: str) -> str | None:
    """The keypoint's left/right counterpart in the project's flip pairs, if it has one."""
    for pair in project.keypoint_schema.get("flip_pairs", []):
        a, b = pair
        if keypoint == a:
            return str(b)
        if keypoint == b:
            return str(a)
    return None


def review_image(
    session: Session,
    project: Project,
    image: Image,
    *,
    version: int,
    decision: Decision,
    reviewer: User,
    keypoint: str | None = None,
    keypoints: list[Point] | None = None,
) -> ReviewRead:
    names = project.keypoint_names
    if keypoint is not None and keypoint not in names:
        raise BadInput(
            f"unknown keypoint {keypoint!r}; the schema has {names}", extra=_field("keypoint")
        )
    current = read_annotation(session, project, image)
    if current.version != version:
        raise VersionConflict(
            f"image {image.id} was saved by someone else since version {version}",
            extra={"current": current.model_dump(mode="json")},
        )
    if current.version == 0:
        raise Conflict(f"image {image.id} has no labels to review yet")
    points = list(current.keypoints)
    if decision == "swap":
        points = _swapped(project, points, keypoint)
    elif decision == "fix":
        points = _fixed(points, keypoints)
    elif keypoints is not None:
        raise BadInput("accept saves the labels as they are; send keypoints with fix")
    saved = save_annotation(
        session, project, image, points, current.done, version, reviewer, origin=REVIEW_ORIGIN
    )
    image.reviewed_at = utcnow()
    image.reviewed_by_id = reviewer.id
    session.flush()
    return ReviewRead(annotation=saved, reviewed_at=image.reviewed_at, reviewed_by=reviewer.email)


def _swapped(project: Project, points: list[Point], keypoint: str | None) -> list[Point]:
    if keypoint is None:
        raise BadInput("swap needs the keypoint to swap", extra=_field("keypoint"))
    partner = flip_partner(project, keypoint)
    if partner is None:
        raise BadInput(
            f"{keypoint} has no flip pair in the project's schema, so it cannot be swapped",
            extra=_field("keypoint"),
        )
    by_name = {p.name: p for p in points}
    a, b = by_name[keypoint], by_name[partner]
    # The reviewer decided where each point belongs, so both become human labels.
    swapped = {
        keypoint: b.model_copy(update={"name": keypoint, "source": "human"}),
        partner: a.model_copy(update={"name": partner, "source": "human"}),
    }
    return [swapped.get(p.name, p) for p in points]


def _fixed(points: list[Point], keypoints: list[Point] | None) -> list[Point]:
    if not keypoints:
        raise BadInput("fix needs the corrected keypoints", extra=_field("keypoints"))
    known = {p.name for p in points}
    unknown = [p.name for p in keypoints if p.name not in known]
    if unknown:
        raise BadInput(f"unknown keypoint names {unknown}", extra=_field("keypoints"))
    given = [p.name for p in keypoints]
    repeated = sorted({n for n in given if given.count(n) > 1})
    if repeated:
        raise BadInput(f"keypoints listed more than once: {repeated}", extra=_field("keypoints"))
    fixes = {p.name: p.model_copy(update={"source": "human"}) for p in keypoints}
    return [fixes.get(p.name, p) for p in points]


def _field(name: str) -> dict[str, Any]:
    return {"field": name}
