from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from backend.db.base import Base, TimestampMixin, all_finite


class ImageSplit(enum.StrEnum):
    train = "train"
    validation = "validation"


class ImageState(enum.StrEnum):
    new = "new"
    predicted = "predicted"
    in_progress = "in_progress"
    done = "done"


class Image(TimestampMixin, Base):
    """An uploaded image. The bytes live content-addressed under the data dir (`checksum`)."""

    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("project_id", "checksum", name="uq_images_project_checksum"),
        # One image per frame of a video: re-extracting skips frames already taken.
        UniqueConstraint("video_id", "frame_index", name="uq_images_video_frame"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int]
    height: Mapped[int]
    split: Mapped[ImageSplit] = mapped_column(Enum(ImageSplit, native_enum=False, length=16))
    state: Mapped[ImageState] = mapped_column(
        Enum(ImageState, native_enum=False, length=16), default=ImageState.new, index=True
    )
    # Region of interest [x, y, w, h] in image pixels; the model crops to it when set.
    roi: Mapped[list[Any] | None]
    labeled_count: Mapped[int] = mapped_column(default=0)
    # A frame extracted from a video: which one, its index (0-based, presentation order) and
    # time in seconds. Deleting the video keeps the frame and its labels (SET NULL): labels
    # are the expensive part, and the frame's own PNG blob does not need the video.
    video_id: Mapped[int | None] = mapped_column(
        ForeignKey("videos.id", ondelete="SET NULL"), index=True
    )
    frame_index: Mapped[int | None]
    frame_time: Mapped[float | None]
    # Set by a review decision (services/review.py), cleared by any other save of the
    # annotation: "reviewed" means a reviewer saw the labels as they now are.
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @validates("roi")
    def _finite_roi(self, _key: str, roi: list[Any] | None) -> list[Any] | None:
        # The last line of defence (the API's schemas refuse these first): a NaN box stored
        # on SQLite would fail every later retraining.
        if roi is not None and not (len(roi) == 4 and all_finite(roi)):
            raise ValueError(f"image {self.original_name!r}: roi {roi!r} is not 4 finite numbers")
        return roi
