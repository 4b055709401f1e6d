"""Domain errors carry their HTTP status; one handler in `backend.app` renders them.

Services raise these instead of HTTPException so they stay usable from the CLI and workers.
"""

from __future__ import annotations

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
