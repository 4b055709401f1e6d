"""Bulk prediction jobs through the API: uploads that never become project images, results
paged as JSON and exported as COCO, a bound per project, and clear errors for bad input.
The worker's side runs for real in tests/worker/test_bulk_and_queue_loop.py; here it is
simulated by writing what it writes."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.models import Image, Job, JobState, ModelVersion, Prediction, Role
from backend.queue import QUEUE_BULK, TASK_PREDICT, make_celery
from backend.services.jobs import job_dir
from backend.services.predict_jobs import RESULTS_FILE
from tests.backend.conftest import SCHEMA, ClientFactory, png_bytes, upload, zip_bytes

NAMES = ["nose", "left_eye", "right_eye", "tail"]  # SCHEMA's keypoints


def _version(db: Session, project_id: int, active: bool = True) -> ModelVersion:
    version = ModelVersion(
        project_id=project_id, backbone="efficientnet_lite0", config={}, metrics={},
        labeled_count=1, unlabeled_count=0, labels_snapshot={}, path="/nonexistent",
        is_active=active,
    )  # fmt: skip
    db.add(version)
    db.commit()
    return version


def _upload_job(client: TestClient, project_id: int, *files: tuple[str, bytes], **form: Any) -> Any:
    return client.post(
        f"/api/v1/projects/{project_id}/predictions/upload",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        data=form,
    )


def _finish(db: Session, job_id: int, state: JobState = JobState.succeeded) -> None:
    job = db.get(Job, job_id)
    assert job is not None
    job.state = state
    db.commit()


def _keypoints(confidences: list[float]) -> list[dict[str, Any]]:
    return [
        {"name": n, "x": 10.0 + i, "y": 20.0 + i, "confidence": c}
        for i, (n, c) in enumerate(zip(NAMES, confidences, strict=True))
    ]


def test_uploaded_images_are_predicted_without_joining_the_project(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    version = _version(db, project["id"])
    archive = zip_bytes({"c.png": png_bytes(30, 20)})
    r = _upload_job(admin, project["id"], ("a.png", png_bytes()), ("b.zip", archive))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "predict" and job["state"] == "queued"
    assert job["options"]["model_version_id"] == version.id
    files = job["options"]["files"]
    assert [(f["filename"], f["width"], f["height"]) for f in files] == [
        ("a.png", 64, 48),
        ("b.zip:c.png", 30, 20),
    ]
    folder = job_dir(get_settings(), job["id"])
    assert sorted(p.name for p in (folder / "inputs").iterdir()) == ["000000.png", "000001.png"]
    assert db.scalar(select(func.count(Image.id))) == 0, "no project images were created"

    early = admin.get(f"/api/v1/jobs/{job['id']}/results")
    assert early.status_code == 409 and "queued" in early.json()["detail"]

    # What the worker writes (worker/bulk_predicting.py), then marks the job succeeded.
    rows = [
        {"index": i, "image_id": None, "filename": f["filename"], "width": f["width"],
         "height": f["height"], "score": 0.5, "keypoints": _keypoints([0.9, 0.2, 0.5, 0.1])}
        for i, f in enumerate(files)
    ]  # fmt: skip
    (folder / RESULTS_FILE).write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _finish(db, job["id"])

    page = admin.get(f"/api/v1/jobs/{job['id']}/results", params={"offset": 1, "limit": 5}).json()
    assert page["total"] == 2 and [i["filename"] for i in page["items"]] == ["b.zip:c.png"]
    coco = admin.get(f"/api/v1/jobs/{job['id']}/results.coco.json").json()
    assert coco["categories"][0]["keypoints"] == NAMES
    assert coco["categories"][0]["skeleton"] == [[1, 2], [1, 3], [1, 4]]
    assert [i["file_name"] for i in coco["images"]] == ["a.png", "b.zip:c.png"]
    first = coco["annotations"][0]
    assert first["keypoints"][:6] == [10.0, 20.0, 2, 11.0, 21.0, 1]  # v=1 below 0.3
    assert first["keypoint_scores"] == [0.9, 0.2, 0.5, 0.1] and first["score"] == 0.5
    strict = admin.get(
        f"/api/v1/jobs/{job['id']}/results.coco.json", params={"min_confidence": 0.6}
    ).json()
    assert strict["annotations"][0]["keypoints"][2::3] == [2, 1, 1, 1]


def test_results_of_a_job_by_image_ids_come_from_the_stored_predictions(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = [c["id"] for c in upload(admin, project["id"], ("a.png", png_bytes()),
                                   ("b.png", png_bytes(color="blue")))["created"]]  # fmt: skip
    version = _version(db, project["id"])
    for image_id in ids:
        points = [{"x": 1.0, "y": 2.0, "confidence": 0.8, "uncertainty": None}] * 4
        db.add(Prediction(image_id=image_id, model_version_id=version.id, keypoints=points,
                          score=0.8))  # fmt: skip
    db.commit()
    r = admin.post(f"/api/v1/projects/{project['id']}/predictions", json={"image_ids": [ids[1]]})
    assert r.status_code == 202, r.text
    _finish(db, r.json()["id"])
    page = admin.get(f"/api/v1/jobs/{r.json()['id']}/results").json()
    assert [(i["image_id"], i["filename"]) for i in page["items"]] == [(ids[1], "b.png")]
    assert [k["name"] for k in page["items"][0]["keypoints"]] == NAMES
    coco = admin.get(f"/api/v1/jobs/{r.json()['id']}/results.coco.json").json()
    assert coco["images"][0]["id"] == ids[1] and coco["annotations"][0]["num_keypoints"] == 4


def test_bad_uploads_are_rejected_and_nothing_is_stored(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    pid = project["id"]
    no_model = _upload_job(admin, pid, ("a.png", png_bytes()))
    assert no_model.status_code == 409 and "no active model" in no_model.json()["detail"]
    version = _version(db, pid)
    not_image = _upload_job(admin, pid, ("a.png", png_bytes()), ("notes.txt", b"hello"))
    assert not_image.status_code == 415 and "notes.txt" in not_image.json()["detail"]
    empty_zip = _upload_job(admin, pid, ("none.zip", zip_bytes({})))
    assert empty_zip.status_code == 422 and "no images" in empty_zip.json()["detail"]
    unknown = _upload_job(admin, pid, ("a.png", png_bytes()), model_version_id="999999")
    assert unknown.status_code == 404 and "999999" in unknown.json()["detail"]
    other = admin.post("/api/v1/projects", json={"name": "other", "keypoint_schema": SCHEMA})
    foreign = _version(db, other.json()["id"])
    wrong = _upload_job(admin, pid, ("a.png", png_bytes()), model_version_id=str(foreign.id))
    assert wrong.status_code == 422 and "another project" in wrong.json()["detail"]
    assert db.scalar(select(func.count(Job.id))) == 0
    assert version.id  # the pinned-version path works:
    ok = _upload_job(admin, pid, ("a.png", png_bytes()), model_version_id=str(version.id))
    assert ok.status_code == 202


def test_results_errors(admin: TestClient, db: Session, project: dict[str, Any]) -> None:
    assert admin.get("/api/v1/jobs/999999/results").status_code == 404
    train = admin.post(f"/api/v1/projects/{project['id']}/training-jobs", json={}).json()
    r = admin.get(f"/api/v1/jobs/{train['id']}/results")
    assert r.status_code == 422 and "not a prediction job" in r.json()["detail"]
    _version(db, project["id"])
    job = _upload_job(admin, project["id"], ("a.png", png_bytes())).json()
    _finish(db, job["id"], JobState.failed)
    failed = admin.get(f"/api/v1/jobs/{job['id']}/results")
    assert failed.status_code == 409 and "failed" in failed.json()["detail"]


def test_a_project_gets_at_most_n_bulk_jobs_at_once(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    _version(db, project["id"])
    limit = get_settings().max_bulk_jobs_per_project
    jobs = [_upload_job(admin, project["id"], ("a.png", png_bytes())) for _ in range(limit)]
    assert all(j.status_code == 202 for j in jobs)
    refused = _upload_job(admin, project["id"], ("a.png", png_bytes()))
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_requests"
    by_ids = admin.post(f"/api/v1/projects/{project['id']}/predictions", json={})
    assert by_ids.status_code == 429, "the by-id endpoint shares the bound"
    _finish(db, jobs[0].json()["id"])
    assert _upload_job(admin, project["id"], ("a.png", png_bytes())).status_code == 202


def test_scripts_use_a_bearer_token(
    admin: TestClient, anon: TestClient, db: Session, project: dict[str, Any]
) -> None:
    _version(db, project["id"])
    token = admin.post("/api/v1/auth/tokens", json={"name": "script"}).json()["token"]
    anon.headers["Authorization"] = f"Bearer {token}"
    r = _upload_job(anon, project["id"], ("a.png", png_bytes()))
    assert r.status_code == 202, r.text
    assert anon.get(f"/api/v1/jobs/{r.json()['id']}").status_code == 200


def test_bulk_jobs_go_to_their_own_celery_queue() -> None:
    routes = make_celery(get_settings()).conf.task_routes
    assert routes[TASK_PREDICT] == {"queue": QUEUE_BULK}


def test_viewers_cannot_start_bulk_jobs(
    client_as: ClientFactory, db: Session, project: dict[str, Any]
) -> None:
    _version(db, project["id"])
    r = _upload_job(client_as(Role.viewer), project["id"], ("a.png", png_bytes()))
    assert r.status_code == 403


def test_a_new_jobs_folder_holds_only_its_own_inputs_even_if_a_stale_one_had_its_id(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    """Job ids can come back (SQLite reuses the highest id after a rollback or a deleted
    project); files left under a reused id must not leak into the new job."""
    _version(db, project["id"])
    first = _upload_job(admin, project["id"], ("a.png", png_bytes())).json()
    for stale_id in range(first["id"] + 1, first["id"] + 6):
        stale = job_dir(get_settings(), stale_id) / "inputs"
        stale.mkdir(parents=True, exist_ok=True)
        (stale / "0000").write_bytes(b"an import's upload, rolled back")

    second = _upload_job(admin, project["id"], ("b.png", png_bytes())).json()

    inputs = job_dir(get_settings(), second["id"]) / "inputs"
    assert [p.name for p in inputs.iterdir()] == ["000000.png"]
