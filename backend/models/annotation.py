from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from backend.db.base import Base, TimestampMixin, check_points_finite, utcnow


class Annotation(Base):
    """The current keypoints of one image (single animal).

    `keypoints` is a list in schema order of `{"x", "y", "visibility", "source"}`;
    `version` increases by one on every save and guards against lost updates.
    """

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(default=0)
    keypoints: Mapped[list[Any]]
    done: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("keypoints")
    def _finite(self, _key: str, points: list[Any]) -> list[Any]:
        check_points_finite(points, f"annotation of image {self.image_id}")
        return points


class AnnotationRevision(TimestampMixin, Base):
    """Every saved state of an annotation, so no edit is ever lost."""

    __tablename__ = "annotation_revisions"
    __table_args__ = (UniqueConstraint("image_id", "version", name="uq_revisions_image_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    keypoints: Mapped[list[Any]]
    done: Mapped[bool]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "editor" (the annotator or an API client) or "import": the retraining policy counts
    # only editor saves, so importing a labeled dataset does not start a training by itself.
    # "review": a reviewer's decision on suspect labels (services/review.py).
    origin: Mapped[str] = mapped_column(String(16), default="editor", server_default="editor")

    @validates("keypoints")
    def _finite(self, _key: str, points: list[Any]) -> list[Any]:
        check_points_finite(points, f"revision of image {self.image_id}")
        return points
