"""Import and export endpoints: uploads, downloads, roles, and all-or-nothing imports."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Image, Project, Role
from tests.backend.conftest import ClientFactory
from tests.backend.formats.helpers import coco_doc, image_bytes, zip_of

NAMES = ["nose", "left_eye", "right_eye", "tail"]  # the `project` fixture's schema
KPS = [(10.0, 12.0, 2), (20.0, 22.0, 1), (0, 0, 0), (30.0, 40.0, 2)]


def coco_files(kps: list[tuple[float, float, int]] = KPS) -> list[tuple[str, bytes]]:
    items = [{"file": "a.png", "w": 64, "h": 48, "kps": kps}, {"file": "b.png", "w": 64, "h": 48}]
    doc = json.dumps(coco_doc(items, names=NAMES)).encode()
    return [("annotations.json", doc), ("a.png", image_bytes(1)), ("b.png", image_bytes(2))]


def post(client: TestClient, url: str, files: list[tuple[str, bytes]]) -> Any:
    return client.post(url, files=[("files", (n, d, "application/octet-stream")) for n, d in files])


def count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_admin_imports_coco_as_a_new_project_with_the_file_schema(admin: TestClient) -> None:
    r = post(admin, "/api/v1/projects/import/coco?name=imported", coco_files())
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["images_created"], body["annotations_saved"], body["duplicates"]) == (2, 1, [])
    project = admin.get(f"/api/v1/projects/{body['project_id']}").json()
    assert project["name"] == "imported"
    assert [k["name"] for k in project["keypoint_schema"]["keypoints"]] == NAMES
    assert project["counts"] == {**project["counts"], "total": 2, "done": 1, "new": 1}
    images = admin.get(f"/api/v1/projects/{body['project_id']}/images").json()["items"]
    a = next(i for i in images if i["original_name"] == "a.png")
    ann = admin.get(f"/api/v1/images/{a['id']}/annotation").json()
    assert ann["version"] == 1 and ann["updated_by"].startswith("admin")
    assert [p["visibility"] for p in ann["keypoints"]] == [
        "visible",
        "occluded",
        "unlabeled",
        "visible",
    ]


def test_import_into_a_project_from_a_zip_reports_duplicates(
    admin: TestClient, project: dict[str, Any]
) -> None:
    url = f"/api/v1/projects/{project['id']}/import/coco"
    first = post(admin, url, [("data.zip", zip_of(dict(coco_files())))])
    assert first.status_code == 200, first.text
    again = post(admin, url, coco_files())
    assert again.status_code == 200, again.text
    dups = again.json()["duplicates"]
    assert [(d["filename"], d["annotation"]) for d in dups] == [
        ("a.png", "kept existing"),
        ("b.png", "none"),
    ]
    assert again.json()["images_created"] == 0


def test_annotators_and_viewers_may_not_import(
    client_as: ClientFactory, project: dict[str, Any], db: Session
) -> None:
    for role in (Role.annotator, Role.viewer):
        client = client_as(role)
        r = post(client, f"/api/v1/projects/{project['id']}/import/coco", coco_files())
        assert r.status_code == 403, r.text
        assert post(client, "/api/v1/projects/import/coco", coco_files()).status_code == 403
    assert count(db, Image) == 0


def test_a_bad_import_is_a_422_naming_the_problem_and_stores_nothing(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    projects_before = count(db, Project)
    outside = coco_files([(10.0, 12.0, 2), (99.0, 22.0, 2), (0, 0, 0), (1.0, 1.0, 2)])
    cases = [
        (outside, "keypoint left_eye at (99.0, 22.0) is outside the 64x48 image"),
        ([("annotations.json", b"{oops")], "annotations.json: not valid JSON"),
        (coco_files()[:2], "image 'b.png' is not in the upload"),
        ([("x.zip", zip_of({"../evil.png": image_bytes(3)}))], "points outside the archive"),
    ]
    for files, message in cases:
        for url in (
            "/api/v1/projects/import/coco",
            f"/api/v1/projects/{project['id']}/import/coco",
        ):
            r = post(admin, url, files)
            assert r.status_code == 422, r.text
            assert message in r.json()["detail"]
    assert count(db, Image) == 0 and count(db, Project) == projects_before


def test_unknown_keypoint_names_the_keypoint(admin: TestClient, project: dict[str, Any]) -> None:
    doc = coco_doc([{"file": "a.png", "w": 64, "h": 48, "kps": [(1, 1, 2)]}], names=["paw"])
    files = [("annotations.json", json.dumps(doc).encode()), ("a.png", image_bytes(1))]
    r = post(admin, f"/api/v1/projects/{project['id']}/import/coco", files)
    assert (
        r.status_code == 422 and "keypoint 'paw' is not in project 'tigers'" in r.json()["detail"]
    )


def _imported(admin: TestClient) -> int:
    r = post(admin, "/api/v1/projects/import/coco?name=exported", coco_files())
    assert r.status_code == 201, r.text
    return int(r.json()["project_id"])


def test_viewers_export_coco_json_and_filter_it(
    admin: TestClient, client_as: ClientFactory
) -> None:
    project_id = _imported(admin)
    viewer = client_as(Role.viewer)
    r = viewer.get(f"/api/v1/projects/{project_id}/export/coco")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert [i["file_name"] for i in r.json()["images"]] == ["a.png", "b.png"]
    done = viewer.get(f"/api/v1/projects/{project_id}/export/coco?state=done").json()
    assert [i["file_name"] for i in done["images"]] == ["a.png"]
    images = admin.get(f"/api/v1/projects/{project_id}/images").json()["items"]
    b_id = next(i["id"] for i in images if i["original_name"] == "b.png")
    only_b = viewer.get(f"/api/v1/projects/{project_id}/export/coco?image_id={b_id}").json()
    assert [i["file_name"] for i in only_b["images"]] == ["b.png"]


def test_exports_download_zips_in_each_tool_layout(admin: TestClient) -> None:
    project_id = _imported(admin)
    expected = {
        "coco?images=true": {"annotations.json", "images/a.png", "images/b.png"},
        "cvat": {"annotations.xml", "images/a.png", "images/b.png"},
        "dlc": {
            "config.yaml",
            "labeled-data/exported/CollectedData_keyloop.csv",
            "labeled-data/exported/CollectedData_keyloop.h5",
            "labeled-data/exported/a.png",
            "labeled-data/exported/b.png",
        },
        "sleap": {"labels.pkg.slp"},
    }
    for fmt, names in expected.items():
        r = admin.get(f"/api/v1/projects/{project_id}/export/{fmt}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert set(zipfile.ZipFile(io.BytesIO(r.content)).namelist()) == names


def test_export_refuses_what_it_cannot_do(admin: TestClient) -> None:
    project_id = _imported(admin)
    r = admin.get(f"/api/v1/projects/{project_id}/export/coco?predictions=true")
    assert r.status_code == 404 and "no active model version" in r.json()["detail"]
    r = admin.get(f"/api/v1/projects/{project_id}/export/dlc?predictions=true")
    assert r.status_code == 422 and "COCO format only" in r.json()["detail"]
    assert admin.get(f"/api/v1/projects/{project_id}/export/yolo").status_code == 422
    assert admin.get("/api/v1/projects/999999/export/coco").status_code == 404
