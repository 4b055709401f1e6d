from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.schemas.common import Counter, RowId
from backend.schemas.image import ImageRead
from backend.schemas.training import JobRead

ExtractMethod = Literal["uniform", "kmeans", "uncertain"]


class VideoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    original_name: str
    checksum: str
    fps: float
    frame_count: int
    duration_s: float
    width: int
    height: int
    size_bytes: int
    codec: str
    created_at: datetime
    frame_images: int = 0  # how many of its frames are project images
    frames_labeled: int = 0  # of those, how many are labeled (in progress or done)


class VideoUploadRead(VideoRead):
    """An upload's answer: the video, and the `link_frames` job started when project images
    say they are its frames (DeepLabCut's `<stem>/img<N>.png` imported without it)."""

    link_job: JobRead | None = None


class ExtractFramesRequest(BaseModel):
    """`uniform`: evenly spaced; `kmeans`: one frame per cluster of downsampled grayscale
    frames (DeepLabCut's way of picking varied frames); `uncertain`: where the model
    (`model_version_id`, default the active one) is least sure, as the labeling queue ranks."""

    model_config = ConfigDict(extra="forbid")

    method: ExtractMethod = "kmeans"
    count: int = Field(20, ge=1, le=1000)
    start_s: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Only frames from this time on"
    )
    end_s: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Only frames before this time"
    )
    model_version_id: RowId | None = None

    @model_validator(mode="after")
    def _range(self) -> ExtractFramesRequest:
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        return self


class PredictVideoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_version_id: RowId | None = None
    every_nth: int = Field(1, ge=1, le=10_000, description="Predict every Nth frame")
    preview: bool = Field(True, description="Also render a labeled MP4 to watch")


class AddFramesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    frame_indices: list[Counter] = Field(min_length=1, max_length=100)


class ExistingFrame(BaseModel):
    frame_index: int
    image_id: int


class AddFramesResult(BaseModel):
    created: list[ImageRead]
    already_present: list[ExistingFrame]
    same_content: list[int] = Field(
        description="Frames identical to an image the project already has (not added)"
    )
