"""Reading and saving an image's keypoints with optimistic concurrency and revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.errors import BadInput, VersionConflict
from backend.models import (
    Annotation,
    AnnotationRevision,
    Image,
    ImageState,
    Prediction,
    Project,
    User,
)
from backend.schemas.annotation import AnnotationRead, Point, RevisionRead
from backend.schemas.effort import EffortWrite
from backend.services.effort import checked_effort


def empty_points(n: int) -> list[dict[str, Any]]:
    return [{"x": None, "y": None, "visibility": "unlabeled", "source": "human"} for _ in range(n)]


def stored_points(project: Project, raw: list[Any] | None) -> list[Point]:
    """Stored points in schema order; keypoints added to the schema later read as unlabeled."""
    names = project.keypoint_names
    raw = list(raw or [])
    raw += empty_points(len(names) - len(raw))
    return [Point(name=name, **p) for name, p in zip(names, raw, strict=False)]


def read_annotation(session: Session, project: Project, image: Image) -> AnnotationRead:
    row = session.execute(
        select(Annotation, User.email)
        .outerjoin(User, User.id == Annotation.updated_by_id)
        .where(Annotation.image_id == image.id)
    ).first()
    if row is None:
        return AnnotationRead(
            image_id=image.id,
            version=0,
            keypoints=stored_points(project, None),
            done=False,
            updated_at=None,
            updated_by=None,
        )
    ann, author_email = row
    return AnnotationRead(
        image_id=image.id,
        version=ann.version,
        keypoints=stored_points(project, ann.keypoints),
        done=ann.done,
        updated_at=ann.updated_at,
        updated_by=author_email,
    )


def validate_points(project: Project, image: Image, points: list[Point]) -> list[dict[str, Any]]:
    """Check a full set of points against the schema and the image; return them in schema order."""
    names = project.keypoint_names
    given = [p.name for p in points]
    unknown = [n for n in given if n not in names]
    if unknown:
        raise BadInput(f"unknown keypoint names {unknown}; the schema has {names}")
    repeated = sorted({n for n in given if given.count(n) > 1})
    if repeated:
        raise BadInput(f"keypoints listed more than once: {repeated}")
    missing = [n for n in names if n not in given]
    if missing:
        raise BadInput(f"expected all {len(names)} schema keypoints; missing {missing}")
    by_name = {p.name: p for p in points}
    ordered: list[dict[str, Any]] = []
    for name in names:
        p = by_name[name]
        if p.visibility == "unlabeled":
            ordered.append({"x": None, "y": None, "visibility": "unlabeled", "source": p.source})
            continue
        if p.x is None or p.y is None:
            raise BadInput(f"keypoint {name} is {p.visibility} but has no coordinates")
        if not (0 <= p.x <= image.width and 0 <= p.y <= image.height):
            raise BadInput(
                f"keypoint {name} at ({p.x:.1f}, {p.y:.1f}) is outside the "
                f"{image.width}x{image.height} image"
            )
        ordered.append({"x": p.x, "y": p.y, "visibility": p.visibility, "source": p.source})
    return ordered


def save_annotation(
    session: Session,
    project: Project,
    image: Image,
    points: list[Point],
    done: bool,
    expected_version: int,
    author: User,
    origin: str = "editor",
    effort: EffortWrite | None = None,
) -> AnnotationRead:
    """Save if the stored version is still `expected_version`, else raise VersionConflict.
    `origin` ("editor", "import" or "review") is kept on the revision for the retraining
    policy; `effort`, what the annotator's browser counted for this save, is kept beside it.

    The version check is a conditional UPDATE (compare-and-set), so two concurrent saves
    of the same version cannot both succeed even across processes.
    """
    stored = validate_points(project, image, points)
    effort_row = checked_effort(session, project, image, effort) if effort is not None else None
    now = utcnow()
    new_version = expected_version + 1
    # No read first: the write itself says whether `expected_version` is still stored, which
    # saves a round trip, and on SQLite the write lock is taken at once either way.
    if expected_version == 0:
        ok = _insert_first_version(session, image.id, stored, done, author.id, now)
    else:
        result = session.execute(
            update(Annotation)
            .where(Annotation.image_id == image.id, Annotation.version == expected_version)
            .values(
                version=new_version,
                keypoints=stored,
                done=done,
                updated_by_id=author.id,
                updated_at=now,
            )
            .execution_options(synchronize_session="evaluate")  # no SELECT: done in Python
        )
        ok = result.rowcount == 1  # type: ignore[attr-defined]
    if not ok:
        session.expire_all()
        raise VersionConflict(
            f"image {image.id} was saved by someone else since version {expected_version}",
            extra={"current": read_annotation(session, project, image).model_dump(mode="json")},
        )
    revision = AnnotationRevision(
        image_id=image.id,
        version=new_version,
        keypoints=stored,
        done=done,
        author_id=author.id,
        origin=origin,
    )
    session.add(revision)
    if effort_row is not None:
        effort_row.revision = revision
        session.add(effort_row)
    labeled = sum(p["visibility"] != "unlabeled" for p in stored)
    image.labeled_count = labeled
    image.state = image_state(session, image, labeled=labeled, done=done)
    if origin != "review":  # the reviewed labels changed: not reviewed any more
        image.reviewed_at = None
        image.reviewed_by_id = None
    session.flush()
    # Built from what was just written rather than read back: the write lock is held until
    # the caller commits, and every statement here lengthens every other writer's wait.
    return AnnotationRead(
        image_id=image.id,
        version=new_version,
        keypoints=stored_points(project, stored),
        done=done,
        updated_at=now,
        updated_by=author.email,
    )


def _insert_first_version(
    session: Session,
    image_id: int,
    stored: list[dict[str, Any]],
    done: bool,
    author_id: int,
    now: datetime,
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: of two first saves racing, exactly one wins."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(
        insert(Annotation)
        .values(
            image_id=image_id,
            version=1,
            keypoints=stored,
            done=done,
            updated_by_id=author_id,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["image_id"])
        .returning(Annotation.id)
    )
    return result.first() is not None


def image_state(session: Session, image: Image, *, labeled: int, done: bool) -> ImageState:
    if done:
        return ImageState.done
    if labeled:
        return ImageState.in_progress
    has_prediction = session.scalar(
        select(Prediction.id).where(Prediction.image_id == image.id).limit(1)
    )
    return ImageState.predicted if has_prediction else ImageState.new


def list_revisions(session: Session, project: Project, image: Image) -> list[RevisionRead]:
    rows = session.execute(
        select(AnnotationRevision, User.email)
        .outerjoin(User, User.id == AnnotationRevision.author_id)
        .where(AnnotationRevision.image_id == image.id)
        .order_by(AnnotationRevision.version.desc())
    ).all()
    return [
        RevisionRead(
            version=rev.version,
            keypoints=stored_points(project, rev.keypoints),
            done=rev.done,
            author=email,
            origin=rev.origin,
            created_at=rev.created_at,
        )
        for rev, email in rows
    ]
