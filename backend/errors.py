"""Domain errors carry their HTTP status; one handler in `backend.app` renders them.

Services raise these instead of HTTPException so they stay usable from the CLI and workers.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any


class KeyloopError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        extra: dict[str, Any] | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that belong with this error: Retry-After when the client should
        come back later (429, 503)."""
        return {} if self.retry_after_s is None else {"Retry-After": str(self.retry_after_s)}


class BadInput(KeyloopError):
    status_code = 422
    code = "invalid_input"


class NotFound(KeyloopError):
    status_code = 404
    code = "not_found"


class Conflict(KeyloopError):
    status_code = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"


class PayloadTooLarge(KeyloopError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(KeyloopError):
    status_code = 429
    code = "too_many_requests"


class UnsupportedMedia(KeyloopError):
    status_code = 415
    code = "unsupported_media_type"


class NotAuthenticated(KeyloopError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(KeyloopError):
    status_code = 403
    code = "forbidden"


class Overloaded(KeyloopError):
    """The API has no capacity for this request now; `Retry-After` says when to try again."""

    status_code = 503
    code = "overloaded"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, retry_after_s=retry_after_s)


class StorageFull(KeyloopError):
    """The server's disk (or its database's) refused a write for lack of space; the request's
    transaction was rolled back, so what was stored before is intact."""

    status_code = 507
    code = "storage_full"


# ENOSPC: the file system is full; EDQUOT: the user's quota on it is.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full


def storage_full(exc: BaseException) -> StorageFull | None:
    """The domain error for `exc` when it says the disk is full, else None: an OSError from a
    file write, SQLite's SQLITE_FULL or PostgreSQL's disk_full through SQLAlchemy."""
    cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    if isinstance(cause, OSError) and cause.errno in _FULL_ERRNOS:
        where = "the server's disk"
    elif _database_full(cause):
        where = "the database's disk"
    else:
        return None
    return StorageFull(
        f"{where} is full, so nothing from this request was saved; what was stored before is "
        "intact. Free space on the server (or ask its administrator to) and try again."
    )


def _database_full(cause: BaseException) -> bool:
    if isinstance(cause, sqlite3.Error):
        return getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return getattr(cause, "sqlstate", None) == _POSTGRES_DISK_FULL
