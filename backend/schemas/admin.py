"""Shapes of the admin endpoints: dataset health, evaluation views, other users' tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from backend.schemas.project import ImageCounts


class KeypointCoverage(BaseModel):
    name: str
    visible: int
    occluded: int
    labeled: int  # visible + occluded
    fraction: float  # labeled / annotated images (0 when none is annotated)


class AnnotatorActivity(BaseModel):
    user_id: int | None  # None: the author was deleted
    email: str | None
    annotations: int  # images whose current annotation this user saved last
    done: int  # of those, marked done
    revisions: int  # saves over all time


class SplitCounts(BaseModel):
    images: int = 0
    annotated: int = 0  # at least one keypoint labeled
    done: int = 0


class ProjectHealth(BaseModel):
    project_id: int
    counts: ImageCounts
    splits: dict[str, SplitCounts]
    keypoints: list[KeypointCoverage]
    never_labeled: list[str]
    rarely_labeled: list[str]
    rare_fraction: float = Field(description="'rarely' = labeled on fewer than this share")
    annotators: list[AnnotatorActivity]


class ExampleImage(BaseModel):
    """One validation image of an evaluation, with points in image pixels (null: unknown)."""

    image_id: int
    original_name: str
    width: int
    height: int
    normalized_error: float | None
    predicted_xy: list[list[float] | None] | None
    true_xy: list[list[float] | None] | None


class EmbeddingPoint(BaseModel):
    x: float
    y: float
    keypoint: str
    image_id: int | None
    labeled: bool


class EmbeddingRead(BaseModel):
    evaluation_id: int
    method: str
    keypoint_names: list[str]
    points: list[EmbeddingPoint]


class EvaluationSummary(BaseModel):
    """An evaluation without its per-image lists and map (those can be large)."""

    id: int
    model_version_id: int
    alpha: float
    created_at: datetime
    pck: float | None
    # PCK's length: "bbox", "roi", "extent" (labeled keypoints), "mixed"; None before it was stored.
    normalizer: str | None = None
    per_keypoint: dict[str, float | None]
    mean_error_px: float | None
    count: int  # labeled keypoints scored
    image_count: int  # labeled validation images
    has_points: bool  # worst examples can be drawn
    has_embedding: bool


class LabelEfficiencyPoint(BaseModel):
    model_version_id: int
    created_at: datetime
    backbone: str
    labeled_count: int
    unlabeled_count: int
    pck: float | None
    is_active: bool
