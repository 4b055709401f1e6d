"""Request dependencies as typed aliases: `SessionDep`, `CurrentUser`, role guards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.api.sessions import CSRF_HEADER, SESSION_COOKIE, SessionCodec, csrf_matches
from backend.config import Settings, get_settings
from backend.db.session import get_sessionmaker
from backend.errors import Forbidden, NotAuthenticated
from backend.models import Role, User
from backend.services.storage import LocalBlobStore
from backend.services.users import user_for_token

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db(settings: Annotated[Settings, Depends(get_settings)]) -> Iterator[Session]:
    session = get_sessionmaker(settings.database_url)()
    try:
        yield session
    except BaseException:
        session.rollback()  # a failed request leaves nothing behind, flushed or not
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]


def get_blob_store(settings: SettingsDep) -> LocalBlobStore:
    return LocalBlobStore(settings.files_dir)


BlobStoreDep = Annotated[LocalBlobStore, Depends(get_blob_store)]


def get_current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        user = user_for_token(session, auth[7:].strip())
        if user is None:
            raise NotAuthenticated("invalid or revoked API token")
        if session.dirty:
            session.commit()  # the token's last-use time, even for read-only requests
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("log in or send an API token")
    decoded = SessionCodec(settings.secret_key, settings.session_max_age_s).decode(cookie)
    if decoded is None:
        raise NotAuthenticated("session expired; log in again")
    user_id, csrf = decoded
    if request.method not in SAFE_METHODS and not csrf_matches(
        csrf, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(f"missing or wrong {CSRF_HEADER} header")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("account is inactive")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(minimum: Role) -> Callable[[User], User]:
    def guard(user: CurrentUser) -> User:
        if user.role.rank < minimum.rank:
            raise Forbidden(f"requires the {minimum.value} role; you are {user.role.value}")
        return user

    return guard


Viewer = CurrentUser
Annotator = Annotated[User, Depends(require_role(Role.annotator))]
Admin = Annotated[User, Depends(require_role(Role.admin))]
