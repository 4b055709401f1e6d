"""A stored file is answered from memory up to `INLINE_BYTES`, and streamed beyond, with the
same validators either way and Range requests where it streams."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.testclient import TestClient

from backend.api.stored_files import INLINE_BYTES, stored_file

HEADERS = {"Cache-Control": "private, max-age=31536000, immutable"}


@pytest.fixture
def serve(tmp_path: Path) -> TestClient:
    app = FastAPI()

    @app.get("/{name}")
    def get(name: str) -> object:
        return stored_file(tmp_path / name, "image/jpeg", HEADERS)

    return TestClient(app)


@pytest.mark.parametrize("size", [10, INLINE_BYTES, INLINE_BYTES + 1])
def test_the_body_and_headers_are_those_of_a_file_response_at_any_size(
    serve: TestClient, tmp_path: Path, size: int
) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    (tmp_path / "a.jpg").write_bytes(data)
    reference = FileResponse(tmp_path / "a.jpg", stat_result=(tmp_path / "a.jpg").stat())

    r = serve.get("/a.jpg")

    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-length"] == str(size)
    assert r.headers["cache-control"] == HEADERS["Cache-Control"]
    for name in ("etag", "last-modified"):
        assert r.headers[name] == reference.headers[name]


def test_a_large_file_is_streamed_and_answers_a_range(serve: TestClient, tmp_path: Path) -> None:
    data = b"k" * INLINE_BYTES + b"EYES"
    (tmp_path / "big.jpg").write_bytes(data)

    r = serve.get("/big.jpg", headers={"Range": f"bytes={INLINE_BYTES}-"})

    assert r.status_code == 206 and r.content == b"EYES"
    assert r.headers["accept-ranges"] == "bytes"


def test_a_small_file_is_whole_even_when_a_range_is_asked(
    serve: TestClient, tmp_path: Path
) -> None:
    """A server may ignore Range (RFC 9110 §14.2); a small file never advertises ranges."""
    (tmp_path / "s.jpg").write_bytes(b"0123456789")

    r = serve.get("/s.jpg", headers={"Range": "bytes=5-"})

    assert r.status_code == 200 and r.content == b"0123456789"
    assert "accept-ranges" not in r.headers
