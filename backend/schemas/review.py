"""Review decisions on suspect labels (issue 17): accept, fix or swap, each a revision."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.schemas.annotation import AnnotationRead, Point
from backend.schemas.common import Counter

# accept - the labels are right as they are (saved unchanged, by the reviewer)
# fix    - save the given keypoints over the stored ones
# swap   - exchange `keypoint` with its flip pair (left <-> right)
Decision = Literal["accept", "fix", "swap"]


class ReviewCreate(BaseModel):
    version: Counter = Field(description="The annotation version the reviewer saw.")
    decision: Decision
    keypoint: str | None = Field(None, description="The keypoint under review; required for swap.")
    keypoints: list[Point] | None = Field(
        None,
        description="fix: the corrected keypoints (any subset, by name); the others stay.",
    )


class ReviewRead(BaseModel):
    annotation: AnnotationRead
    reviewed_at: datetime
    reviewed_by: str
