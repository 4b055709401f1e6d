from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from backend.api.deps import CurrentUser, SessionDep, SettingsDep
from backend.api.sessions import CSRF_COOKIE, SESSION_COOKIE, SessionCodec, new_csrf_token
from backend.errors import NotAuthenticated
from backend.models import ApiToken
from backend.schemas.user import (
    LoginRequest,
    LoginResponse,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserRead,
)
from backend.services import users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login")
def login(
    body: LoginRequest, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginResponse:
    user = users.authenticate(session, body.email, body.password)
    if user is None:
        raise NotAuthenticated("wrong email or password")
    csrf = new_csrf_token()
    cookie = SessionCodec(settings.secret_key, settings.session_max_age_s).encode(user.id, csrf)
    secure = settings.env == "production"
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=settings.session_max_age_s,
        httponly=False,
        samesite="strict",
        secure=secure,
    )
    return LoginResponse(user=UserRead.model_validate(user), csrf_token=csrf)


@router.post("/logout", status_code=204)
def logout(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me")
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, user: CurrentUser, session: SessionDep) -> TokenCreated:
    row, token = users.issue_token(session, user, body.name)
    session.commit()
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=token)


@router.get("/tokens")
def list_tokens(user: CurrentUser, session: SessionDep) -> list[TokenRead]:
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return [TokenRead.model_validate(r) for r in rows]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, user: CurrentUser, session: SessionDep) -> None:
    users.revoke_token(session, user, token_id)
    session.commit()
