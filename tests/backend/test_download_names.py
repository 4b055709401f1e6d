"""Download names: any project name gives a valid Content-Disposition (RFC 6266/5987), with
the exact name in `filename*` and a plain-ASCII fallback, and never a CR/LF in a header."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from backend.api.downloads import attachment
from tests.backend.conftest import SCHEMA, png_bytes, upload


def _parts(header: str) -> dict[str, str]:
    kind, *params = (p.strip() for p in header.split(";"))
    assert kind == "attachment"
    return dict(p.split("=", 1) for p in params)


@pytest.mark.parametrize(
    ("name", "ascii_name", "utf8_name"),
    [
        ("Łoś", "_o_-coco.json", "Łoś-coco.json"),
        ("虎", "_-coco.json", "虎-coco.json"),
        ("a\r\nb", "a__b-coco.json", "a__b-coco.json"),
        ('say "hi"; ok\\', "say _hi__ ok_-coco.json", 'say "hi"; ok_-coco.json'),
    ],
)
def test_attachment_header_carries_any_name(name: str, ascii_name: str, utf8_name: str) -> None:
    header = attachment(f"{name}-coco.json")
    assert header.isascii() and "\r" not in header and "\n" not in header
    parts = _parts(header)
    assert parts["filename"] == f'"{ascii_name}"'
    assert parts["filename*"].startswith("UTF-8''")
    assert unquote(parts["filename*"].removeprefix("UTF-8''")) == utf8_name


@pytest.mark.parametrize("name", ["Łoś", "虎", "a\r\nb"])
@pytest.mark.parametrize(("fmt", "query", "suffix"), [("coco", "", "json"), ("cvat", "", "zip")])
def test_exports_of_projects_with_any_name(
    admin: TestClient, name: str, fmt: str, query: str, suffix: str
) -> None:
    r = admin.post("/api/v1/projects", json={"name": name, "keypoint_schema": SCHEMA})
    assert r.status_code == 201, r.text
    project: dict[str, Any] = r.json()
    upload(admin, project["id"], ("a.png", png_bytes()))
    export = admin.get(f"/api/v1/projects/{project['id']}/export/{fmt}{query}")
    assert export.status_code == 200, export.text
    filename = _parts(export.headers["Content-Disposition"])["filename*"]
    clean = name.replace("\r", "_").replace("\n", "_")
    assert unquote(filename.removeprefix("UTF-8''")) == f"{clean}-{fmt}.{suffix}"
