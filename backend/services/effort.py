"""Labeling effort: stored with each editor save that reports it, summed for the admin page.

The annotator's browser counts (frontend/src/core/effort.ts); this module checks the counts fit
the project's schema, records them beside the save's revision with the model version whose
prediction was on screen, and aggregates them per model version, annotator or UTC day. Per-image
figures (clicks, seconds) add up every save of an image within a group, so an image labeled in
three sittings counts once, with the work of all three.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.models import (
    AnnotationEffort,
    AnnotationRevision,
    Image,
    ModelVersion,
    Prediction,
    Project,
    User,
)
from backend.schemas.effort import EffortGroup, EffortReport, EffortRow, EffortWrite

OUTCOMES = ("placed", "moved", "accepted", "occluded", "unlabeled")
COUNTS = (*OUTCOMES, "accepted_revoked", "predicted", "clicks")


def checked_effort(
    session: Session, project: Project, image: Image, effort: EffortWrite
) -> AnnotationEffort:
    """The effort row for a save of `image`, checked against the project (422 when it does
    not fit); the caller sets its `revision` and adds it. Checked before the save writes
    anything, so a bad effort refuses the whole save."""
    keypoints = len(project.keypoint_names)
    # Each keypoint changes outcome at most once per save (docs/API.md).
    outcomes = sum(getattr(effort, name) for name in OUTCOMES)
    for name, value in (
        ("placed+moved+accepted+occluded+unlabeled", outcomes),
        ("predicted", effort.predicted),
        ("accepted_revoked", effort.accepted_revoked),
    ):
        if value > keypoints:
            raise BadInput(
                f"effort.{name} is {value}, more than the {keypoints} keypoints of the schema",
                extra={"field": f"effort.{name.split('+')[0]}"},
            )
    return AnnotationEffort(
        model_version_id=_seen_version(session, project, image, effort),
        **{name: getattr(effort, name) for name in COUNTS},
        active_seconds=effort.active_seconds,
    )


def _seen_version(
    session: Session, project: Project, image: Image, effort: EffortWrite
) -> int | None:
    if "model_version_id" in effort.model_fields_set:
        version_id = effort.model_version_id
        if version_id is not None and (
            session.scalar(select(ModelVersion.project_id).where(ModelVersion.id == version_id))
            != project.id
        ):
            raise BadInput(
                f"effort.model_version_id {version_id} is no model version of this project",
                extra={"field": "effort.model_version_id"},
            )
        return version_id
    # Not said: the active version, if it has predicted this image (what the annotator sees).
    return session.scalar(
        select(ModelVersion.id)
        .join(Prediction, Prediction.model_version_id == ModelVersion.id)
        .where(
            ModelVersion.project_id == project.id,
            ModelVersion.is_active.is_(True),
            Prediction.image_id == image.id,
        )
    )


@dataclass
class _Totals:
    saves: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    seconds_by_image: dict[int, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, effort: AnnotationEffort, image_id: int) -> None:
        self.saves += 1
        for name in COUNTS:
            self.counts[name] += getattr(effort, name)
        self.seconds_by_image[image_id] += effort.active_seconds

    def row(self, key: dict[str, Any]) -> EffortRow:
        c, seconds = self.counts, list(self.seconds_by_image.values())
        images = len(seconds)
        net_accepted = max(0, c["accepted"] - c["accepted_revoked"])
        return EffortRow(
            **key,
            saves=self.saves,
            images=images,
            **c,
            active_seconds=round(sum(seconds), 1),
            accepted_untouched_fraction=net_accepted / c["predicted"] if c["predicted"] else None,
            clicks_per_image=c["clicks"] / images,
            seconds_per_image_mean=sum(seconds) / images,
            seconds_per_image_median=statistics.median(seconds),
        )


_Key = Callable[[int | None, int | None, int | None, str | None, datetime], Hashable]

_KEYS: dict[EffortGroup, _Key] = {
    "version": lambda version_id, number, _u, _e, _t: (version_id, number),
    "annotator": lambda _v, _n, user_id, email, _t: (user_id, email),
    "day": lambda _v, _n, _u, _e, created_at: created_at.date().isoformat(),
}


def _key_fields(group: EffortGroup, key: Any) -> dict[str, Any]:
    if group == "version":
        return {"model_version_id": key[0], "model_version_number": key[1]}
    if group == "annotator":
        return {"user_id": key[0], "email": key[1]}
    return {"day": key}


def _sort_key(group: EffortGroup, key: Any) -> Any:
    if group == "day":
        return key
    # Saves without a model first ("before any model"), then by number; annotators by email.
    return (key[1] is not None, key[1] if key[1] is not None else 0, key[0] or 0)


def effort_report(
    session: Session, project: Project, group: EffortGroup, user_id: int | None = None
) -> EffortReport:
    """Editor saves' effort in `project`, grouped; `user_id` keeps one annotator's saves.
    Imports never carry effort, and editor saves without it are counted apart."""
    scope = [Image.project_id == project.id, AnnotationRevision.origin == "editor"]
    if user_id is not None:
        scope.append(AnnotationRevision.author_id == user_id)
    rows = session.execute(
        select(
            AnnotationEffort,
            AnnotationRevision.image_id,
            AnnotationRevision.author_id,
            AnnotationRevision.created_at,
            ModelVersion.number,
            User.email,
        )
        .join(AnnotationRevision, AnnotationRevision.id == AnnotationEffort.revision_id)
        .join(Image, Image.id == AnnotationRevision.image_id)
        .outerjoin(ModelVersion, ModelVersion.id == AnnotationEffort.model_version_id)
        .outerjoin(User, User.id == AnnotationRevision.author_id)
        .where(*scope)
    )
    totals: dict[Hashable, _Totals] = defaultdict(_Totals)
    for effort, image_id, author_id, created_at, number, email in rows:
        key = _KEYS[group](effort.model_version_id, number, author_id, email, created_at)
        totals[key].add(effort, image_id)
    unmeasured = session.scalar(
        select(func.count())
        .select_from(AnnotationRevision)
        .join(Image, Image.id == AnnotationRevision.image_id)
        .outerjoin(AnnotationEffort, AnnotationEffort.revision_id == AnnotationRevision.id)
        .where(*scope, AnnotationEffort.id.is_(None))
    )
    ordered = sorted(totals, key=lambda k: _sort_key(group, k))
    return EffortReport(
        project_id=project.id,
        group=group,
        user_id=user_id,
        rows=[totals[k].row(_key_fields(group, k)) for k in ordered],
        unmeasured_saves=unmeasured or 0,
    )
