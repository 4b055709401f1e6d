"""Every way an image enters a project (upload, import, frame extraction) leaves its
thumbnail ready, made from the decode that validated it, so a grid of freshly added images
is served from files and never decodes a whole image on the API's request path."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from backend import data_layout
from backend.api.routes import images as image_routes
from backend.config import Settings
from backend.services.image_files import make_thumbnail
from tests.backend.conftest import SCHEMA, coco_upload, png_bytes, post_files, upload
from tests.backend.formats.helpers import zip_of
from worker.jobs.import_ import run_import_job


def _project(client: TestClient) -> int:
    r = client.post("/api/v1/projects", json={"name": "tigers", "keypoint_schema": SCHEMA})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _no_decoding_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_: bytes) -> bytes:
        raise AssertionError("the thumbnail route decoded an image")

    monkeypatch.setattr(image_routes, "make_thumbnail", refuse)


def _rotated_jpeg() -> bytes:
    """A landscape JPEG whose EXIF says to show it rotated a quarter turn: portrait."""
    img = Image.new("RGB", (400, 200), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_an_uploaded_image_is_shown_in_the_grid_without_a_decode(
    live_admin: TestClient, live_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = _project(live_admin)
    wide, turned = png_bytes(600, 400), _rotated_jpeg()
    created = upload(live_admin, project_id, ("wide.png", wide), ("turned.jpg", turned))["created"]
    for image in created:
        assert data_layout.thumbnail(live_settings.data_dir, image["checksum"]).is_file()

    _no_decoding_on_request(monkeypatch)
    sizes = []
    for image in created:
        r = live_admin.get(f"/api/v1/images/{image['id']}/thumbnail")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        sizes.append(Image.open(io.BytesIO(r.content)).size)
    # The same pictures the on-demand path makes: longer side 256, EXIF orientation applied.
    expected = [Image.open(io.BytesIO(make_thumbnail(data))).size for data in (wide, turned)]
    assert sizes == expected == [(256, 171), (128, 256)]


def test_an_image_without_a_stored_thumbnail_still_gets_one_on_request(
    live_admin: TestClient, live_settings: Settings
) -> None:
    image = upload(live_admin, _project(live_admin), ("a.png", png_bytes(300, 300)))["created"][0]
    data_layout.thumbnail(live_settings.data_dir, image["checksum"]).unlink()
    r = live_admin.get(f"/api/v1/images/{image['id']}/thumbnail")
    assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size == (256, 256)


def test_imported_images_come_with_their_thumbnails(
    live_admin: TestClient, live_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = _project(live_admin)
    url = f"/api/v1/projects/{project_id}/import/coco"
    r = post_files(live_admin, url, [("data.zip", zip_of(dict(coco_upload())))])
    assert r.status_code == 202, r.text
    assert run_import_job(r.json()["id"]) == "succeeded"

    _no_decoding_on_request(monkeypatch)
    images: list[dict[str, Any]] = live_admin.get(f"/api/v1/projects/{project_id}/images").json()[
        "items"
    ]
    assert len(images) == 2
    for image in images:
        assert data_layout.thumbnail(live_settings.data_dir, image["checksum"]).is_file()
        assert live_admin.get(f"/api/v1/images/{image['id']}/thumbnail").status_code == 200
