"""Changing the keypoint schema after annotations exist never corrupts them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.backend.conftest import SCHEMA, png_bytes, upload


def _annotated(admin: TestClient, project: dict[str, Any]) -> tuple[int, str]:
    image_id = upload(admin, project["id"], ("a.png", png_bytes(64, 48)))["created"][0]["id"]
    url = f"/api/v1/images/{image_id}/annotation"
    points = [
        {"name": "nose", "x": 1, "y": 1, "visibility": "visible"},
        {"name": "left_eye", "x": 2, "y": 2, "visibility": "visible"},
        {"name": "right_eye", "x": 3, "y": 3, "visibility": "occluded"},
        {"name": "tail"},
    ]
    assert admin.put(url, json={"version": 0, "keypoints": points}).status_code == 200
    return int(image_id), url


def _schema(*names: str) -> dict[str, Any]:
    return {"keypoints": [{"name": n} for n in names]}


def _xs(admin: TestClient, url: str) -> dict[str, Any]:
    return {p["name"]: p["x"] for p in admin.get(url).json()["keypoints"]}


def test_adding_a_keypoint_keeps_points_and_reads_unlabeled(
    admin: TestClient, project: dict[str, Any]
) -> None:
    _, url = _annotated(admin, project)
    keypoints = [*SCHEMA["keypoints"], {"name": "chin"}]
    r = admin.put(
        f"/api/v1/projects/{project['id']}/schema",
        json={"keypoint_schema": {**SCHEMA, "keypoints": keypoints}},
    )
    assert r.status_code == 200
    assert _xs(admin, url) == {"nose": 1, "left_eye": 2, "right_eye": 3, "tail": None, "chin": None}


def test_reorder_and_rename_move_the_data(admin: TestClient, project: dict[str, Any]) -> None:
    _, url = _annotated(admin, project)
    r = admin.put(
        f"/api/v1/projects/{project['id']}/schema",
        json={
            "keypoint_schema": _schema("tail", "eye_r", "left_eye", "nose"),
            "renames": {"right_eye": "eye_r"},
        },
    )
    assert r.status_code == 200, r.text
    assert list(_xs(admin, url).items()) == [
        ("tail", None),
        ("eye_r", 3),
        ("left_eye", 2),
        ("nose", 1),
    ]
    revision = admin.get(f"{url}/revisions").json()[0]
    assert [p["x"] for p in revision["keypoints"]] == [None, 3, 2, 1]


def test_deleting_a_labeled_keypoint_needs_confirmation(
    admin: TestClient, project: dict[str, Any]
) -> None:
    _, url = _annotated(admin, project)
    change = {"keypoint_schema": _schema("left_eye", "right_eye", "tail")}
    r = admin.put(f"/api/v1/projects/{project['id']}/schema", json=change)
    assert r.status_code == 409 and "nose" in r.json()["detail"]
    assert _xs(admin, url)["nose"] == 1
    r = admin.put(f"/api/v1/projects/{project['id']}/schema", json={**change, "allow_delete": True})
    assert r.status_code == 200
    assert _xs(admin, url) == {"left_eye": 2, "right_eye": 3, "tail": None}


def test_rename_of_unknown_keypoint_is_rejected(admin: TestClient, project: dict[str, Any]) -> None:
    r = admin.put(
        f"/api/v1/projects/{project['id']}/schema",
        json={"keypoint_schema": _schema("a"), "renames": {"wing": "a"}},
    )
    assert r.status_code == 422 and "wing" in r.json()["detail"]
