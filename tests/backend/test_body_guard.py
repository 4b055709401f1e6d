"""Bodies are refused before they are read: anonymous uploads with 401, oversized ones with 413
by their Content-Length, and a stream that grows past the limit is cut there (issue 14, item 5).

The app is called at the ASGI level with a `receive` that counts what it hands out, so each
test measures how much of the body the server actually read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.api.body_guard import FRAMING_SLACK, MAX_PLAIN_BODY_BYTES, PartSizes
from backend.api.deps import current_settings
from backend.config import get_settings
from tests.coroutines import run_to_end

BOUNDARY = "keyloopboundary1234"
CHUNK = 64 * 1024
MiB = 1024 * 1024


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    read: int  # body bytes the server took from `receive`


def multipart(file_bytes: int, filename: str = "big.zip", field: str = "files") -> Iterator[bytes]:
    """A multipart body with one file of `file_bytes` zeros, generated as it is read."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: application/zip\r\n\r\n'
    ).encode()
    for start in range(0, file_bytes, CHUNK):
        yield bytes(min(CHUNK, file_bytes - start))
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def call(
    app: FastAPI,
    path: str,
    chunks: Iterator[bytes],
    *,
    content_length: int | None,
    client: TestClient | None = None,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
    method: str = "POST",
) -> Outcome:
    headers = [(b"content-type", content_type.encode())]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    if client is not None:  # a logged-in browser: its cookies and CSRF header
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        headers += [(b"cookie", cookie.encode())]
        headers += [(b"x-csrf-token", client.headers["X-CSRF-Token"].encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("keyloop.test", 80),
    }
    read = 0
    pending = iter(chunks)
    nxt = next(pending, None)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read, nxt
        if nxt is None:
            return {"type": "http.disconnect"}
        chunk, nxt = nxt, next(pending, None)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": nxt is not None}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run_to_end(app(scope, receive, send))  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Outcome(status, json.loads(body), read)


def test_an_anonymous_upload_is_refused_before_a_byte_of_it_is_read(
    app: FastAPI, project: dict[str, Any]
) -> None:
    size = 300 * MiB  # streamed lazily: read in full, the test would take minutes
    for path in (
        f"/api/v1/projects/{project['id']}/images",
        "/api/v1/projects/import/coco",
        f"/api/v1/projects/{project['id']}/predict",
    ):
        got = call(app, path, multipart(size), content_length=size + 200)
        assert got.status == 401, got.body
        assert got.body["code"] == "not_authenticated"
        assert got.read == 0, f"{path}: read {got.read} bytes of an anonymous body"


def test_an_upload_without_its_csrf_header_is_refused_unread(
    app: FastAPI, admin: TestClient, project: dict[str, Any]
) -> None:
    forged = TestClient(app, cookies=admin.cookies, headers={"X-CSRF-Token": "wrong"})
    path = f"/api/v1/projects/{project['id']}/images"
    got = call(app, path, multipart(10 * MiB), content_length=None, client=forged)
    assert got.status == 403 and got.read == 0, (got.status, got.read)


def test_a_content_length_over_the_limit_is_413_before_reading(
    app: FastAPI, admin: TestClient, project: dict[str, Any]
) -> None:
    limit = get_settings().max_import_bytes + FRAMING_SLACK
    path = f"/api/v1/projects/{project['id']}/images"
    got = call(app, path, multipart(2 * MiB), content_length=limit + 1, client=admin)
    assert got.status == 413 and got.read == 0, (got.status, got.read)
    assert got.body["code"] == "payload_too_large"
    assert "KEYLOOP_MAX_IMPORT_BYTES" in got.body["detail"]


def test_a_json_body_over_its_limit_is_413_before_reading(
    app: FastAPI, admin: TestClient, project: dict[str, Any]
) -> None:
    size = MAX_PLAIN_BODY_BYTES + 1
    got = call(
        app,
        f"/api/v1/projects/{project['id']}",
        iter([b" " * size]),
        content_length=size,
        client=admin,
        content_type="application/json",
        method="PATCH",
    )
    assert got.status == 413 and got.read == 0, (got.status, got.read)


def test_a_file_over_the_upload_limit_stops_streaming_at_the_limit(
    app: FastAPI, admin: TestClient, project: dict[str, Any]
) -> None:
    limited = get_settings().model_copy(update={"max_upload_bytes": MiB})
    app.dependency_overrides[current_settings] = lambda: limited
    path = f"/api/v1/projects/{project['id']}/images"
    # Chunked (no Content-Length): only counting the stream can stop it.
    got = call(app, path, multipart(200 * MiB, "frames.zip"), content_length=None, client=admin)
    assert got.status == 413, got.body
    assert got.body["code"] == "payload_too_large"
    assert "frames.zip: larger than the 1048576-byte upload limit" in got.body["detail"]
    assert got.read < MiB + 2 * CHUNK + 32 * 1024, f"read {got.read} bytes of a 200 MiB file"


def test_a_file_within_the_limit_still_uploads(admin: TestClient, project: dict[str, Any]) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "blue").save(buf, "PNG")
    r = admin.post(
        f"/api/v1/projects/{project['id']}/images",
        files=[("files", ("ok.png", buf.getvalue(), "image/png"))],
    )
    assert r.status_code == 201, r.text


def test_part_sizes_follow_boundaries_split_across_chunks() -> None:
    body = b"".join(multipart(5000, "a.png")) + b"".join(multipart(100, "b.png"))
    for step in (1, 7, 64, 4096):
        parts = PartSizes(BOUNDARY.encode(), limit=4000)
        over = [parts.feed(body[i : i + step]) for i in range(0, len(body), step)]
        assert {name for name in over if name} == {"a.png"}, step


def test_a_video_upload_is_bounded_by_the_video_limit_not_the_image_one(
    app: FastAPI, admin: TestClient, project: dict[str, Any]
) -> None:
    limited = get_settings().model_copy(
        update={"max_upload_bytes": MiB, "max_video_bytes": 4 * MiB}
    )
    app.dependency_overrides[current_settings] = lambda: limited
    path = f"/api/v1/projects/{project['id']}/videos"
    # 2 MiB of zeros: past the image limit, within the video one, so the route sees it (and
    # refuses it as no video, 422) rather than the guard cutting it off.
    within = call(
        app, path, multipart(2 * MiB, "clip.mp4", "file"), content_length=None, client=admin
    )
    assert within.status == 422, within.body
    assert within.read > 2 * MiB
    over = call(
        app, path, multipart(64 * MiB, "clip.mp4", "file"), content_length=None, client=admin
    )
    assert over.status == 413, over.body
    assert "KEYLOOP_MAX_VIDEO_BYTES" in over.body["detail"] or "video" in over.body["detail"]
    assert over.read < 4 * MiB + FRAMING_SLACK + 2 * CHUNK
