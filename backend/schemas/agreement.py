"""Agreement checks (issue 17): images sent to a second annotator, labeled blind, compared."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from backend.schemas.annotation import Point
from backend.schemas.common import RowId


class AssignmentCreate(BaseModel):
    annotator_id: RowId
    count: int = Field(ge=1, le=1000, description="How many annotated images to sample.")
    seed: int | None = Field(None, description="Repeats a sample; random when absent.")


class AssignmentRead(BaseModel):
    annotator_id: int
    requested: int
    assigned: int  # fewer than requested when fewer eligible images were left
    image_ids: list[int]


class SecondLabelRead(BaseModel):
    """What the second annotator sees: the image and their own labels, never the first's."""

    id: int
    image_id: int
    image_name: str
    width: int
    height: int
    keypoints: list[Point] | None  # theirs; null until saved
    labeled_at: datetime | None


class SecondLabelUpdate(BaseModel):
    keypoints: list[Point]


class Disagreement(BaseModel):
    pairs: int  # keypoints both annotators labeled
    only_one: int  # keypoints one labeled and the other left unlabeled
    mean_px: float | None
    median_px: float | None
    # Distance / the image's ROI longest side, else the first labels' extent (longest side),
    # as PCK normalises; over the pairs that have one (an extent needs 2 labeled points).
    mean_normalized: float | None


class KeypointDisagreement(Disagreement):
    name: str


class AnnotatorPairDisagreement(Disagreement):
    first_id: int | None
    first_email: str | None
    second_id: int
    second_email: str
    images: int


class AgreementRead(BaseModel):
    project_id: int
    assigned: int
    labeled: int
    keypoints: list[KeypointDisagreement]
    annotators: list[AnnotatorPairDisagreement]
