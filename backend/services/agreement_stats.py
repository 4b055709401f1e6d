"""Inter-rater disagreement: second labels against the first labels they were sent with.

Per keypoint and per (first, second) annotator pair: how many keypoints both labeled, how many
only one of them labeled, and the distance between the two where both did, in pixels and
normalised as PCK is (`worker/ml/data.py`): by the longest side of the image's ROI, else of the
first labels' extent (which needs two labeled points; otherwise that image has no normalised
distance).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Image, Project, SecondLabel, User
from backend.schemas.agreement import (
    AgreementRead,
    AnnotatorPairDisagreement,
    Disagreement,
    KeypointDisagreement,
)


@dataclass
class _Tally:
    px: list[float] = field(default_factory=list)
    normalized: list[float] = field(default_factory=list)
    only_one: int = 0
    images: set[int] = field(default_factory=set)

    def summary(self) -> dict[str, Any]:
        return Disagreement(
            pairs=len(self.px),
            only_one=self.only_one,
            mean_px=statistics.fmean(self.px) if self.px else None,
            median_px=statistics.median(self.px) if self.px else None,
            mean_normalized=statistics.fmean(self.normalized) if self.normalized else None,
        ).model_dump()


def _xy(point: dict[str, Any]) -> tuple[float, float] | None:
    if point.get("visibility", "unlabeled") == "unlabeled" or point.get("x") is None:
        return None
    return float(point["x"]), float(point["y"])


def _normalizer(roi: list[Any] | None, reference: list[tuple[float, float] | None]) -> float | None:
    if roi is not None:
        return max(float(roi[2]), float(roi[3]), 1.0)
    labeled = [p for p in reference if p is not None]
    if len(labeled) < 2:
        return None
    xs, ys = [p[0] for p in labeled], [p[1] for p in labeled]
    return max(max(xs) - min(xs), max(ys) - min(ys), 1.0)


def agreement(session: Session, project: Project) -> AgreementRead:
    names = project.keypoint_names
    assigned = (
        session.scalar(
            select(func.count())
            .select_from(SecondLabel)
            .where(SecondLabel.project_id == project.id)
        )
        or 0
    )
    rows = session.execute(
        select(SecondLabel, Image.roi)
        .join(Image, Image.id == SecondLabel.image_id)
        .where(SecondLabel.project_id == project.id, SecondLabel.keypoints.is_not(None))
    ).all()
    per_keypoint = {name: _Tally() for name in names}
    per_pair: dict[tuple[int | None, int], _Tally] = defaultdict(_Tally)
    for label, roi in rows:
        reference = [_xy(p) for p in label.reference_keypoints]
        second = [_xy(p) for p in label.keypoints or []]
        norm = _normalizer(roi, reference)
        pair = per_pair[(label.reference_author_id, label.annotator_id)]
        pair.images.add(label.image_id)
        for k, name in enumerate(names):
            a = reference[k] if k < len(reference) else None
            b = second[k] if k < len(second) else None
            for tally in (per_keypoint[name], pair):
                if a is None and b is None:
                    continue
                if a is None or b is None:
                    tally.only_one += 1
                    continue
                distance = math.dist(a, b)
                tally.px.append(distance)
                if norm is not None:
                    tally.normalized.append(distance / norm)
    emails = _emails(session, {i for key in per_pair for i in key if i is not None})
    return AgreementRead(
        project_id=project.id,
        assigned=assigned,
        labeled=len(rows),
        keypoints=[KeypointDisagreement(name=n, **per_keypoint[n].summary()) for n in names],
        annotators=[
            AnnotatorPairDisagreement(
                first_id=first,
                first_email=emails.get(first) if first is not None else None,
                second_id=second_id,
                second_email=emails.get(second_id, "(deleted user)"),
                images=len(tally.images),
                **tally.summary(),
            )
            for (first, second_id), tally in sorted(
                per_pair.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])
            )
        ],
    )


def _emails(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    return {user_id: email for user_id, email in rows}
