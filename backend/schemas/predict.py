"""Prediction results: one image interactively, or pages of a bulk job's results."""

from __future__ import annotations

from pydantic import BaseModel

from backend.calibration import Doubt


class KeypointPrediction(BaseModel):
    name: str
    x: float  # image pixels (EXIF orientation applied)
    y: float
    # Calibrated on the version's validation images (backend/calibration.py), in [0, 1]: the
    # rate at which such predictions were within PCK@alpha of the truth.
    confidence: float
    doubt: Doubt | None = None  # not offered as an answer: peak on the border or too weak


class ImagePrediction(BaseModel):
    model_version_id: int
    width: int
    height: int
    keypoints: list[KeypointPrediction]
    score: float  # mean confidence
    elapsed_ms: float


class BulkResult(BaseModel):
    index: int  # position in the job's input order
    image_id: int | None  # project image, or null for an uploaded file
    filename: str
    width: int
    height: int
    score: float | None
    keypoints: list[KeypointPrediction]


class BulkResultPage(BaseModel):
    job_id: int
    model_version_id: int
    items: list[BulkResult]
    total: int
    offset: int
    limit: int
