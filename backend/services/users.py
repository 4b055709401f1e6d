from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from backend.db.base import utcnow
from backend.errors import BadInput, Conflict, NotFound
from backend.models import ApiToken, Role, User
from backend.services.security import (
    hash_password,
    hash_token,
    new_api_token,
    verify_against_nobody,
    verify_password,
)
from backend.services.user_sessions import end_all_sessions

MIN_PASSWORD_LENGTH = 8


def create_user(session: Session, email: str, password: str, role: Role) -> User:
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(email=email, password_hash=hash_password(password), role=role, is_active=True)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None, in the same time whether or
    not the email has an account (a dummy hash is checked for unknown ones)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_against_nobody(password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivating ends every session, so reactivating later revives none of them."""
    user.is_active = active
    if not active:
        end_all_sessions(session, user.id)


def set_password(
    session: Session, user: User, password: str, *, keep_session_id: int | None = None
) -> None:
    """A new password ends every session but `keep_session_id` (the browser of a user who
    changes their own): whoever knew the old one is logged out. API tokens stay valid; revoke
    them separately."""
    user.password_hash = hash_password(password)
    end_all_sessions(session, user.id, keep_id=keep_session_id)


def change_own_password(
    session: Session, user: User, current: str, new: str, *, keep_session_id: int | None
) -> None:
    """A user replacing their own password must know the current one: a borrowed unlocked
    browser (or a stolen cookie) is not enough to lock its owner out."""
    if not verify_password(user.password_hash, current):
        raise BadInput("the current password is wrong", extra={"field": "current_password"})
    if verify_password(user.password_hash, new):
        raise BadInput("the new password is the current one", extra={"field": "new_password"})
    set_password(session, user, new, keep_session_id=keep_session_id)


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def ensure_first_admin(session: Session, email: str, password: str) -> tuple[User, str] | None:
    """On a database with no users, create an admin; returns it and the password used
    (a generated one-time password when none was given). Returns None if users exist."""
    if count_users(session) > 0:
        return None
    password = password or secrets.token_urlsafe(12)
    return create_user(session, email or "admin@localhost", password, Role.admin), password


def issue_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    token, token_hash = new_api_token()
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash)
    session.add(row)
    session.flush()
    return row, token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))  # one query per request, not two
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now  # throttled: a write per request would serialise SQLite
    return row.user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's API tokens, revoked ones included, oldest first."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list(session.scalars(query))


def revoke_token(
    session: Session, user: User, token_id: int, *, owner_id: int | None = None
) -> None:
    """`user` revokes one of their tokens, or (an admin) anyone's; with `owner_id` (an admin's
    `/users/{id}/tokens/{token_id}`) the token must also be that user's."""
    row = session.get(ApiToken, token_id)
    if owner_id is not None and (row is None or row.user_id != owner_id):
        raise NotFound(f"token {token_id} of user {owner_id} not found")
    if row is None or (row.user_id != user.id and user.role != Role.admin):
        raise NotFound(f"token {token_id} not found")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(row.created_at.tzinfo)
