from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from tests.backend.conftest import png_bytes, upload, zip_bytes


def _count(admin: TestClient, pid: Any) -> int:
    return int(admin.get(f"/api/v1/projects/{pid}/images").json()["total"])


def test_upload_stores_images_with_size_and_split(
    admin: TestClient, project: dict[str, Any]
) -> None:
    pid = project["id"]
    files = [(f"img{i}.png", png_bytes(40 + i, 30, color=(i * 20, 0, 0))) for i in range(10)]
    result = upload(admin, pid, *files)
    created = result["created"]
    assert [c["original_name"] for c in created] == [f"img{i}.png" for i in range(10)]
    assert created[3]["width"] == 43 and created[3]["height"] == 30
    splits = [c["split"] for c in created]
    assert splits.count("validation") == 2  # the default validation fraction is 0.2


def test_duplicate_upload_is_reported_not_stored(
    admin: TestClient, project: dict[str, Any]
) -> None:
    pid = project["id"]
    first = upload(admin, pid, ("a.png", png_bytes()))
    again = upload(admin, pid, ("copy.png", png_bytes()), ("copy2.png", png_bytes()))
    assert again["created"] == []
    dupes = again["duplicates"]
    assert dupes[0]["existing_image_id"] == first["created"][0]["id"]
    assert len(dupes) == 2
    assert _count(admin, pid) == 1


def test_zip_upload_adds_every_image_in_it(admin: TestClient, project: dict[str, Any]) -> None:
    archive = zip_bytes(
        {
            "frames/a.png": png_bytes(color="red"),
            "b.jpg": png_bytes(color="blue", fmt="JPEG"),
            "__MACOSX/._a.png": b"junk",
        }
    )
    result = upload(admin, project["id"], ("frames.zip", archive))
    assert sorted(c["original_name"] for c in result["created"]) == ["a.png", "b.jpg"]


def _rejected(admin: TestClient, pid: Any, *files: tuple[str, bytes]) -> tuple[int, str]:
    r = admin.post(f"/api/v1/projects/{pid}/images", files=[("files", f) for f in files])
    return r.status_code, str(r.json()["detail"])


def test_non_image_is_rejected_and_nothing_is_stored(
    admin: TestClient, project: dict[str, Any], blob_dir: Path
) -> None:
    status, detail = _rejected(
        admin, project["id"], ("good.png", png_bytes()), ("notes.txt", b"hello")
    )
    assert status == 415 and "notes.txt" in detail
    assert _count(admin, project["id"]) == 0
    assert not any(p.is_file() for p in blob_dir.rglob("*"))


def test_truncated_image_is_rejected(admin: TestClient, project: dict[str, Any]) -> None:
    data = png_bytes(200, 200, fmt="JPEG")
    status, detail = _rejected(admin, project["id"], ("cut.jpg", data[: len(data) // 2]))
    assert status == 422 and "cut.jpg" in detail and "corrupt" in detail


def test_decompression_bomb_is_rejected(admin: TestClient, project: dict[str, Any]) -> None:
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")  # 400 Mpx, a few KB compressed
    status, detail = _rejected(admin, project["id"], ("bomb.png", buf.getvalue()))
    assert status == 413 and "bomb.png" in detail


def test_oversized_file_is_rejected(admin: TestClient, project: dict[str, Any]) -> None:
    from backend.config import get_settings

    settings = get_settings()
    old = settings.max_upload_bytes
    settings.max_upload_bytes = 1000
    try:
        noise = Image.frombytes("RGB", (100, 100), os.urandom(30000))
        buf = io.BytesIO()
        noise.save(buf, "PNG")
        status, detail = _rejected(admin, project["id"], ("big.png", buf.getvalue()))
    finally:
        settings.max_upload_bytes = old
    assert status == 413 and "big.png" in detail


def test_zip_entry_outside_the_archive_is_rejected(
    admin: TestClient, project: dict[str, Any]
) -> None:
    archive = zip_bytes({"ok.png": png_bytes(), "../../etc/evil.png": png_bytes(color="blue")})
    status, detail = _rejected(admin, project["id"], ("x.zip", archive))
    assert status == 422 and "outside the archive" in detail
    assert _count(admin, project["id"]) == 0


def test_corrupt_zip_is_rejected(admin: TestClient, project: dict[str, Any]) -> None:
    status, detail = _rejected(admin, project["id"], ("x.zip", b"PK\x03\x04garbage"))
    assert status == 422 and "zip" in detail


def test_list_filters_and_paginates(admin: TestClient, project: dict[str, Any]) -> None:
    pid = project["id"]
    upload(admin, pid, *[(f"{i}.png", png_bytes(color=(i, i, i))) for i in range(7)])
    page = admin.get(f"/api/v1/projects/{pid}/images", params={"limit": 3, "offset": 3}).json()
    assert page["total"] == 7 and len(page["items"]) == 3
    assert [i["original_name"] for i in page["items"]] == ["3.png", "4.png", "5.png"]
    val = admin.get(f"/api/v1/projects/{pid}/images", params={"split": "validation"}).json()
    assert val["total"] == 1
    assert (
        admin.get(f"/api/v1/projects/{pid}/images", params={"has_prediction": True}).json()["total"]
        == 0
    )
    assert admin.get(f"/api/v1/projects/{pid}/images", params={"state": "bogus"}).status_code == 422


def test_list_finds_images_by_part_of_their_file_name(
    admin: TestClient, project: dict[str, Any]
) -> None:
    pid = project["id"]
    names = ["IMG_0423.JPG", "img_0424.png", "cam2_night_0423.png", "100%_tiger.png"]
    names.append("1000_tiger.png")
    upload(admin, pid, *[(n, png_bytes(color=(i, 0, 0))) for i, n in enumerate(names)])

    def found(name: str, **params: Any) -> list[str]:
        r = admin.get(f"/api/v1/projects/{pid}/images", params={"name": name, **params})
        assert r.status_code == 200, r.text
        return [i["original_name"] for i in r.json()["items"]]

    assert found("0423") == ["IMG_0423.JPG", "cam2_night_0423.png"]
    assert found("img_04") == ["IMG_0423.JPG", "img_0424.png"]  # any case
    assert found("100%") == ["100%_tiger.png"]  # % is a character, not a wildcard
    assert found("0_t") == ["1000_tiger.png"]  # so is _
    assert found("0423", state="done") == []  # with the other filters
    assert found("zebra") == []
    assert len(found("")) == len(names)  # an empty search keeps everything
    too_long = admin.get(f"/api/v1/projects/{pid}/images", params={"name": "x" * 256})
    assert too_long.status_code == 422


def test_image_bytes_thumbnail_and_delete(admin: TestClient, project: dict[str, Any]) -> None:
    data = png_bytes(600, 400)
    image = upload(admin, project["id"], ("big.png", data))["created"][0]
    r = admin.get(f"/api/v1/images/{image['id']}/file")
    assert r.status_code == 200 and r.content == data
    thumb = admin.get(f"/api/v1/images/{image['id']}/thumbnail")
    assert thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (256, 171)
    assert admin.delete(f"/api/v1/images/{image['id']}").status_code == 204
    assert admin.get(f"/api/v1/images/{image['id']}").status_code == 404


def test_roi_must_lie_inside_the_image(admin: TestClient, project: dict[str, Any]) -> None:
    image = upload(admin, project["id"], ("a.png", png_bytes(64, 48)))["created"][0]
    bad = admin.patch(f"/api/v1/images/{image['id']}", json={"roi": [10, 10, 100, 10]})
    assert bad.status_code == 422
    good = admin.patch(f"/api/v1/images/{image['id']}", json={"roi": [10, 10, 20, 20]})
    assert good.json()["roi"] == [10, 10, 20, 20]
