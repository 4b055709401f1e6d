"""Request dependencies as typed aliases: `SessionDep`, `AuthDep`, `CurrentUser`, role guards.

FastAPI runs a sync dependency on the thread pool: a hop out of the event loop and back,
which under load waits for the loop's turn while the request holds its database slot. So
every dependency that does no blocking work is `async def` (settings, codec, store, clock,
user, role guards); only those that query (`get_auth`) and the routes themselves use threads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.api.admission import admission_for
from backend.api.sessions import CSRF_HEADER, SESSION_COOKIE, SessionCodec, csrf_matches
from backend.config import Settings, get_settings
from backend.db.base import utcnow
from backend.db.session import get_reading_sessionmaker, get_sessionmaker, holds_a_transaction
from backend.errors import Forbidden, NotAuthenticated
from backend.models import Role, User, UserSession
from backend.services.storage import LocalBlobStore
from backend.services.user_sessions import find_session
from backend.services.users import user_for_token

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def current_settings() -> Settings:
    """The settings (tests override this dependency)."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(current_settings)]


async def db_slot(settings: SettingsDep) -> AsyncIterator[None]:
    """A database slot (backend/api/admission.py), awaited on the event loop, not a thread."""
    async with admission_for(settings).slot():
        yield


async def get_db(
    request: Request,
    settings: SettingsDep,
    _slot: Annotated[None, Depends(db_slot, scope="function")],
) -> AsyncIterator[Session]:
    # Making a Session does no I/O (it connects on its first query), so no thread for it.
    factory = get_reading_sessionmaker if request.method in SAFE_METHODS else get_sessionmaker
    session = factory(settings.database_url, settings.api_db_slots)()
    failed = False
    try:
        yield session
    except BaseException:
        failed = True  # a failed request leaves nothing behind, flushed or not
        raise
    finally:
        await _end(session, failed)


async def _end(session: Session, failed: bool) -> None:
    """Roll back (on failure) and close. A session that holds no transaction (nothing run,
    committed, or autocommit) has nothing to end on the server, so closing it is free, and
    ending a SQLite transaction touches only memory and the WAL index, never waits for a lock
    or a disk; otherwise (a server database) it is a round trip and goes to a thread, shielded
    so a client that went away cannot leave the connection checked out."""

    def end() -> None:
        if failed:
            session.rollback()
        session.close()

    if not holds_a_transaction(session) or session.get_bind().dialect.name == "sqlite":
        end()
        return
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(end)


# Function scope: the session closes and its slot frees when the route returns, before the
# response is sent, so a slow client reading a file or an export holds neither.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


async def get_clock() -> Callable[[], datetime]:
    """The time source of time-based rules (login throttling); tests override it."""
    return utcnow


ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


async def get_blob_store(settings: SettingsDep) -> LocalBlobStore:
    return LocalBlobStore(settings.files_dir)


BlobStoreDep = Annotated[LocalBlobStore, Depends(get_blob_store)]


async def get_session_codec(settings: SettingsDep) -> SessionCodec:
    return SessionCodec(settings.secret_key, settings.session_max_age_s)


SessionCodecDep = Annotated[SessionCodec, Depends(get_session_codec)]


@dataclass(frozen=True)
class Auth:
    """Who sent the request, and the browser session it came with (None for an API token)."""

    user: User
    user_session: UserSession | None


def get_auth(request: Request, session: SessionDep, codec: SessionCodecDep) -> Auth:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        user = user_for_token(session, auth[7:].strip())
        _commit_bookkeeping(session)  # the token's last-use time, even for read-only requests
        if user is None:
            raise NotAuthenticated("invalid or revoked API token")
        return Auth(user, None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("log in or send an API token")
    decoded = codec.decode(cookie)
    if decoded is None:
        raise NotAuthenticated("session expired; log in again")
    secret, csrf = decoded
    if request.method not in SAFE_METHODS and not csrf_matches(
        csrf, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(f"missing or wrong {CSRF_HEADER} header")
    user_session = find_session(session, secret)
    _commit_bookkeeping(session)  # an expired row deleted, or the last-seen time
    if user_session is None:
        raise NotAuthenticated("session ended or expired; log in again")
    return Auth(user_session.user, user_session)


def _commit_bookkeeping(session: Session) -> None:
    """Commit what authenticating changed before the request's own work begins: an error
    later in the request rolls back only that work."""
    if session.dirty or session.deleted:
        session.commit()


AuthDep = Annotated[Auth, Depends(get_auth)]


async def get_current_user(auth: AuthDep) -> User:
    return auth.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(minimum: Role) -> Callable[[User], Awaitable[User]]:
    async def guard(user: CurrentUser) -> User:
        if user.role.rank < minimum.rank:
            raise Forbidden(f"requires the {minimum.value} role; you are {user.role.value}")
        return user

    return guard


Viewer = CurrentUser
Annotator = Annotated[User, Depends(require_role(Role.annotator))]
Reviewer = Annotated[User, Depends(require_role(Role.reviewer))]
Admin = Annotated[User, Depends(require_role(Role.admin))]
