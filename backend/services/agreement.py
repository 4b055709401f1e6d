"""Agreement checks: an admin sends a random sample of annotated images to a second annotator,
who labels them without seeing the first labels; `agreement_stats` compares the two.

The first labels are copied when the image is assigned, so a later edit or review of the image
does not change what the second annotator is compared with.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.errors import BadInput, Conflict, Forbidden, NotFound
from backend.models import Annotation, Image, Project, Role, SecondLabel, User
from backend.schemas.agreement import AssignmentRead, SecondLabelRead
from backend.schemas.annotation import Point
from backend.services.annotations import stored_points, validate_points


def assign_sample(
    session: Session, project: Project, annotator: User, count: int, seed: int | None
) -> AssignmentRead:
    """Sample up to `count` labeled images the annotator did not label last and has not been
    sent yet, and give them to the annotator with a copy of their current labels."""
    if not annotator.is_active or annotator.role.rank < Role.annotator.rank:
        raise BadInput(
            f"{annotator.email} cannot label: an active annotator, reviewer or admin is needed",
            extra={"field": "annotator_id"},
        )
    already = select(SecondLabel.image_id).where(SecondLabel.annotator_id == annotator.id)
    rows = session.execute(
        select(Image.id, Annotation)
        .join(Annotation, Annotation.image_id == Image.id)
        .where(
            Image.project_id == project.id,
            Image.labeled_count > 0,
            Image.id.not_in(already),
            (Annotation.updated_by_id != annotator.id) | Annotation.updated_by_id.is_(None),
        )
        .order_by(Image.id)
    ).all()
    if not rows:
        raise Conflict(
            f"no labeled image of this project is left to send to {annotator.email} "
            "(images they labeled last, or were sent already, are not eligible)"
        )
    chosen = random.Random(seed).sample(rows, min(count, len(rows)))
    for image_id, ann in chosen:
        session.add(
            SecondLabel(
                project_id=project.id,
                image_id=image_id,
                annotator_id=annotator.id,
                reference_author_id=ann.updated_by_id,
                reference_version=ann.version,
                reference_keypoints=list(ann.keypoints),
            )
        )
    try:
        session.flush()
    except IntegrityError:
        # Two samples for the same annotator at once picked the same image (unique per pair).
        raise Conflict(
            f"another sample for {annotator.email} was being sent at the same time; try again"
        ) from None
    return AssignmentRead(
        annotator_id=annotator.id,
        requested=count,
        assigned=len(chosen),
        image_ids=sorted(image_id for image_id, _ in chosen),
    )


def tasks_of(session: Session, project: Project, user: User) -> list[SecondLabelRead]:
    """The user's second-label tasks in this project, those still to label first."""
    rows = session.execute(
        select(SecondLabel, Image)
        .join(Image, Image.id == SecondLabel.image_id)
        .where(SecondLabel.project_id == project.id, SecondLabel.annotator_id == user.id)
        .order_by(SecondLabel.labeled_at.is_not(None), SecondLabel.id)
    ).all()
    return [_read(project, label, image) for label, image in rows]


def save_second_label(
    session: Session, label_id: int, user: User, points: list[Point]
) -> SecondLabelRead:
    label = session.get(SecondLabel, label_id)
    if label is None:
        raise NotFound(f"no second-label task {label_id}")
    if label.annotator_id != user.id:
        raise Forbidden("this image was sent to another annotator")
    image = session.get(Image, label.image_id)
    project = session.get(Project, label.project_id)
    assert image is not None and project is not None  # foreign keys, cascading deletes
    label.keypoints = validate_points(project, image, points)
    label.labeled_at = utcnow()
    session.flush()
    return _read(project, label, image)


def _read(project: Project, label: SecondLabel, image: Image) -> SecondLabelRead:
    return SecondLabelRead(
        id=label.id,
        image_id=image.id,
        image_name=image.original_name,
        width=image.width,
        height=image.height,
        keypoints=stored_points(project, label.keypoints) if label.keypoints is not None else None,
        labeled_at=label.labeled_at,
    )
