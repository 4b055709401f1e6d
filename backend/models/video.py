"""Videos uploaded into a project; their extracted frames are ordinary `Image` rows."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, TimestampMixin


class Video(TimestampMixin, Base):
    """A video file, content-addressed like images (`checksum`), with what its probe read.

    The row is added only after the container opened and a first frame decoded
    (`backend/services/video_files.probe`), so a stored video is always readable.
    """

    __tablename__ = "videos"
    __table_args__ = (
        UniqueConstraint("project_id", "checksum", name="uq_videos_project_checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(500))
    fps: Mapped[float]
    frame_count: Mapped[int]
    duration_s: Mapped[float]
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    codec: Mapped[str] = mapped_column(String(50))
