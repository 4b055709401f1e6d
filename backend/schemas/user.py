from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from backend.models import Role, UserSession


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    is_active: bool
    created_at: datetime


class UserCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    role: Role = Role.annotator


class UserUpdate(BaseModel):
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=200)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class LoginRequest(BaseModel):
    email: str
    password: str


class LoginResponse(BaseModel):
    user: UserRead
    csrf_token: str


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str


class UserSessionRead(BaseModel):
    """A browser session as its user sees it; its secret never leaves the server."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    last_seen_at: datetime  # refreshed at most every few minutes
    expires_at: datetime
    user_agent: str
    ip: str
    current: bool = False  # the session the request came with

    @classmethod
    def from_row(cls, row: UserSession, current: UserSession | None) -> UserSessionRead:
        read = cls.model_validate(row)
        read.current = current is not None and row.id == current.id
        return read
