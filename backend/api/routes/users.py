"""Users, for admins: accounts and roles, their browser sessions and their API tokens (one's
own sessions and tokens are under `/auth`)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import Admin, AuthDep, SessionDep
from backend.api.params import IdPath
from backend.errors import BadInput
from backend.models import Role
from backend.schemas.user import (
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserSessionRead,
    UserUpdate,
)
from backend.services import user_sessions, users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(_: Admin, session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in users.list_users(session)]


@router.post("", status_code=201)
def create_user(body: UserCreate, _: Admin, session: SessionDep) -> UserRead:
    user = users.create_user(session, body.email, body.password, body.role)
    session.commit()
    return UserRead.model_validate(user)


@router.patch("/{user_id}")
def update_user(
    user_id: IdPath, body: UserUpdate, admin: Admin, auth: AuthDep, session: SessionDep
) -> UserRead:
    user = users.get_user(session, user_id)
    if user.id == admin.id and (body.is_active is False or (body.role and body.role != Role.admin)):
        raise BadInput("you cannot deactivate or demote yourself; ask another admin")
    if body.role is not None:
        user.role = body.role
    if body.is_active is not None:
        users.set_active(session, user, body.is_active)
    if body.password is not None:
        # An admin resetting their own password stays logged in in this browser.
        own = auth.user_session.id if auth.user_session and user.id == admin.id else None
        users.set_password(session, user, body.password, keep_session_id=own)
    session.commit()
    return UserRead.model_validate(user)


@router.get("/{user_id}/sessions")
def list_user_sessions(
    user_id: IdPath, _: Admin, auth: AuthDep, session: SessionDep
) -> list[UserSessionRead]:
    users.get_user(session, user_id)
    rows = user_sessions.list_sessions(session, user_id)
    return [UserSessionRead.from_row(row, auth.user_session) for row in rows]


@router.delete("/{user_id}/sessions", status_code=204)
def end_user_sessions(user_id: IdPath, _: Admin, session: SessionDep) -> None:
    """Log a user out everywhere (a lost laptop, a shared account); their API tokens stay."""
    user_sessions.end_all_sessions(session, users.get_user(session, user_id).id)
    session.commit()


@router.get("/{user_id}/tokens")
def list_user_tokens(user_id: IdPath, _: Admin, session: SessionDep) -> list[TokenRead]:
    users.get_user(session, user_id)
    return [TokenRead.model_validate(r) for r in users.list_tokens(session, user_id)]


@router.post("/{user_id}/tokens", status_code=201)
def issue_user_token(
    user_id: IdPath, body: TokenCreate, _: Admin, session: SessionDep
) -> TokenCreated:
    """A token for a script that acts as `user_id` (e.g. a bot account); shown once."""
    row, token = users.issue_token(session, users.get_user(session, user_id), body.name)
    session.commit()
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=token)


@router.delete("/{user_id}/tokens/{token_id}", status_code=204)
def revoke_user_token(user_id: IdPath, token_id: IdPath, admin: Admin, session: SessionDep) -> None:
    users.revoke_token(session, admin, token_id, owner_id=user_id)
    session.commit()
