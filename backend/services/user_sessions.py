"""Browser sessions stored server-side: starting, looking up, listing and ending them.

The browser's cookie carries a random secret (see `api/sessions.py`); a `UserSession` row
holds its SHA-256, like an API token. Ending a session deletes its row, so the cookie stops
working everywhere it was copied to. Expiry is absolute (`expires_at`, set at login): an
expired row is refused and deleted when presented, and `keyloop gc` sweeps the rest.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Delete, delete, func, select
from sqlalchemy.orm import Session, joinedload

from backend.db.base import utcnow
from backend.errors import NotFound
from backend.models import User, UserSession
from backend.models.user import IP_LENGTH, USER_AGENT_LENGTH
from backend.services.security import hash_token

# `last_seen_at` is approximate by this much: a write per request would serialise SQLite.
LAST_SEEN_EVERY = timedelta(minutes=5)


def start_session(session: Session, user: User, *, max_age_s: int, user_agent: str, ip: str) -> str:
    """Start a session; returns the secret for the cookie (only its hash is stored)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        secret_hash=hash_token(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=max_age_s),
        last_seen_at=now,
        user_agent=user_agent[:USER_AGENT_LENGTH],
        ip=ip[:IP_LENGTH],
    )
    session.add(row)
    session.flush()
    return secret


def find_session(
    session: Session, secret: str, *, now: datetime | None = None
) -> UserSession | None:
    """The live session whose cookie carries `secret`, or None.

    Marks changes without flushing (an expired row deleted, `last_seen_at` refreshed): the
    caller commits them even when the request itself only reads."""
    now = now or utcnow()
    row = session.scalar(
        select(UserSession)
        .options(joinedload(UserSession.user))  # one query per request, not two
        .where(UserSession.secret_hash == hash_token(secret))
    )
    if row is None:
        return None
    if row.expires_at <= now:
        session.delete(row)
        return None
    if not row.user.is_active:
        return None
    if now - row.last_seen_at > LAST_SEEN_EVERY:
        row.last_seen_at = now
    return row


def list_sessions(
    session: Session, user_id: int, *, now: datetime | None = None
) -> Sequence[UserSession]:
    """A user's live sessions, most recently used first."""
    query = (
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > (now or utcnow()))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return session.scalars(query).all()


def end_session(session: Session, user_id: int, session_id: int) -> None:
    """End one of `user_id`'s sessions; another user's is as absent as a missing one."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"session {session_id} not found")
    session.delete(row)
    session.flush()


def end_session_by_secret(session: Session, secret: str) -> None:
    """Logout: end the session whose cookie carries `secret`, if it still exists."""
    session.execute(delete(UserSession).where(UserSession.secret_hash == hash_token(secret)))


def end_all_sessions(session: Session, user_id: int, *, keep_id: int | None = None) -> int:
    """End every session of `user_id` but `keep_id`; returns how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    return _deleted(session, query)


def delete_expired(session: Session, now: datetime, *, dry_run: bool = False) -> int:
    """Delete (or with `dry_run` only count) the sessions expired by `now`."""
    expired = UserSession.expires_at <= now
    if dry_run:
        return session.scalar(select(func.count()).select_from(UserSession).where(expired)) or 0
    return _deleted(session, delete(UserSession).where(expired))


def _deleted(session: Session, query: Delete) -> int:
    result = session.execute(query)
    return int(result.rowcount)  # type: ignore[attr-defined]  # a DELETE gives a CursorResult
