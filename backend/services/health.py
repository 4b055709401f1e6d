"""Dataset health of a project: what is labeled, by whom, and which keypoints lag behind.

Annotations are read as (split, keypoints, done, author) tuples; the per-keypoint counts are
a pass in Python over the JSON point lists, which stays fast for tens of thousands of images.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Annotation, AnnotationRevision, Image, Project, User
from backend.schemas.admin import (
    AnnotatorActivity,
    KeypointCoverage,
    ProjectHealth,
    SplitCounts,
)
from backend.services.projects import image_counts

# A keypoint labeled on fewer than this share of the annotated images is "rarely labeled".
RARE_FRACTION = 0.2


def project_health(session: Session, project: Project) -> ProjectHealth:
    names = project.keypoint_names
    visible, occluded = [0] * len(names), [0] * len(names)
    splits: dict[str, SplitCounts] = {
        str(split): SplitCounts(images=n)
        for split, n in session.execute(
            select(Image.split, func.count())
            .where(Image.project_id == project.id)
            .group_by(Image.split)
        )
    }
    annotated_images = 0
    rows = session.execute(
        select(Image.split, Annotation.keypoints, Annotation.done)
        .join(Annotation, Annotation.image_id == Image.id)
        .where(Image.project_id == project.id)
    )
    for split, points, done in rows:
        counts = splits.setdefault(str(split), SplitCounts())
        counts.done += int(done)
        labeled_any = False
        for i, point in enumerate(points[: len(names)]):
            state = point.get("visibility") if isinstance(point, dict) else None
            if state == "visible":
                visible[i] += 1
            elif state == "occluded":
                occluded[i] += 1
            labeled_any = labeled_any or state in ("visible", "occluded")
        if labeled_any:
            counts.annotated += 1
            annotated_images += 1
    keypoints = [
        KeypointCoverage(
            name=name,
            visible=v,
            occluded=o,
            labeled=v + o,
            fraction=(v + o) / annotated_images if annotated_images else 0.0,
        )
        for name, v, o in zip(names, visible, occluded, strict=True)
    ]
    return ProjectHealth(
        project_id=project.id,
        counts=image_counts(session, [project.id])[project.id],
        splits=splits,
        keypoints=keypoints,
        never_labeled=[k.name for k in keypoints if k.labeled == 0],
        rarely_labeled=[k.name for k in keypoints if k.labeled > 0 and k.fraction < RARE_FRACTION],
        rare_fraction=RARE_FRACTION,
        annotators=_annotators(session, project.id),
    )


def _annotators(session: Session, project_id: int) -> list[AnnotatorActivity]:
    in_project = select(Image.id).where(Image.project_id == project_id).scalar_subquery()
    current: Counter[int | None] = Counter()
    done: Counter[int | None] = Counter()
    for author, is_done, n in session.execute(
        select(Annotation.updated_by_id, Annotation.done, func.count())
        .where(Annotation.image_id.in_(in_project), Annotation.version > 0)
        .group_by(Annotation.updated_by_id, Annotation.done)
    ):
        current[author] += n
        if is_done:
            done[author] += n
    revisions: Counter[int | None] = Counter()
    for author, n in session.execute(
        select(AnnotationRevision.author_id, func.count())
        .where(AnnotationRevision.image_id.in_(in_project))
        .group_by(AnnotationRevision.author_id)
    ):
        revisions[author] += n
    authors = set(current) | set(revisions)
    ids = [a for a in authors if a is not None]
    emails = {
        user_id: email
        for user_id, email in session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    }
    activity = [
        AnnotatorActivity(
            user_id=a,
            email=emails.get(a) if a is not None else None,
            annotations=current[a],
            done=done[a],
            revisions=revisions[a],
        )
        for a in authors
    ]
    return sorted(activity, key=lambda x: (-x.revisions, x.email or ""))
