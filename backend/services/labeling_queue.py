"""Which images to annotate next, per the project's `queue_strategy`.

- `sequential`: upload order (image id).
- `random`: a uniform sample of the remaining images (`seed` makes it repeatable).
- `uncertainty`: the active model version's `Prediction.queue_rank`, computed by the worker
  after each retraining (uncertainty-weighted k-center greedy, `worker/active_learning.py`).
  Images the worker has not ranked (uploaded since, or scoring failed) follow in upload order.
  With no active version there is nothing to rank by: it falls back to `sequential` and says so.

Images marked done are never queued; partly labeled ones are, as they still have keypoints to
place. The API only sorts here, so this module needs neither torch nor the model files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Annotation, Image, ImageState, Prediction, Project
from backend.services.jobs import active_model_version
from backend.services.projects import project_settings

TOP_KEYPOINTS = 3  # how many "why" keypoints an item names


@dataclass
class QueueEntry:
    image: Image
    score: float | None = None
    uncertain_keypoints: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Queue:
    strategy: str
    requested_strategy: str
    fallback_reason: str | None
    model_version_id: int | None
    remaining: int
    entries: list[QueueEntry]


def next_images(
    session: Session,
    project: Project,
    limit: int,
    strategy: str | None = None,
    seed: int | None = None,
    offset: int = 0,
) -> Queue:
    """A page of the queue: `limit` images from position `offset` of the whole order (a
    `random` order is the same for every page only with the same `seed`)."""
    requested = strategy or project_settings(project).queue_strategy
    pending = (Image.project_id == project.id, Image.state != ImageState.done)
    remaining = session.scalar(select(func.count(Image.id)).where(*pending)) or 0
    version = active_model_version(session, project.id) if requested == "uncertainty" else None
    if requested == "uncertainty" and version is None:
        reason = "no active model version yet: showing images in upload order"
        return Queue(
            "sequential",
            requested,
            reason,
            None,
            remaining,
            _sequential(session, pending, offset, limit),
        )
    if requested == "random":
        ids = list(session.scalars(select(Image.id).where(*pending).order_by(Image.id)))
        # The whole order is shuffled, so pages with one seed never overlap nor miss an image.
        chosen = random.Random(seed).sample(ids, len(ids))[offset : offset + limit]
        by_id = {i.id: i for i in session.scalars(select(Image).where(Image.id.in_(chosen)))}
        entries = [QueueEntry(by_id[i]) for i in chosen]
        return Queue("random", requested, None, None, remaining, entries)
    if requested == "sequential":
        entries = _sequential(session, pending, offset, limit)
        return Queue("sequential", requested, None, None, remaining, entries)
    assert version is not None
    rows = session.execute(
        select(Image, Prediction, Annotation)
        .outerjoin(
            Prediction,
            (Prediction.image_id == Image.id) & (Prediction.model_version_id == version.id),
        )
        .outerjoin(Annotation, Annotation.image_id == Image.id)
        .where(*pending)
        # Ranked images first by rank; unranked after them in upload order.
        .order_by(Prediction.queue_rank.is_(None), Prediction.queue_rank, Image.id)
        .offset(offset)
        .limit(limit)
    ).all()
    names = project.keypoint_names
    entries = [
        QueueEntry(
            image,
            prediction.uncertainty if prediction else None,
            _why(names, prediction, annotation),
        )
        for image, prediction, annotation in rows
    ]
    return Queue("uncertainty", requested, None, version.id, remaining, entries)


def _sequential(session: Session, pending: Any, offset: int, limit: int) -> list[QueueEntry]:
    query = select(Image).where(*pending).order_by(Image.id).offset(offset).limit(limit)
    return [QueueEntry(i) for i in session.scalars(query)]


def _why(
    names: list[str], prediction: Prediction | None, annotation: Annotation | None
) -> list[dict[str, Any]]:
    """The most uncertain keypoints that still need a label."""
    if prediction is None:
        return []
    labeled = {
        i
        for i, p in enumerate(annotation.keypoints if annotation else [])
        if isinstance(p, dict) and p.get("visibility", "unlabeled") != "unlabeled"
    }
    points = [
        {
            "name": name,
            "uncertainty": float(p["uncertainty"]),
            "confidence": p.get("confidence"),
            "reason": p.get("reason"),
        }
        for i, (name, p) in enumerate(zip(names, prediction.keypoints, strict=False))
        if i not in labeled and isinstance(p, dict) and p.get("uncertainty") is not None
    ]
    points.sort(key=lambda p: -float(p["uncertainty"] or 0.0))
    return points[:TOP_KEYPOINTS]
