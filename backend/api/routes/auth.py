from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from backend.api.deps import (
    AuthDep,
    ClockDep,
    CurrentUser,
    SessionCodecDep,
    SessionDep,
    SettingsDep,
)
from backend.api.params import IdPath
from backend.api.sessions import (
    SESSION_COOKIE,
    SessionCodec,
    clear_session_cookies,
    new_csrf_token,
    set_session_cookies,
)
from backend.errors import NotAuthenticated
from backend.schemas.user import (
    LoginRequest,
    LoginResponse,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserRead,
    UserSessionRead,
)
from backend.services import login_throttle, user_sessions, users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login")
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    codec: SessionCodecDep,
    clock: ClockDep,
) -> LoginResponse:
    """Sign in. Failed attempts are counted per email and per client address: past a few in
    a row, logins answer 429 with Retry-After for a time that doubles with each failure."""
    ip = request.client.host if request.client else ""
    now = clock()
    login_throttle.check_allowed(session, body.email, ip, now)  # 429 while locked
    user = users.authenticate(session, body.email, body.password)
    if user is None:
        login_throttle.record_failure(session, body.email, ip, now)
        session.commit()
        raise NotAuthenticated("wrong email or password")
    login_throttle.record_success(session, body.email)
    _end_presented_session(request, session, codec)  # a new login replaces this browser's
    secret = user_sessions.start_session(
        session,
        user,
        max_age_s=settings.session_max_age_s,
        user_agent=request.headers.get("User-Agent", ""),
        ip=ip,
    )
    session.commit()
    csrf = new_csrf_token()
    set_session_cookies(
        response,
        codec.encode(secret, csrf),
        csrf,
        max_age_s=settings.session_max_age_s,
        secure=settings.env == "production",
    )
    return LoginResponse(user=UserRead.model_validate(user), csrf_token=csrf)


@router.post("/logout", status_code=204)
def logout(
    request: Request, response: Response, session: SessionDep, codec: SessionCodecDep
) -> None:
    """Ends the session server-side, so a copy of the cookie stops working too. Needs no
    CSRF header: a forged logout only logs out, and SameSite keeps other sites from it."""
    _end_presented_session(request, session, codec)
    session.commit()
    clear_session_cookies(response)


def _end_presented_session(request: Request, session: Session, codec: SessionCodec) -> None:
    decoded = codec.decode(request.cookies.get(SESSION_COOKIE, ""))
    if decoded is not None:
        user_sessions.end_session_by_secret(session, decoded[0])


@router.get("/me")
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.post("/password", status_code=204)
def change_password(body: PasswordChange, auth: AuthDep, session: SessionDep) -> None:
    """Change one's own password. Every other browser session ends (whoever knew the old
    password is logged out); this browser stays signed in; API tokens stay valid."""
    keep = auth.user_session.id if auth.user_session is not None else None
    users.change_own_password(
        session, auth.user, body.current_password, body.new_password, keep_session_id=keep
    )
    session.commit()


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, user: CurrentUser, session: SessionDep) -> TokenCreated:
    row, token = users.issue_token(session, user, body.name)
    session.commit()
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=token)


@router.get("/tokens")
def list_tokens(user: CurrentUser, session: SessionDep) -> list[TokenRead]:
    return [TokenRead.model_validate(r) for r in users.list_tokens(session, user.id)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: IdPath, user: CurrentUser, session: SessionDep) -> None:
    users.revoke_token(session, user, token_id)
    session.commit()


@router.get("/sessions")
def list_sessions(auth: AuthDep, session: SessionDep) -> list[UserSessionRead]:
    """The caller's live browser sessions; `current` marks the one this request came with."""
    rows = user_sessions.list_sessions(session, auth.user.id)
    return [UserSessionRead.from_row(row, auth.user_session) for row in rows]


@router.delete("/sessions/{session_id}", status_code=204)
def end_session(session_id: IdPath, auth: AuthDep, response: Response, session: SessionDep) -> None:
    """End one of the caller's sessions (e.g. a lost laptop's); ending the current one logs
    this browser out."""
    user_sessions.end_session(session, auth.user.id, session_id)
    session.commit()
    if auth.user_session is not None and auth.user_session.id == session_id:
        clear_session_cookies(response)
