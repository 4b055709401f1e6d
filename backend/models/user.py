from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, TimestampMixin


class Role(enum.StrEnum):
    viewer = "viewer"
    annotator = "annotator"
    # Walks the review queue and accepts, fixes or swaps suspect labels (issue 17).
    reviewer = "reviewer"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]


_ROLE_RANK = {Role.viewer: 0, Role.annotator: 1, Role.reviewer: 2, Role.admin: 3}
USER_AGENT_LENGTH = 300
IP_LENGTH = 45  # an IPv6 address in text, at most


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    is_active: Mapped[bool] = mapped_column(default=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all")


class ApiToken(TimestampMixin, Base):
    """A bearer token for scripts. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(TimestampMixin, Base):
    """A browser's login. The cookie carries a random secret; only its SHA-256 is stored, so
    deleting the row ends the session wherever the cookie was copied to."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    # Updated at most every few minutes (`services.user_sessions.LAST_SEEN_EVERY`).
    last_seen_at: Mapped[datetime]
    # For the user to recognise a session in the list, not for any decision.
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_LENGTH))
    ip: Mapped[str] = mapped_column(String(IP_LENGTH))

    user: Mapped[User] = relationship()
