from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, TimestampMixin


class LabelSuspect(TimestampMixin, Base):
    """One human keypoint label that may be wrong, scored by a model version.

    `score` in [0, 1] (higher = more likely wrong); `reasons` is a list of
    `{"kind", "detail", ...}`, strongest first (kinds in `backend/schemas/suspect.py`). A suspect
    is *open* while its image's annotation is still at `annotation_version`: any later save
    (a fix, a swap, or a reviewer accepting the label as it is) closes it.
    """

    __tablename__ = "label_suspects"
    __table_args__ = (Index("ix_label_suspects_project_score", "project_id", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), index=True
    )
    keypoint: Mapped[str] = mapped_column(String(200))
    annotation_version: Mapped[int]
    score: Mapped[float]
    reasons: Mapped[list[Any]]
