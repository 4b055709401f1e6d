"""GET /projects/{id}/suspects: open suspect labels, worst first; a later save closes one."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.models import Job, JobKind, LabelSuspect, ModelVersion, Prediction, Role
from tests.backend.conftest import ClientFactory, png_bytes, upload

POINTS = [
    {"name": "nose", "x": 10, "y": 12, "visibility": "visible"},
    {"name": "left_eye", "x": 20, "y": 14, "visibility": "visible"},
    {"name": "right_eye", "x": 30, "y": 14, "visibility": "visible"},
    {"name": "tail"},
]


def _labeled_images(admin: TestClient, project: dict[str, Any], count: int) -> list[int]:
    files = [
        (f"{i}.png", png_bytes(color=c)) for i, c in enumerate(["red", "green", "blue"][:count])
    ]
    ids = [int(c["id"]) for c in upload(admin, project["id"], *files)["created"]]
    for image_id in ids:
        r = admin.put(
            f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": POINTS}
        )
        assert r.status_code == 200, r.text
    return ids


def _suspect(db: Session, project_id: int, image_id: int, score: float, **kw: Any) -> None:
    reason = {"kind": "left_right_swap", "detail": "swapped with right_eye fits 5x better"}
    db.add(
        LabelSuspect(
            project_id=project_id, image_id=image_id, keypoint=kw.get("keypoint", "left_eye"),
            annotation_version=kw.get("version", 1), score=score, reasons=[reason],
            model_version_id=kw.get("model_version_id"),
        )
    )  # fmt: skip
    db.commit()


def test_lists_open_suspects_worst_first_with_the_label_and_the_prediction(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    a, b = _labeled_images(admin, project, 2)
    version = ModelVersion(
        project_id=project["id"], backbone="b", config={}, metrics={}, labeled_count=2,
        unlabeled_count=0, labels_snapshot={}, path="/nonexistent", is_active=True,
    )  # fmt: skip
    db.add(version)
    db.flush()
    guess = [{"x": 10, "y": 12, "confidence": 0.9}, {"x": 31, "y": 15, "confidence": 0.9}]
    db.add(Prediction(image_id=b, model_version_id=version.id, keypoints=guess * 2))
    _suspect(db, project["id"], a, 0.4)
    _suspect(db, project["id"], b, 0.9, model_version_id=version.id)
    page = admin.get(f"/api/v1/projects/{project['id']}/suspects").json()
    assert page["total"] == 2
    worst, second = page["items"]
    assert (worst["image_id"], worst["score"], second["image_id"]) == (b, 0.9, a)
    assert worst["keypoint"] == "left_eye" and worst["image_name"] == "1.png"
    assert worst["label"] == {"x": 20, "y": 14} and worst["predicted"] == {"x": 31, "y": 15}
    assert worst["reasons"][0]["kind"] == "left_right_swap"
    assert second["predicted"] is None
    only_a = admin.get(f"/api/v1/projects/{project['id']}/suspects?image_id={a}").json()
    assert [s["image_id"] for s in only_a["items"]] == [a]
    strong = admin.get(f"/api/v1/projects/{project['id']}/suspects?min_score=0.5").json()
    assert strong["total"] == 1


def test_a_save_after_scoring_closes_the_suspect(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    (image_id,) = _labeled_images(admin, project, 1)
    _suspect(db, project["id"], image_id, 0.8)
    url = f"/api/v1/projects/{project['id']}/suspects"
    assert admin.get(url).json()["total"] == 1
    again = admin.put(
        f"/api/v1/images/{image_id}/annotation", json={"version": 1, "keypoints": POINTS}
    )
    assert again.status_code == 200
    assert admin.get(url).json() == {"total": 0, "items": []}


def test_refuses_a_score_outside_zero_to_one(admin: TestClient, project: dict[str, Any]) -> None:
    r = admin.get(f"/api/v1/projects/{project['id']}/suspects?min_score=2")
    assert r.status_code == 422


def _active_version(db: Session, project_id: int) -> ModelVersion:
    version = ModelVersion(
        project_id=project_id, backbone="b", config={}, metrics={}, labeled_count=2,
        unlabeled_count=0, labels_snapshot={}, path="/nonexistent", is_active=True,
    )  # fmt: skip
    db.add(version)
    db.commit()
    return version


def test_a_scan_queues_a_scoring_job_with_the_active_version(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    inactive = _active_version(db, project["id"])
    inactive.is_active = False
    active = _active_version(db, project["id"])
    r = admin.post(f"/api/v1/projects/{project['id']}/suspects/scan")
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "score_labels" and job["state"] == "queued"
    assert job["options"] == {"model_version_id": active.id}
    row = db.get(Job, job["id"])
    assert row is not None and row.kind == JobKind.score_labels
    again = admin.post(f"/api/v1/projects/{project['id']}/suspects/scan")
    assert again.status_code == 409 and "already under way" in again.json()["detail"]


def test_a_scan_without_a_model_is_a_409_that_says_so(
    admin: TestClient, project: dict[str, Any]
) -> None:
    r = admin.post(f"/api/v1/projects/{project['id']}/suspects/scan")
    assert r.status_code == 409
    assert "no active model version" in r.json()["detail"]


def test_reviewers_and_admins_scan_annotators_do_not(
    client_as: ClientFactory, project: dict[str, Any], db: Session
) -> None:
    _active_version(db, project["id"])
    annotator = client_as(Role.annotator)
    r = annotator.post(f"/api/v1/projects/{project['id']}/suspects/scan")
    assert r.status_code == 403
    assert db.query(Job).filter_by(kind=JobKind.score_labels).count() == 0
    reviewer = client_as(Role.reviewer)
    assert reviewer.post(f"/api/v1/projects/{project['id']}/suspects/scan").status_code == 202


def test_a_scan_of_an_unknown_project_is_a_404(admin: TestClient) -> None:
    assert admin.post("/api/v1/projects/999999/suspects/scan").status_code == 404
