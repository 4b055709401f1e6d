"""Jobs, model versions and predictions through the API (the worker itself is exercised in
tests/worker); job rows are created here and messages go to the test's filesystem broker."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.models import Job, JobState, ModelVersion, Prediction, Role
from tests.backend.conftest import ClientFactory, png_bytes, upload
from tests.owners import dead_owner, live_owner


def _version(db: Session, project_id: int, pck: float, active: bool = False) -> ModelVersion:
    version = ModelVersion(
        project_id=project_id,
        backbone="efficientnet_lite0",
        config={},
        metrics={"pck": pck},
        labeled_count=5,
        unlabeled_count=10,
        labels_snapshot={},
        path="/nonexistent",
        is_active=active,
    )
    db.add(version)
    db.commit()
    return version


def test_only_admins_start_training(client_as: ClientFactory, project: dict[str, Any]) -> None:
    annotator = client_as(Role.annotator)
    r = annotator.post(f"/api/v1/projects/{project['id']}/training-jobs", json={})
    assert r.status_code == 403


def test_second_training_request_gets_409_naming_the_running_job(
    admin: TestClient, project: dict[str, Any]
) -> None:
    url = f"/api/v1/projects/{project['id']}/training-jobs"
    first = admin.post(url, json={"max_steps": 5})
    assert first.status_code == 202 and first.json()["state"] == "queued"
    second = admin.post(url, json={})
    assert second.status_code == 409
    assert second.json()["job"]["id"] == first.json()["id"]


def test_cancelling_a_queued_job_frees_the_project(
    admin: TestClient, project: dict[str, Any]
) -> None:
    url = f"/api/v1/projects/{project['id']}/training-jobs"
    job = admin.post(url, json={}).json()
    cancelled = admin.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert cancelled.json()["state"] == "cancelled"
    assert admin.post(f"/api/v1/jobs/{job['id']}/cancel").status_code == 409
    assert admin.post(url, json={}).status_code == 202


def test_cancelling_a_job_whose_worker_died_ends_it_at_once(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    """Nobody would read the cancel flag of a job whose worker process is gone: the job is
    cancelled now and the project is free, rather than `running` until the reaper's timeout."""
    url = f"/api/v1/projects/{project['id']}/training-jobs"
    job_id = admin.post(url, json={}).json()["id"]
    job = db.get_one(Job, job_id)
    job.state, job.heartbeat_at, job.owner = JobState.running, utcnow(), dead_owner()
    db.commit()

    cancelled = admin.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert admin.post(url, json={}).status_code == 202


def test_cancelling_a_job_whose_worker_lives_leaves_it_to_the_worker(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    job_id = admin.post(f"/api/v1/projects/{project['id']}/training-jobs", json={}).json()["id"]
    with live_owner() as owner:
        job = db.get_one(Job, job_id)
        job.state, job.heartbeat_at, job.owner = JobState.running, utcnow(), owner
        db.commit()
        answer = admin.post(f"/api/v1/jobs/{job_id}/cancel").json()
    assert answer["state"] == "running", "the worker stops at its next check of the flag"
    db.refresh(job)
    assert job.cancel_requested


def test_training_options_are_validated(admin: TestClient, project: dict[str, Any]) -> None:
    url = f"/api/v1/projects/{project['id']}/training-jobs"
    assert admin.post(url, json={"backbone": "resnet9000"}).status_code == 422
    assert admin.post(url, json={"input_size": 100}).status_code == 422
    assert admin.post(url, json={"learning_rate": 1}).status_code == 422


def test_promote_and_roll_back(admin: TestClient, db: Session, project: dict[str, Any]) -> None:
    old = _version(db, project["id"], 0.5, active=True)
    new = _version(db, project["id"], 0.7)
    assert admin.post(f"/api/v1/model-versions/{new.id}/promote").json()["is_active"] is True
    versions = admin.get(f"/api/v1/projects/{project['id']}/model-versions").json()
    assert [(v["id"], v["is_active"]) for v in versions] == [(new.id, True), (old.id, False)]
    admin.post(f"/api/v1/model-versions/{old.id}/promote")
    versions = admin.get(f"/api/v1/projects/{project['id']}/model-versions").json()
    assert [(v["id"], v["is_active"]) for v in versions] == [(new.id, False), (old.id, True)]


def test_annotators_cannot_promote(
    client_as: ClientFactory, db: Session, project: dict[str, Any]
) -> None:
    version = _version(db, project["id"], 0.5)
    annotator = client_as(Role.annotator)
    assert annotator.post(f"/api/v1/model-versions/{version.id}/promote").status_code == 403


def test_the_active_versions_prediction_is_served(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    image_id = upload(admin, project["id"], ("a.png", png_bytes()))["created"][0]["id"]
    inactive = _version(db, project["id"], 0.4)
    active = _version(db, project["id"], 0.6, active=True)
    point = {"x": 3.0, "y": 4.0, "confidence": 0.9, "uncertainty": None}
    for version, x in ((inactive, 1.0), (active, 2.0)):
        db.add(
            Prediction(
                image_id=image_id,
                model_version_id=version.id,
                keypoints=[{**point, "x": x}] * 4,
                score=0.9,
            )
        )
    db.commit()
    pred = admin.get(f"/api/v1/images/{image_id}/prediction").json()
    assert pred["model_version_id"] == active.id
    assert [p["x"] for p in pred["keypoints"]] == [2.0] * 4
    assert [p["name"] for p in pred["keypoints"]] == ["nose", "left_eye", "right_eye", "tail"]


def test_prediction_requests_check_their_input(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    url = f"/api/v1/projects/{project['id']}/predictions"
    no_model = admin.post(url, json={})
    assert no_model.status_code == 409 and "no active model" in no_model.json()["detail"]
    _version(db, project["id"], 0.5, active=True)
    assert admin.post(url, json={"model_version_id": 999999}).status_code == 404
    unknown = admin.post(url, json={"image_ids": [123456]})
    assert unknown.status_code == 422 and "123456" in unknown.json()["detail"]
    assert admin.post(url, json={}).status_code == 202


def test_polling_a_job_since_an_entry_returns_only_the_newer_history(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    job_id = admin.post(f"/api/v1/projects/{project['id']}/training-jobs", json={}).json()["id"]
    job = db.get_one(Job, job_id)
    history = [
        {"phase": "training", "seq": 1},
        {"step": 10, "losses": {"total": 2.0}, "seq": 2},
        {"step": 20, "losses": {"total": 1.0}, "seq": 3},
        {"phase": "predicting", "seq": 4},
    ]
    job.progress = {"phase": "predicting", "step": 20, "history": history, "history_seq": 4}
    db.commit()

    full = admin.get(f"/api/v1/jobs/{job_id}").json()["progress"]
    assert [h["seq"] for h in full["history"]] == [1, 2, 3, 4]
    newer = admin.get(f"/api/v1/jobs/{job_id}", params={"since": 2}).json()["progress"]
    assert [h["seq"] for h in newer["history"]] == [3, 4]  # phase entries too, not only steps
    assert newer["phase"] == "predicting" and newer["history_seq"] == 4
    assert admin.get(f"/api/v1/jobs/{job_id}", params={"since": -1}).status_code == 422
