"""Refusing request bodies early: unauthenticated or oversized ones are not read at all.

FastAPI parses a multipart body (spooling its files to the temp dir) before any dependency
runs, authentication included, and a size check in a route sees a file only once all of it has
arrived: an anonymous 300 MiB upload was spooled before its 401, a 1 GiB zip streamed for
minutes before its 413 (issue 14, item 5). This pure ASGI middleware (BaseHTTPMiddleware would
buffer the body) sits in front of the API and, for a request with a body:

- refuses a `Content-Length` over the request's limit with 413 before reading a byte;
- for a body that may be large (multipart, over `SMALL_BODY_BYTES`, or of unknown length)
  authenticates first, with the very dependencies a route uses (`AuthDep`: session cookie and
  CSRF header, or API token; test overrides included), and answers their 401/403 unread;
- counts the bytes as they stream and stops at the limit: the request's total, and in a
  multipart upload each file (`max_upload_bytes`, found by its boundaries), answering 413.

Limits: an import (`.../import/{fmt}`) may carry `max_import_bytes` in all; a video upload
(`/projects/{id}/videos`) `max_video_bytes`; another multipart upload `max_import_bytes` in all
and `max_upload_bytes` per file; any other body `MAX_PLAIN_BODY_BYTES`.
Each limit has a little slack for multipart framing, so the routes' exact checks (and their
messages naming the file) still decide at the boundary.
"""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.utils import get_dependant, solve_dependencies
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.deps import Auth, current_settings, get_auth
from backend.config import Settings, get_settings
from backend.errors import KeyloopError

API_PREFIX = "/api/v1"
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SMALL_BODY_BYTES = 64 * 1024
MAX_PLAIN_BODY_BYTES = 8 * 1024 * 1024  # JSON: the largest is a project's schema
FRAMING_SLACK = 1024 * 1024  # multipart boundaries and part headers of a whole request
PART_SLACK = 16 * 1024  # one part's headers
# Anonymous requests with a body that are not refused for it (all of them small JSON).
ANONYMOUS_PATHS = {f"{API_PREFIX}/auth/login", f"{API_PREFIX}/auth/logout"}
# One file, checked exactly by the route (`services/videos.py`) as it streams to disk.
_VIDEO_UPLOAD = re.compile(rf"{API_PREFIX}/projects/[^/]+/videos/?")


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` mid-stream; rendered as 413 `payload_too_large`."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


def _authenticated(auth: Annotated[Auth, Depends(get_auth)]) -> None:
    """A route that only authenticates: solving it runs `get_auth` and what it depends on."""


_AUTH_ONLY = get_dependant(path="", call=_authenticated)


class PartSizes:
    """Sizes of the parts of a multipart body as it streams, from its boundaries alone;
    `feed` returns the file name of a part that has grown past `limit` bytes."""

    def __init__(self, boundary: bytes, limit: int) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.limit = limit
        self.pending = b"\r\n"  # the first boundary has no CRLF before it
        self.size = 0
        self.head = b""  # the start of the current part: its headers name the file

    def feed(self, chunk: bytes) -> str | None:
        data = self.pending + chunk
        start = 0
        while (found := data.find(self.delimiter, start)) != -1:
            self._count(data[start:found])
            start = found + len(self.delimiter)
            self.size, self.head = 0, b""
        keep = len(self.delimiter) - 1  # may be the start of the next delimiter
        cut = max(start, len(data) - keep)
        self._count(data[start:cut])
        self.pending = data[cut:]
        if self.size > self.limit:
            match = re.search(rb'filename="([^"]*)"', self.head)
            return match.group(1).decode(errors="replace") if match else "a file"
        return None

    def _count(self, data: bytes) -> None:
        self.size += len(data)
        if len(self.head) < 2048:
            self.head += data[: 2048 - len(self.head)]


class BodyGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or not path.startswith(API_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        app: FastAPI = scope["app"]
        # The routes' settings dependency, or what a test put in its place.
        override = app.dependency_overrides.get(current_settings)
        settings: Settings = override() if override is not None else get_settings()
        headers = Headers(scope=scope)
        length = _content_length(headers)
        content_type = headers.get("content-type", "")
        multipart = content_type.startswith("multipart/form-data")
        limit = _limits(path, multipart, settings)
        total_limit, part_limit = limit.total, limit.part
        if length is not None and length > total_limit:
            await _refuse(scope, receive, send, 413, _too_large(length, limit))
            return
        large = multipart or length is None or length > SMALL_BODY_BYTES
        if large and path not in ANONYMOUS_PATHS:
            try:
                await _authenticate(app, scope)
            except KeyloopError as exc:
                await _refuse(scope, receive, send, exc.status_code, exc.detail, exc)
                return
        parts = None
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if multipart and part_limit is not None and boundary:
            parts = PartSizes(boundary.group(1).encode("latin-1"), part_limit)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > total_limit:
                    raise BodyTooLarge(_too_large(received, limit))
                if parts is not None and (name := parts.feed(chunk)) is not None:
                    raise BodyTooLarge(
                        f"{name}: larger than the {settings.max_upload_bytes}-byte upload "
                        "limit (KEYLOOP_MAX_UPLOAD_BYTES)"
                    )
            return message

        await self.app(scope, limited_receive, send)


@dataclass(frozen=True)
class Limit:
    total: int  # the whole body
    part: int | None  # each uploaded file, when checked here
    setting: str  # what sets `total`, for the message


def _limits(path: str, multipart: bool, settings: Settings) -> Limit:
    if "/import/" in path:
        return Limit(settings.max_import_bytes + FRAMING_SLACK, None, "KEYLOOP_MAX_IMPORT_BYTES")
    if _VIDEO_UPLOAD.fullmatch(path):
        return Limit(settings.max_video_bytes + FRAMING_SLACK, None, "KEYLOOP_MAX_VIDEO_BYTES")
    if multipart:
        total = settings.max_import_bytes + FRAMING_SLACK
        return Limit(total, settings.max_upload_bytes + PART_SLACK, "KEYLOOP_MAX_IMPORT_BYTES")
    return Limit(MAX_PLAIN_BODY_BYTES, None, "the limit of a non-upload body")


def _too_large(size: int, limit: Limit) -> str:
    return (
        f"the request body is {size} bytes or more, over the {limit.total}-byte limit "
        f"({limit.setting})"
    )


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


async def _authenticate(app: FastAPI, scope: Scope) -> None:
    """Run the route's authentication dependencies now, before the body is read."""

    async def no_body() -> Message:
        raise RuntimeError("authentication must not read the body")

    async with AsyncExitStack() as stack:
        auth_scope: dict[str, Any] = {
            **scope,
            "fastapi_inner_astack": stack,
            "fastapi_function_astack": stack,
        }
        await solve_dependencies(
            request=Request(auth_scope, no_body),
            dependant=_AUTH_ONLY,
            dependency_overrides_provider=app,
            async_exit_stack=stack,
            embed_body_fields=False,
        )


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    exc: KeyloopError | None = None,
) -> None:
    code = exc.code if exc is not None else "payload_too_large"
    headers = {"Connection": "close", **(exc.headers if exc is not None else {})}
    response = JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)
    await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(BodyGuard)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail, "code": "payload_too_large"},
            status_code=413,
            headers={"Connection": "close"},
        )
