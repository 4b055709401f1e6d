"""Imports through the API are jobs: the request keeps the upload and answers 202; the job,
run here in this process as the `imports` worker runs it, reports its progress, then the
report or an error naming the element at fault, and stores everything or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.db.session import session_scope
from backend.services import images as image_service
from backend.services import transfer
from backend.services.image_files import DecodedImage
from backend.services.jobs import job_dir
from tests.backend.conftest import SCHEMA, coco_upload, post_files
from tests.backend.formats.helpers import (
    bad_crc_zip,
    blob_files,
    image_bytes,
    shared,
    stored_counts,
    zip_of,
)
from worker.jobs.import_ import run_import_job

NEW = "/api/v1/projects/import/coco"


def _project(client: TestClient) -> dict[str, Any]:
    r = client.post("/api/v1/projects", json={"name": "tigers", "keypoint_schema": SCHEMA})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _start(client: TestClient, url: str, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    r = post_files(client, url, files)
    assert r.status_code == 202, r.text
    return dict(r.json())


def _run(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    """Run the job as the worker would, then read it as a client polls it."""
    run_import_job(job["id"])
    return dict(client.get(f"/api/v1/jobs/{job['id']}").json())


def _counts(settings: Settings) -> tuple[int, int, int, int]:
    with session_scope(settings.database_url) as session:
        return stored_counts(session)


def test_an_import_is_a_job_whose_report_counts_images_annotations_and_duplicates(
    live_admin: TestClient, live_settings: Settings
) -> None:
    project = _project(live_admin)
    url = f"/api/v1/projects/{project['id']}/import/coco"
    job = _start(live_admin, url, [("data.zip", zip_of(dict(coco_upload())))])
    assert (job["kind"], job["state"], job["project_id"]) == ("import", "queued", project["id"])
    assert (job_dir(live_settings, job["id"]) / "inputs").is_dir(), "the upload waits there"

    done = _run(live_admin, job)
    assert done["state"] == "succeeded", done["error"]
    progress = done["progress"]
    assert (progress["phase"], progress["step"], progress["total"]) == ("done", 2, 2)
    assert "silent_until" in progress, "the reaper was told the recording may go quiet"
    assert progress["report"] == {
        "project_id": project["id"],
        "images_created": 2,
        "annotations_saved": 1,
        "duplicates": [],
        "notes": [],
    }
    assert not job_dir(live_settings, job["id"]).exists(), "the upload is dropped at the end"
    images = live_admin.get(f"/api/v1/projects/{project['id']}/images").json()["items"]
    assert sorted(i["original_name"] for i in images) == ["a.png", "b.png"]
    a = next(i for i in images if i["original_name"] == "a.png")
    annotation = live_admin.get(f"/api/v1/images/{a['id']}/annotation").json()
    assert annotation["version"] == 1 and annotation["done"]
    assert annotation["updated_by"] == "admin@example.com"
    assert [p["visibility"] for p in annotation["keypoints"]] == [
        "visible",
        "occluded",
        "unlabeled",
        "visible",
    ]

    again = _run(live_admin, _start(live_admin, url, coco_upload()))
    report = again["progress"]["report"]
    assert report["images_created"] == 0 and report["annotations_saved"] == 0
    assert [(d["filename"], d["annotation"]) for d in report["duplicates"]] == [
        ("a.png", "kept existing"),
        ("b.png", "none"),
    ]
    assert live_admin.get(f"/api/v1/projects/{project['id']}").json()["counts"]["total"] == 2


def test_an_import_as_a_new_project_gives_its_job_the_project_it_created(
    live_admin: TestClient,
) -> None:
    job = _start(live_admin, f"{NEW}?name=imported", coco_upload())
    assert job["project_id"] is None, "no project exists before the import commits"
    done = _run(live_admin, job)
    assert done["state"] == "succeeded", done["error"]
    project_id = done["progress"]["report"]["project_id"]
    assert done["project_id"] == project_id
    project = live_admin.get(f"/api/v1/projects/{project_id}").json()
    assert project["name"] == "imported"
    assert [k["name"] for k in project["keypoint_schema"]["keypoints"]] == [
        k["name"] for k in SCHEMA["keypoints"]
    ]
    assert (project["counts"]["total"], project["counts"]["done"]) == (2, 1)
    listed = live_admin.get(f"/api/v1/projects/{project_id}/training-jobs?kind=import").json()
    assert [j["id"] for j in listed] == [job["id"]]


# A DeepLabCut project without config.yaml whose two videos both have an img1.png: only the
# folders tell the frames apart, so the upload's names must keep them.
DLC_CSV = b"""scorer,Ann,Ann,Ann,Ann
bodyparts,hand,hand,finger,finger
coords,x,y,x,y
labeled-data/v1/img1.png,10,20,30,40
labeled-data/v2/img1.png,11,21,31,41
labeled-data/v2/img9.png,12,22,32,42
"""


@pytest.mark.slow
def test_a_folder_uploaded_as_loose_files_keeps_its_layout_and_the_report_names_what_is_missing(
    live_admin: TestClient,
) -> None:
    folder = [
        ("mouse/labeled-data/v1/CollectedData_Ann.csv", DLC_CSV),
        ("mouse/labeled-data/v1/img1.png", image_bytes(1)),
        ("mouse/labeled-data/v2/img1.png", image_bytes(2)),
        ("mouse/labeled-data/v2/img5.png", image_bytes(5)),
    ]
    done = _run(live_admin, _start(live_admin, "/api/v1/projects/import/dlc?name=mouse", folder))
    assert done["state"] == "succeeded", done["error"]
    report = done["progress"]["report"]
    assert (report["images_created"], report["annotations_saved"]) == (3, 2)
    notes = " ".join(report["notes"])
    assert "v2/img9.png" in notes and "v2/img5.png" in notes
    project = live_admin.get(f"/api/v1/projects/{report['project_id']}").json()
    assert [k["name"] for k in project["keypoint_schema"]["keypoints"]] == ["hand", "finger"]


def test_a_file_name_that_climbs_out_of_the_upload_is_refused_before_a_job_exists(
    live_admin: TestClient,
) -> None:
    files = [("mouse/../../etc/img1.png", image_bytes(1)), *coco_upload()]
    r = post_files(live_admin, "/api/v1/projects/import/coco?name=climb", files)
    assert r.status_code == 422, r.text
    assert "may not contain '..'" in r.json()["detail"]


def test_a_malformed_import_fails_its_job_naming_the_element_and_stores_nothing(
    live_admin: TestClient, live_settings: Settings
) -> None:
    project = _project(live_admin)
    before = _counts(live_settings)
    outside = coco_upload([(10.0, 12.0, 2), (99.0, 22.0, 2), (0, 0, 0), (1.0, 1.0, 2)])
    corrupt = [*coco_upload()[:2], ("b.png", b"\x89PNG but no image")]
    cases = [
        (
            outside,
            "annotations.json: annotation 1 (image 'a.png'): keypoint left_eye at (99.0, 22.0) "
            "is outside the 64x48 image",
        ),
        ([("annotations.json", b"{oops")], "annotations.json: not valid JSON"),
        (coco_upload()[:2], "image 'b.png' is not in the upload"),
        (corrupt, "annotations.json: image 'b.png': b.png: not a recognised image file"),
    ]
    for files, message in cases:
        for url in (NEW, f"/api/v1/projects/{project['id']}/import/coco"):
            job = _run(live_admin, _start(live_admin, url, files))
            assert job["state"] == "failed", (url, message)
            assert message in job["error"]
            assert "report" not in job["progress"]
    unknown = coco_upload([(1.0, 1.0, 2)], names=["paw"])
    job = _run(
        live_admin, _start(live_admin, f"/api/v1/projects/{project['id']}/import/coco", unknown)
    )
    assert "keypoint 'paw' is not in project 'tigers'" in job["error"]

    assert _counts(live_settings) == before, "no project, image, annotation or revision"
    assert blob_files(live_settings.files_dir) == [], "a.png's blob was written, then removed"
    assert list(live_settings.jobs_dir.iterdir()) == [], "no upload is kept"


def test_a_zip_member_with_a_bad_crc_fails_the_job_naming_it_and_stores_nothing(
    live_admin: TestClient, live_settings: Settings
) -> None:
    before = _counts(live_settings)
    entries = dict(coco_upload())
    job = _run(live_admin, _start(live_admin, NEW, [("x.zip", bad_crc_zip(entries, "b.png"))]))
    assert job["state"] == "failed"
    assert job["error"].startswith(
        "annotations.json: image 'b.png': x.zip: member 'b.png' is damaged"
    )
    assert "Bad CRC-32" in job["error"] and "\n" not in job["error"]
    assert _counts(live_settings) == before
    assert blob_files(live_settings.files_dir) == [], "a.png's blob was written, then removed"


def test_label_studio_and_yolo_exports_import_back_through_the_api(
    live_admin: TestClient, live_settings: Settings
) -> None:
    made = _run(live_admin, _start(live_admin, NEW, coco_upload()))
    assert made["state"] == "succeeded", made["error"]
    original = _labels(live_admin, made["project_id"])
    assert {p["visibility"] for p in original} == {"visible", "occluded", "unlabeled"}
    for fmt in ("label-studio", "yolo"):
        r = live_admin.get(f"/api/v1/projects/{made['project_id']}/export/{fmt}")
        assert r.status_code == 200, r.text
        url = f"/api/v1/projects/import/{fmt}?name=again-{fmt}"
        job = _run(live_admin, _start(live_admin, url, [("export.zip", r.content)]))
        assert job["state"] == "succeeded", job["error"]
        report = job["progress"]["report"]
        assert (report["images_created"], report["annotations_saved"]) == (2, 1), fmt
        again = _labels(live_admin, job["project_id"])
        assert [p["name"] for p in again] == [p["name"] for p in original]
        for p, q in zip(original, again, strict=True):
            assert p["visibility"] == q["visibility"], (fmt, p, q)
            if p["x"] is not None:
                assert abs(p["x"] - q["x"]) < 1e-9 and abs(p["y"] - q["y"]) < 1e-9, (fmt, p, q)


@pytest.mark.slow
def test_real_sleap_files_import_or_fail_their_job_in_one_line(
    live_admin: TestClient, live_settings: Settings
) -> None:
    slp = shared("sleap_io_js", "slp")
    video = shared("sleap_io_js", "videos", "centered_pair_low_quality.mp4")
    cases = [
        ([slp / "cropped_format_2_3.pkg.slp"], None),
        ([slp / "minimal_instance.pkg.slp"], None),
        ([slp / "minimal_instance.slp", video], None),
        ([slp / "clip.2node.slp"], "clip.2node.slp: frames come from the video 'clip.mp4'"),
    ]
    for n, (paths, error) in enumerate(cases):
        files = [(p.name, p.read_bytes()) for p in paths]
        url = f"/api/v1/projects/import/sleap?name=slp-{n}"
        job = _run(live_admin, _start(live_admin, url, files))
        if error is None:
            assert job["state"] == "succeeded", (paths[0].name, job["error"])
            assert job["progress"]["report"]["annotations_saved"] == 1
        else:
            assert job["state"] == "failed" and job["error"].startswith(error), job["error"]
            assert "\n" not in job["error"]


def _labels(client: TestClient, project_id: int) -> list[dict[str, Any]]:
    images = client.get(f"/api/v1/projects/{project_id}/images").json()["items"]
    a = next(i for i in images if i["original_name"] == "a.png")
    return list(client.get(f"/api/v1/images/{a['id']}/annotation").json()["keypoints"])


def test_cancelling_a_running_import_stops_it_before_anything_is_recorded(
    live_admin: TestClient, live_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(live_admin)
    job = _start(live_admin, f"/api/v1/projects/{project['id']}/import/coco", coco_upload())
    decode = image_service.decode_file

    def cancel_while_preparing(name: str, data: bytes, **limits: Any) -> DecodedImage:
        live_admin.post(f"/api/v1/jobs/{job['id']}/cancel").raise_for_status()
        return decode(name, data, **limits)

    monkeypatch.setattr(transfer, "decode_file", cancel_while_preparing)
    done = _run(live_admin, job)
    assert done["state"] == "cancelled" and done["cancel_requested"]
    assert _counts(live_settings)[1:] == (0, 0, 0)
    assert blob_files(live_settings.files_dir) == []
    assert not job_dir(live_settings, job["id"]).exists()


def test_a_queued_import_that_is_cancelled_never_runs(
    live_admin: TestClient, live_settings: Settings
) -> None:
    job = _start(live_admin, NEW, coco_upload())
    assert live_admin.post(f"/api/v1/jobs/{job['id']}/cancel").json()["state"] == "cancelled"
    assert run_import_job(job["id"]) == "skipped"
    assert not job_dir(live_settings, job["id"]).exists()
    assert _counts(live_settings)[1:] == (0, 0, 0)
