"""POST /images/{id}/review: a reviewer's accept, fix or swap is a revision with its author,
respects the version read, closes the image's suspects and marks the image reviewed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.models import LabelSuspect, Role
from tests.backend.conftest import ClientFactory, png_bytes, upload

POINTS = [
    {"name": "nose", "x": 10, "y": 12, "visibility": "visible"},
    {"name": "left_eye", "x": 20, "y": 14, "visibility": "visible"},
    {"name": "right_eye", "x": 30, "y": 16, "visibility": "occluded"},
    {"name": "tail"},
]


def _labeled(admin: TestClient, project: dict[str, Any], color: str = "red") -> int:
    image_id = int(
        upload(admin, project["id"], (f"{color}.png", png_bytes(color=color)))["created"][0]["id"]
    )
    r = admin.put(f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": POINTS})
    assert r.status_code == 200, r.text
    return image_id


def _review(client: TestClient, image_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/images/{image_id}/review", json=body)


def _points(client: TestClient, image_id: int) -> dict[str, dict[str, Any]]:
    ann = client.get(f"/api/v1/images/{image_id}/annotation").json()
    return {p["name"]: p for p in ann["keypoints"]}


def test_accept_saves_the_labels_unchanged_as_the_reviewers_revision(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any], db: Session
) -> None:
    image_id = _labeled(admin, project)
    reason = {"kind": "far_from_prediction", "detail": "far"}
    db.add(
        LabelSuspect(
            project_id=project["id"], image_id=image_id, keypoint="left_eye",
            annotation_version=1, score=0.9, reasons=[reason],
        )
    )  # fmt: skip
    db.commit()
    suspects = f"/api/v1/projects/{project['id']}/suspects"
    assert admin.get(suspects).json()["total"] == 1
    reviewer = client_as(Role.reviewer)
    before = _points(admin, image_id)

    r = _review(reviewer, image_id, version=1, decision="accept", keypoint="left_eye")

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["annotation"]["version"] == 2 and body["reviewed_by"].startswith("reviewer")
    assert _points(admin, image_id) == before
    latest = admin.get(f"/api/v1/images/{image_id}/annotation/revisions").json()[0]
    assert (latest["version"], latest["origin"], latest["author"]) == (
        2, "review", body["reviewed_by"],
    )  # fmt: skip
    assert admin.get(suspects).json()["total"] == 0
    image = admin.get(f"/api/v1/images/{image_id}").json()
    assert image["reviewed_at"] is not None and image["reviewed_by_id"] is not None


def test_swap_exchanges_the_keypoint_with_its_flip_pair(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _labeled(admin, project)
    r = _review(admin, image_id, version=1, decision="swap", keypoint="right_eye")
    assert r.status_code == 200, r.text
    points = _points(admin, image_id)
    assert (points["left_eye"]["x"], points["left_eye"]["visibility"]) == (30, "occluded")
    assert (points["right_eye"]["x"], points["right_eye"]["visibility"]) == (20, "visible")
    assert points["nose"]["x"] == 10


def test_fix_saves_the_given_keypoints_and_keeps_the_others(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _labeled(admin, project)
    fixed = {
        "name": "left_eye",
        "x": 25.5,
        "y": 20,
        "visibility": "visible",
        "source": "prediction",
    }
    r = _review(admin, image_id, version=1, decision="fix", keypoint="left_eye", keypoints=[fixed])
    assert r.status_code == 200, r.text
    points = _points(admin, image_id)
    assert (points["left_eye"]["x"], points["left_eye"]["y"]) == (25.5, 20)
    assert points["left_eye"]["source"] == "human"  # the reviewer placed it
    assert points["right_eye"]["x"] == 30 and points["tail"]["visibility"] == "unlabeled"


def test_a_stale_version_is_a_conflict_and_changes_nothing(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _labeled(admin, project)
    again = admin.put(
        f"/api/v1/images/{image_id}/annotation", json={"version": 1, "keypoints": POINTS}
    )
    assert again.status_code == 200
    r = _review(admin, image_id, version=1, decision="swap", keypoint="left_eye")
    assert r.status_code == 409
    assert r.json()["code"] == "version_conflict" and r.json()["current"]["version"] == 2
    assert _points(admin, image_id)["left_eye"]["x"] == 20
    assert admin.get(f"/api/v1/images/{image_id}").json()["reviewed_at"] is None
    assert len(admin.get(f"/api/v1/images/{image_id}/annotation/revisions").json()) == 2


def test_an_ordinary_save_after_a_review_clears_reviewed(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any]
) -> None:
    image_id = _labeled(admin, project)
    assert _review(admin, image_id, version=1, decision="accept").status_code == 200
    assert admin.get(f"/api/v1/images/{image_id}").json()["reviewed_at"] is not None
    annotator = client_as(Role.annotator)
    r = annotator.put(
        f"/api/v1/images/{image_id}/annotation", json={"version": 2, "keypoints": POINTS}
    )
    assert r.status_code == 200
    image = admin.get(f"/api/v1/images/{image_id}").json()
    assert image["reviewed_at"] is None and image["reviewed_by_id"] is None


def test_rejects_bad_decisions_with_a_clear_message(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _labeled(admin, project)
    no_pair = _review(admin, image_id, version=1, decision="swap", keypoint="nose")
    assert no_pair.status_code == 422 and "no flip pair" in no_pair.json()["detail"]
    unknown = _review(admin, image_id, version=1, decision="accept", keypoint="wing")
    assert unknown.status_code == 422 and unknown.json()["field"] == "keypoint"
    empty_fix = _review(admin, image_id, version=1, decision="fix", keypoint="nose")
    assert empty_fix.status_code == 422 and empty_fix.json()["field"] == "keypoints"
    outside = {"name": "nose", "x": 500, "y": 5, "visibility": "visible"}
    off_image = _review(admin, image_id, version=1, decision="fix", keypoints=[outside])
    assert off_image.status_code == 422 and "outside" in off_image.json()["detail"]
    assert len(admin.get(f"/api/v1/images/{image_id}/annotation/revisions").json()) == 1


def test_an_image_never_labeled_has_nothing_to_review(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = int(upload(admin, project["id"], ("a.png", png_bytes()))["created"][0]["id"])
    r = _review(admin, image_id, version=0, decision="accept")
    assert r.status_code == 409 and "no labels" in r.json()["detail"]


def test_export_can_keep_only_reviewed_images(admin: TestClient, project: dict[str, Any]) -> None:
    reviewed = _labeled(admin, project, "red")
    _labeled(admin, project, "blue")
    assert _review(admin, reviewed, version=1, decision="accept").status_code == 200
    url = f"/api/v1/projects/{project['id']}/export/coco"
    only = admin.get(url, params={"reviewed": "true"}).json()
    assert [i["file_name"] for i in only["images"]] == ["red.png"]
    others = admin.get(url, params={"reviewed": "false"}).json()
    assert [i["file_name"] for i in others["images"]] == ["blue.png"]
    assert len(admin.get(url).json()["images"]) == 2
