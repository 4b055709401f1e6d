from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from backend.api.deps import Admin, SessionDep
from backend.errors import BadInput
from backend.models import Role, User
from backend.schemas.user import UserCreate, UserRead, UserUpdate
from backend.services import users
from backend.services.security import hash_password

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(_: Admin, session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("", status_code=201)
def create_user(body: UserCreate, _: Admin, session: SessionDep) -> UserRead:
    user = users.create_user(session, body.email, body.password, body.role)
    session.commit()
    return UserRead.model_validate(user)


@router.patch("/{user_id}")
def update_user(user_id: int, body: UserUpdate, admin: Admin, session: SessionDep) -> UserRead:
    user = users.get_user(session, user_id)
    if user.id == admin.id and (body.is_active is False or (body.role and body.role != Role.admin)):
        raise BadInput("you cannot deactivate or demote yourself; ask another admin")
    if body.role is not None:
        user.role = body.role
    if body.is_active is not None:
        user.is_active = body.is_active
    if body.password is not None:
        user.password_hash = hash_password(body.password)
    session.commit()
    return UserRead.model_validate(user)
