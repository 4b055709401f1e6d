from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from backend.db.base import Base, TimestampMixin, check_points_finite


class SecondLabel(TimestampMixin, Base):
    """An image an admin sent to a second annotator for an agreement check (issue 17).

    `reference_keypoints` are the first labels as they were when assigned (so later edits or
    reviews do not move the yardstick), by `reference_author_id`; `keypoints` are the second
    annotator's, labeled blind to the first, null until saved. Both in schema order, remapped
    with the annotations on a schema change (`services/schema_changes.py`).
    """

    __tablename__ = "second_labels"
    __table_args__ = (
        UniqueConstraint("image_id", "annotator_id", name="uq_second_labels_image_annotator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reference_author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reference_version: Mapped[int]
    reference_keypoints: Mapped[list[Any]]
    keypoints: Mapped[list[Any] | None]
    labeled_at: Mapped[datetime | None]

    @validates("keypoints", "reference_keypoints")
    def _finite(self, key: str, points: list[Any] | None) -> list[Any] | None:
        if points is not None:
            check_points_finite(points, f"second label {key} of image {self.image_id}")
        return points
