"""Suspect labels: human keypoints a model version scores as likely wrong (issue 17)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

# Why a label is suspect, strongest signal first in `SuspectRead.reasons`:
# far_from_prediction  - far from a prediction the model is sure of
# classified_as_other  - the keypoint classifier reads the label's spot as another keypoint
# left_right_swap      - swapping it with its flip pair fits the prediction much better
# edge_length          - a skeleton edge through it is far outside the project's lengths
# outside_roi          - outside the image's region of interest
SuspectKind = Literal[
    "far_from_prediction", "classified_as_other", "left_right_swap", "edge_length", "outside_roi"
]


class SuspectReason(BaseModel):
    model_config = ConfigDict(extra="allow")  # kind-specific numbers (distance, other keypoint)

    kind: SuspectKind
    detail: str  # one sentence for the reviewer


class SuspectPoint(BaseModel):
    x: float | None
    y: float | None


class SuspectRead(BaseModel):
    id: int
    image_id: int
    image_name: str
    keypoint: str
    score: float  # in [0, 1], higher = more likely wrong
    reasons: list[SuspectReason]
    label: SuspectPoint  # the human label as it is now
    predicted: SuspectPoint | None  # the scoring version's prediction, when stored
    model_version_id: int | None
    annotation_version: int
    created_at: datetime


class SuspectPage(BaseModel):
    total: int  # open suspects in the project
    items: list[SuspectRead]  # worst first
