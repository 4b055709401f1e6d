from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, TimestampMixin, utcnow


class Project(TimestampMixin, Base):
    """A set of images sharing one keypoint schema.

    `keypoint_schema` is `{"keypoints": [{"name", "color"}], "skeleton": [[a, b]],
    "flip_pairs": [[l, r]]}` with names; annotations and predictions store points in the
    schema's order, so reorders and deletions go through `services.schema_changes`.
    """

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    keypoint_schema: Mapped[dict[str, Any]]
    settings: Mapped[dict[str, Any]]
    # What an import learned that an export back to the same tool needs and the schema has
    # no place for: {"name": the file's category/task name, "dlc": {"scorer", "config"}}.
    format_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def keypoint_names(self) -> list[str]:
        return [str(k["name"]) for k in self.keypoint_schema["keypoints"]]
