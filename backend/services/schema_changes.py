"""Changing a project's keypoint schema without corrupting stored points.

Points are stored in schema order, so a change is a mapping from old positions to new ones:
keypoints are matched by name (after explicit `renames`), new ones start unlabeled, a new
order permutes every annotation, revision and prediction, and dropping a keypoint that has
data needs `allow_delete`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import BadInput, Conflict
from backend.models import (
    Annotation,
    AnnotationRevision,
    Image,
    ModelVersion,
    Prediction,
    Project,
    SecondLabel,
)
from backend.schemas.project import SchemaChange


def change_schema(session: Session, project: Project, change: SchemaChange) -> None:
    old_names = project.keypoint_names
    new_names = change.keypoint_schema.names
    for old, new in change.renames.items():
        if old not in old_names:
            raise BadInput(f"cannot rename {old!r}: not in the current schema {old_names}")
        if new not in new_names:
            raise BadInput(f"renamed keypoint {new!r} is missing from the new schema")
    renamed = [change.renames.get(n, n) for n in old_names]
    if len(set(renamed)) != len(renamed):
        raise BadInput("renames map two keypoints to the same name")
    # source[j] = old position feeding new position j, or None for an added keypoint.
    source = [renamed.index(n) if n in renamed else None for n in new_names]
    dropped = [old_names[i] for i, n in enumerate(renamed) if n not in new_names]
    if dropped and not change.allow_delete and _has_data(session, project, dropped, old_names):
        raise Conflict(
            f"removing {dropped} would delete stored points; send allow_delete=true to confirm"
        )
    identity = source == list(range(len(old_names)))
    if not identity:
        _remap_project_points(session, project, source, len(old_names))
    project.keypoint_schema = change.keypoint_schema.model_dump(mode="json")
    session.flush()


def _remap(points: list[Any], source: list[int | None], blank: dict[str, Any]) -> list[Any]:
    return [dict(points[i]) if i is not None and i < len(points) else dict(blank) for i in source]


_BLANK_POINT = {"x": None, "y": None, "visibility": "unlabeled", "source": "human"}
_BLANK_PRED = {"x": None, "y": None, "confidence": 0.0, "uncertainty": None}


def _remap_project_points(
    session: Session, project: Project, source: list[int | None], old_len: int
) -> None:
    image_ids = select(Image.id).where(Image.project_id == project.id)
    for ann in session.scalars(select(Annotation).where(Annotation.image_id.in_(image_ids))):
        ann.keypoints = _remap(ann.keypoints, source, _BLANK_POINT)
        ann.version += 1  # open editors must reload rather than save the old layout
    for rev in session.scalars(
        select(AnnotationRevision).where(AnnotationRevision.image_id.in_(image_ids))
    ):
        rev.keypoints = _remap(rev.keypoints, source, _BLANK_POINT)
    for second in session.scalars(select(SecondLabel).where(SecondLabel.project_id == project.id)):
        second.reference_keypoints = _remap(second.reference_keypoints, source, _BLANK_POINT)
        if second.keypoints is not None:
            second.keypoints = _remap(second.keypoints, source, _BLANK_POINT)
    versions = select(ModelVersion.id).where(ModelVersion.project_id == project.id)
    for pred in session.scalars(
        select(Prediction).where(Prediction.model_version_id.in_(versions))
    ):
        pred.keypoints = _remap(pred.keypoints, source, _BLANK_PRED)
    for image in session.scalars(select(Image).where(Image.project_id == project.id)):
        current = session.scalar(select(Annotation).where(Annotation.image_id == image.id))
        image.labeled_count = (
            sum(p["visibility"] != "unlabeled" for p in current.keypoints) if current else 0
        )


def _has_data(session: Session, project: Project, dropped: list[str], names: list[str]) -> bool:
    positions = [names.index(n) for n in dropped]
    image_ids = select(Image.id).where(Image.project_id == project.id)
    for ann in session.scalars(select(Annotation).where(Annotation.image_id.in_(image_ids))):
        points = ann.keypoints
        if any(i < len(points) and points[i]["visibility"] != "unlabeled" for i in positions):
            return True
    return False
