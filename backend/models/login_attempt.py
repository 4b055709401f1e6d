from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base

KEY_LENGTH = 330  # "email:" + an email address of at most 320 characters


class LoginAttempt(Base):
    """Recent failed logins for one account email (`email:<address>`) or one client address
    (`ip:<address>`). In the database, so every API process throttles alike; rows whose last
    failure is old are deleted by `keyloop gc`."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
