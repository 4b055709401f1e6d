from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base
from backend.models.annotation import AnnotationRevision


class AnnotationEffort(Base):
    """What one editor save took: counts the annotator's browser kept since the previous save
    of that image (`frontend/src/core/effort.ts`). Aggregates only, never a log of inputs.

    Keyed by the revision it came with (image, author and time are the revision's);
    `model_version_id` is the version whose prediction the annotator saw (null: none shown).
    """

    __tablename__ = "annotation_efforts"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("annotation_revisions.id", ondelete="CASCADE"), unique=True
    )
    revision: Mapped[AnnotationRevision] = relationship()
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), index=True
    )
    placed: Mapped[int]
    moved: Mapped[int]
    accepted: Mapped[int]
    accepted_revoked: Mapped[int]
    occluded: Mapped[int]
    unlabeled: Mapped[int]
    predicted: Mapped[int]
    clicks: Mapped[int]
    active_seconds: Mapped[float]
