"""Prediction results: one image interactively, or pages of a bulk job's results."""

from __future__ import annotations

from pydantic import BaseModel


class KeypointPrediction(BaseModel):
    name: str
    x: float  # image pixels (EXIF orientation applied)
    y: float
    confidence: float  # heatmap peak value, ~1 for a confident well-formed peak


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
