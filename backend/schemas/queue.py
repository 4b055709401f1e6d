"""The labeling queue: which images to annotate next, and why."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from backend.schemas.image import ImageRead

Strategy = Literal["uncertainty", "random", "sequential"]


class UncertainKeypoint(BaseModel):
    name: str
    uncertainty: float  # in [0, 1]: rank-averaged over the pool (worker/ml/uncertainty.py)
    confidence: float | None
    # The signal that ranks highest: "equivariance" (moves under warps), "invariance"
    # (representation unstable), "semantic" (classifier unsure), "low_confidence" (weak peak).
    reason: str | None


class QueueItem(BaseModel):
    image: ImageRead
    rank: int  # position in this response, 0 = annotate first
    score: float | None  # image uncertainty in [0, 1]; null for random and sequential
    uncertain_keypoints: list[UncertainKeypoint]  # most uncertain first, unlabeled only


class QueueRead(BaseModel):
    strategy: Strategy  # the strategy used, after any fallback
    requested_strategy: Strategy  # the project's setting (or the query override)
    fallback_reason: str | None
    model_version_id: int | None
    remaining: int  # images not yet done
    items: list[QueueItem]
