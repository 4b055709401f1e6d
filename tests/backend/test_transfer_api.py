"""Import and export endpoints: starting import jobs (uploads kept, limits, roles) and
exports in each tool's layout. Import jobs running to the end: tests/backend/test_import_jobs.py."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.deps import current_settings
from backend.config import get_settings
from backend.models import Image, Job, Role
from backend.queue import QUEUE_LIGHT, TASK_IMPORT, make_celery
from backend.serve import child_commands
from backend.services.jobs import job_dir
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.conftest import ClientFactory, coco_upload, post_files
from tests.backend.formats.helpers import (
    image_bytes,
    make_user,
    patched_zip,
    run_import,
    write_tree,
    zip_of,
)


def count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def job_folders() -> set[str]:
    jobs = get_settings().jobs_dir
    return {p.name for p in jobs.iterdir()} if jobs.is_dir() else set()


def test_an_import_answers_202_with_a_queued_job_that_keeps_the_upload(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    files = [("data.zip", zip_of(dict(coco_upload()))), ("extra.png", image_bytes(9))]
    r = post_files(admin, f"/api/v1/projects/{project['id']}/import/coco?label=tiger", files)
    assert r.status_code == 202, r.text
    job = r.json()
    assert (job["kind"], job["state"], job["project_id"]) == ("import", "queued", project["id"])
    assert job["options"]["format"] == "coco" and job["options"]["label"] == "tiger"
    assert [(f["name"], f["zip"]) for f in job["options"]["files"]] == [
        ("data.zip", True),
        ("extra.png", False),
    ]
    inputs = job_dir(get_settings(), job["id"]) / "inputs"
    assert [p.read_bytes() for p in sorted(inputs.iterdir())] == [d for _, d in files]
    assert count(db, Image) == 0, "nothing is imported before the job runs"
    assert admin.get(f"/api/v1/jobs/{job['id']}").json()["state"] == "queued"


def test_annotators_and_viewers_may_not_import(
    client_as: ClientFactory, project: dict[str, Any], db: Session
) -> None:
    for role in (Role.annotator, Role.viewer):
        client = client_as(role)
        r = post_files(client, f"/api/v1/projects/{project['id']}/import/coco", coco_upload())
        assert r.status_code == 403, r.text
        assert post_files(client, "/api/v1/projects/import/coco", coco_upload()).status_code == 403
    assert count(db, Job) == 0


def test_an_upload_over_the_import_limit_is_a_413_and_stores_nothing(
    app: FastAPI, admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    files = coco_upload()
    size = sum(len(d) for _, d in files)
    limited = get_settings().model_copy(update={"max_import_bytes": size - 1})
    app.dependency_overrides[current_settings] = lambda: limited
    folders = job_folders()
    for url in ("/api/v1/projects/import/coco", f"/api/v1/projects/{project['id']}/import/coco"):
        r = post_files(admin, url, files)
        assert r.status_code == 413, r.text
        assert (
            f"the upload is {size} bytes, more than the {size - 1}-byte limit" in r.json()["detail"]
        )
        assert "KEYLOOP_MAX_IMPORT_BYTES" in r.json()["detail"]
    assert count(db, Job) == 0 and job_folders() <= folders
    limited.max_import_bytes = size
    assert post_files(admin, "/api/v1/projects/import/coco", files).status_code == 202


@pytest.mark.parametrize(("fmt", "labels"), [("sleap", "labels.slp"), ("cvat", "annotations.xml")])
def test_a_loose_video_frames_are_read_from_is_held_to_the_larger_of_the_two_limits(
    app: FastAPI, admin: TestClient, fmt: str, labels: str
) -> None:
    """A SLEAP file's or a CVAT video task's frames may come from the video beside it, which
    the upload limit let in before it became a project video too."""
    # Only sizes are checked before the job runs: any bytes will do.
    files = [(labels, bytes(100)), ("arena.mp4", bytes(200))]
    cases = [
        (100, 200, 202),  # over the upload limit, within the video limit
        (200, 1, 202),  # over the video limit, within the upload limit: a note later
        (100, 199, 413),
    ]
    for upload_limit, video_limit, status in cases:
        limited = get_settings().model_copy(
            update={"max_upload_bytes": upload_limit, "max_video_bytes": video_limit}
        )
        app.dependency_overrides[current_settings] = lambda limited=limited: limited
        r = post_files(admin, f"/api/v1/projects/import/{fmt}", files)
        assert r.status_code == status, r.text
    assert "arena.mp4: larger than the 199-byte video limit" in r.json()["detail"]


def test_an_upload_that_cannot_be_read_is_refused_before_a_job_exists(
    app: FastAPI, admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    into = f"/api/v1/projects/{project['id']}/import/coco"
    folders = job_folders()
    cases = [
        (into, [("x.zip", zip_of({"../evil.png": image_bytes(3)}))], 422, "outside the archive"),
        (into, [("x.zip", b"PK\x03\x04 but not a zip")], 422, "x.zip: not a valid zip archive"),
        (into, [("a.png", image_bytes(1)), ("a.png", image_bytes(2))], 422, "more than once"),
        (into, [], 422, "files"),
        ("/api/v1/projects/import/coco?name=tigers", coco_upload(), 409, "'tigers' already"),
        ("/api/v1/projects/999999/import/coco", coco_upload(), 404, "project 999999"),
    ]
    for url, files, status, message in cases:
        r = post_files(admin, url, files)
        assert r.status_code == status, (message, r.text)
        assert message in r.json()["detail"]
    limited = get_settings().model_copy(update={"max_upload_bytes": 100})
    app.dependency_overrides[current_settings] = lambda: limited
    r = post_files(admin, into, coco_upload())
    assert r.status_code == 413, r.text
    assert "annotations.json: larger than the 100-byte upload limit" in r.json()["detail"]
    assert count(db, Job) == 0 and job_folders() <= folders


def test_a_crafted_zip_is_refused_naming_the_member_before_a_job_exists(
    app: FastAPI, admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    into = f"/api/v1/projects/{project['id']}/import/coco"
    entries = dict(coco_upload())
    folders = job_folders()
    cases = [
        (patched_zip(entries, flags=0x1), "x.zip: member 'annotations.json' is encrypted"),
        (patched_zip(entries, method=9), "x.zip: member 'annotations.json' uses zip compression"),
        (zip_of(entries | {"C:/evil.png": b"1"}), "x.zip: entry 'C:/evil.png' points outside"),
        (zip_of(entries)[:-30], "x.zip: not a valid zip archive"),
    ]
    for data, message in cases:
        r = post_files(admin, into, [("x.zip", data)])
        assert r.status_code == 422, (message, r.text)
        assert message in r.json()["detail"]
    assert count(db, Job) == 0 and job_folders() <= folders


def test_a_zip_bomb_is_a_413_from_its_declared_sizes(
    app: FastAPI, admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.png", b"\0" * 2_000_000)
    limited = get_settings().model_copy(update={"max_import_bytes": 1_000_000})
    app.dependency_overrides[current_settings] = lambda: limited
    assert len(buf.getvalue()) < 10_000, "the upload itself is far under the limit"
    folders = job_folders()
    r = post_files(
        admin, f"/api/v1/projects/{project['id']}/import/coco", [("b.zip", buf.getvalue())]
    )
    assert r.status_code == 413, r.text
    assert (
        "expands to 2000000 bytes once unzipped, more than the 1000000-byte" in r.json()["detail"]
    )
    assert count(db, Job) == 0 and job_folders() <= folders


def test_imports_go_to_the_light_queue_and_serve_runs_a_worker_for_it() -> None:
    assert make_celery(get_settings()).conf.task_routes[TASK_IMPORT] == {"queue": QUEUE_LIGHT}
    workers = [c.argv for c in child_commands(get_settings(), "127.0.0.1", 8000, worker=True)]
    importer = next(argv for argv in workers if QUEUE_LIGHT in argv)
    assert importer[importer.index("-A") + 1] == "worker.import_app"
    main = next(argv for argv in workers if "worker.celery_app" in argv and "worker" in argv[4:])
    assert QUEUE_LIGHT not in main[main.index("-Q") + 1].split(",")


def _imported(db: Session, blob_dir: Path, tmp_path: Path) -> int:
    """A project "exported" with a.png (annotated, done) and b.png, imported as the job does."""
    write_tree(tmp_path / "in", dict(coco_upload()))
    store = LocalBlobStore(blob_dir)
    user = make_user(db)
    return run_import(
        db, store, Format.coco, tmp_path / "in", user=user, name="exported"
    ).project_id


def test_viewers_export_coco_json_and_filter_it(
    admin: TestClient, client_as: ClientFactory, db: Session, blob_dir: Path, tmp_path: Path
) -> None:
    project_id = _imported(db, blob_dir, tmp_path)
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


def test_exports_download_zips_in_each_tool_layout(
    admin: TestClient, db: Session, blob_dir: Path, tmp_path: Path
) -> None:
    project_id = _imported(db, blob_dir, tmp_path)
    expected = {
        "coco?images=true": {"annotations.json", "images/a.png", "images/b.png"},
        "cvat": {"annotations.xml", "images/a.png", "images/b.png"},
        "dlc": {  # loose images go under the animal's (the COCO category's) name
            "config.yaml",
            "labeled-data/mouse/CollectedData_keyloop.csv",
            "labeled-data/mouse/CollectedData_keyloop.h5",
            "labeled-data/mouse/a.png",
            "labeled-data/mouse/b.png",
        },
        "sleap": {"labels.pkg.slp"},
        "label-studio": {"tasks.json", "config.xml", "images/a.png", "images/b.png"},
        "yolo": {"data.yaml", "images/train/a.png", "images/train/b.png", "labels/train/a.txt"},
    }
    for fmt, names in expected.items():
        r = admin.get(f"/api/v1/projects/{project_id}/export/{fmt}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert set(zipfile.ZipFile(io.BytesIO(r.content)).namelist()) == names


def test_dlc_export_takes_the_lab_s_scorer_and_refuses_one_that_is_not_a_file_name(
    admin: TestClient, db: Session, blob_dir: Path, tmp_path: Path
) -> None:
    project_id = _imported(db, blob_dir, tmp_path)
    r = admin.get(f"/api/v1/projects/{project_id}/export/dlc?scorer=Mackenzie")
    assert r.status_code == 200, r.text
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert "labeled-data/mouse/CollectedData_Mackenzie.h5" in archive.namelist()
    assert b"scorer: Mackenzie" in archive.read("config.yaml")
    for bad in ("../evil", "a/b", "", "x" * 65):
        r = admin.get(f"/api/v1/projects/{project_id}/export/dlc", params={"scorer": bad})
        assert r.status_code == 422, (bad, r.text)


def test_exports_of_a_selection_with_no_annotated_image_are_valid_empty_files(
    admin: TestClient, db: Session, blob_dir: Path, tmp_path: Path
) -> None:
    project_id = _imported(db, blob_dir, tmp_path)
    images = admin.get(f"/api/v1/projects/{project_id}/images").json()["items"]
    b_id = next(i["id"] for i in images if i["original_name"] == "b.png")  # not annotated
    for fmt in ("coco", "coco?images=true", "cvat", "dlc", "sleap", "label-studio", "yolo"):
        for selection in (f"image_id={b_id}", "image_id=999999"):
            url = f"/api/v1/projects/{project_id}/export/{fmt}"
            r = admin.get(url + ("&" if "?" in url else "?") + selection)
            assert r.status_code == 200, (fmt, selection, r.text)
            if fmt == "coco":
                assert r.json()["annotations"] == []
            else:
                names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
                assert any(n.endswith((".json", ".xml", ".csv", ".slp", ".yaml")) for n in names)


def test_export_refuses_what_it_cannot_do(
    admin: TestClient, db: Session, blob_dir: Path, tmp_path: Path
) -> None:
    project_id = _imported(db, blob_dir, tmp_path)
    r = admin.get(f"/api/v1/projects/{project_id}/export/coco?predictions=true")
    assert r.status_code == 404 and "no active model version" in r.json()["detail"]
    r = admin.get(f"/api/v1/projects/{project_id}/export/dlc?predictions=true")
    assert r.status_code == 422 and "COCO format only" in r.json()["detail"]
    assert admin.get(f"/api/v1/projects/{project_id}/export/vott").status_code == 422
    assert admin.get("/api/v1/projects/999999/export/coco").status_code == 404
