"""The declarative base every model derives from.

A fixed naming convention makes constraint names identical on SQLite and PostgreSQL, so
Alembic migrations (and autogenerate's comparison) agree on both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def all_finite(values: Sequence[object]) -> bool:
    """True when every value is an int or float other than NaN and ±inf (bools excluded)."""
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )


def check_points_finite(points: Sequence[Any], owner: str) -> None:
    """Refuse keypoints `{"x", "y", ...}` with a non-finite coordinate: SQLite would store
    NaN and every later retraining would fail on it (PostgreSQL refuses it with a 500)."""
    for i, p in enumerate(points):
        xy = [p.get("x"), p.get("y")] if isinstance(p, dict) else []
        if any(v is not None for v in xy) and not all_finite(xy):
            raise ValueError(f"{owner}: keypoint {i} has coordinates {xy}, not finite numbers")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# JSON documents: JSONB on PostgreSQL (indexable), plain JSON text elsewhere.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # SQLAlchemy reads this class attribute by name; it is never mutated.
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDoc, list[Any]: JSONDoc}  # noqa: RUF012


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
