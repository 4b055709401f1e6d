from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from backend.calibration import Doubt
from backend.schemas.common import Counter, FiniteFloat
from backend.schemas.effort import EffortWrite

Visibility = Literal["unlabeled", "visible", "occluded"]
PointSource = Literal["human", "prediction"]


class Point(BaseModel):
    name: str
    x: FiniteFloat | None = None
    y: FiniteFloat | None = None
    visibility: Visibility = "unlabeled"
    source: PointSource = "human"


class AnnotationRead(BaseModel):
    image_id: int
    version: int
    keypoints: list[Point]
    done: bool
    updated_at: datetime | None
    updated_by: str | None


class AnnotationUpdate(BaseModel):
    version: Counter | None = Field(
        None, description="The version the client read; or send If-Match."
    )
    keypoints: list[Point]
    done: bool = False
    effort: EffortWrite | None = Field(
        None, description="What this save took in the annotator (counts since the last save)."
    )


class RevisionRead(BaseModel):
    version: int
    keypoints: list[Point]
    done: bool
    author: str | None
    # "editor", "import" or "review" (a reviewer's accept, fix or swap: services/review.py)
    origin: str
    created_at: datetime


class PredictedPoint(BaseModel):
    name: str
    x: float
    y: float
    # Calibrated, in [0, 1] (backend/calibration.py); predictions stored before calibration
    # existed hold the raw heatmap peak, clipped here.
    confidence: Annotated[float, AfterValidator(lambda c: min(1.0, max(0.0, c)))]
    uncertainty: float | None = None
    doubt: Doubt | None = None  # "border" | "weak_peak": shown, never accepted in bulk


class PredictionRead(BaseModel):
    image_id: int
    model_version_id: int
    keypoints: list[PredictedPoint]
    created_at: datetime
