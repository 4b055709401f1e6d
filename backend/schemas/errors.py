"""The one shape of every 4xx body, as `backend.app` renders it, documented in OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description="Where: e.g. ['body', 'roi', 0] or ['path', 'id']")
    msg: str


class ErrorBody(BaseModel):
    """`detail` says what went wrong in words; `code` names the kind for programs. Some errors
    add context: `field` (the input at fault), `errors` (each failed check of a 422),
    `current` (the stored annotation, with a 409 version_conflict), `job` or `state` (a job)."""

    model_config = ConfigDict(extra="allow")

    detail: str
    code: str = Field(
        description="invalid_input, not_found, conflict, version_conflict, not_authenticated, "
        "forbidden, payload_too_large, unsupported_media_type, too_many_requests, bad_request, "
        "http_error"
    )
    field: str | None = None
    errors: list[ValidationIssue] | None = None


# Every operation documents its client errors with this one shape, instead of FastAPI's
# default 422 `HTTPValidationError` (a list in `detail`), which is not what the API sends.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "A client error, explained in `detail`"}
}
