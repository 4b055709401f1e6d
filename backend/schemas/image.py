from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.models import ImageSplit, ImageState
from backend.schemas.common import FiniteFloat


class ImageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    original_name: str
    width: int
    height: int
    checksum: str
    media_type: str
    split: ImageSplit
    state: ImageState
    roi: list[float] | None
    labeled_count: int
    created_at: datetime
    # Set when the image is a frame extracted from one of the project's videos.
    video_id: int | None = None
    frame_index: int | None = None
    frame_time: float | None = None
    # Set by a review decision, cleared by any later save that is not a review.
    reviewed_at: datetime | None = None
    reviewed_by_id: int | None = None


class ImageUpdate(BaseModel):
    split: ImageSplit | None = None
    # [x, y, w, h] in image pixels; send null to clear.
    roi: list[FiniteFloat] | None = Field(default=None, min_length=4, max_length=4)
    clear_roi: bool = False


class ImagePage(BaseModel):
    items: list[ImageRead]
    total: int
    offset: int
    limit: int


class DuplicateUpload(BaseModel):
    filename: str
    existing_image_id: int | None
    detail: str


class UploadResult(BaseModel):
    created: list[ImageRead]
    duplicates: list[DuplicateUpload]
