"""Agreement checks: an admin sends a random sample of labeled images to a second annotator,
who labels them without the first labels; the admin reads per-keypoint and per-annotator
disagreement in pixels and normalised."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.models import Role
from tests.backend.conftest import ClientFactory, png_bytes, upload

FIRST: list[dict[str, Any]] = [
    {"name": "nose", "x": 10, "y": 10, "visibility": "visible"},
    {"name": "left_eye", "x": 30, "y": 10, "visibility": "visible"},
    {"name": "right_eye", "x": 50, "y": 40, "visibility": "visible"},
    {"name": "tail"},
]


def _labeled(admin: TestClient, project: dict[str, Any], n: int) -> list[int]:
    colors = ["red", "green", "blue", "yellow", "purple"][:n]
    files = [(f"{c}.png", png_bytes(color=c)) for c in colors]
    ids = [int(i["id"]) for i in upload(admin, project["id"], *files)["created"]]
    for image_id in ids:
        r = admin.put(
            f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": FIRST}
        )
        assert r.status_code == 200
    return ids


def _me(client: TestClient) -> dict[str, Any]:
    me: dict[str, Any] = client.get("/api/v1/auth/me").json()
    return me


def _assign(admin: TestClient, pid: int, annotator_id: int, count: int, seed: int = 1) -> Any:
    body = {"annotator_id": annotator_id, "count": count, "seed": seed}
    return admin.post(f"/api/v1/projects/{pid}/agreement/assignments", json=body)


def test_assigns_a_repeatable_random_sample_of_labeled_images(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any]
) -> None:
    ids = _labeled(admin, project, 5)
    upload(admin, project["id"], ("unlabeled.png", png_bytes(color="white")))
    second = _me(client_as(Role.annotator))["id"]
    other = _me(client_as(Role.annotator))["id"]
    a = _assign(admin, project["id"], second, 3, seed=7).json()
    b = _assign(admin, project["id"], other, 3, seed=7).json()
    assert a["assigned"] == 3 and set(a["image_ids"]) <= set(ids)
    assert a["image_ids"] == b["image_ids"]  # the same seed, the same sample
    rest = _assign(admin, project["id"], second, 10).json()
    assert (rest["requested"], rest["assigned"]) == (10, 2)  # only those not sent yet
    assert set(rest["image_ids"]).isdisjoint(a["image_ids"])
    none_left = _assign(admin, project["id"], second, 1)
    assert none_left.status_code == 409 and "no labeled image" in none_left.json()["detail"]


def test_never_sends_an_annotator_the_images_they_labeled(
    admin: TestClient, project: dict[str, Any]
) -> None:
    _labeled(admin, project, 2)
    r = _assign(admin, project["id"], _me(admin)["id"], 2)
    assert r.status_code == 409


def test_the_second_annotator_sees_no_first_labels_and_saves_their_own(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any]
) -> None:
    (image_id,) = _labeled(admin, project, 1)
    annotator = client_as(Role.annotator)
    _assign(admin, project["id"], _me(annotator)["id"], 1)
    (task,) = annotator.get(f"/api/v1/projects/{project['id']}/second-labels").json()
    assert task["image_id"] == image_id and task["keypoints"] is None
    assert "reference_keypoints" not in task
    mine = [
        {"name": "nose", "x": 13, "y": 14, "visibility": "visible"},
        {"name": "left_eye", "x": 30, "y": 10, "visibility": "visible"},
        {"name": "right_eye"},
        {"name": "tail", "x": 5, "y": 5, "visibility": "occluded"},
    ]
    saved = annotator.put(f"/api/v1/second-labels/{task['id']}", json={"keypoints": mine})
    assert saved.status_code == 200 and saved.json()["labeled_at"] is not None
    # The first labels are untouched.
    first = admin.get(f"/api/v1/images/{image_id}/annotation").json()
    assert first["version"] == 1 and first["keypoints"][0]["x"] == 10

    report = admin.get(f"/api/v1/projects/{project['id']}/agreement").json()
    assert (report["assigned"], report["labeled"]) == (1, 1)
    by_name = {k["name"]: k for k in report["keypoints"]}
    assert by_name["nose"]["pairs"] == 1 and by_name["nose"]["mean_px"] == pytest.approx(5.0)
    # Normalised by the first labels' extent: longest side of (10..50, 10..40) = 40 px.
    assert by_name["nose"]["mean_normalized"] == pytest.approx(5.0 / 40)
    assert by_name["left_eye"]["mean_px"] == pytest.approx(0.0)
    assert by_name["right_eye"]["only_one"] == 1 and by_name["right_eye"]["pairs"] == 0
    assert by_name["tail"]["only_one"] == 1 and by_name["tail"]["mean_px"] is None
    (pair,) = report["annotators"]
    assert pair["first_email"] == _me(admin)["email"]
    assert pair["second_email"] == _me(annotator)["email"]
    assert (pair["images"], pair["pairs"], pair["only_one"]) == (1, 2, 2)
    assert pair["mean_px"] == pytest.approx(2.5)


def test_a_task_belongs_to_its_annotator(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any]
) -> None:
    _labeled(admin, project, 1)
    annotator = client_as(Role.annotator)
    _assign(admin, project["id"], _me(annotator)["id"], 1)
    (task,) = annotator.get(f"/api/v1/projects/{project['id']}/second-labels").json()
    stranger = client_as(Role.annotator)
    assert stranger.get(f"/api/v1/projects/{project['id']}/second-labels").json() == []
    r = stranger.put(f"/api/v1/second-labels/{task['id']}", json={"keypoints": FIRST})
    assert r.status_code == 403
    bad = [{**FIRST[0], "x": 900}, *FIRST[1:]]
    outside = annotator.put(f"/api/v1/second-labels/{task['id']}", json={"keypoints": bad})
    assert outside.status_code == 422 and "outside" in outside.json()["detail"]


def test_only_admins_assign_and_read_the_report(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any]
) -> None:
    _labeled(admin, project, 1)
    reviewer = client_as(Role.reviewer)
    assert _assign(reviewer, project["id"], _me(reviewer)["id"], 1).status_code == 403
    assert reviewer.get(f"/api/v1/projects/{project['id']}/agreement").status_code == 403
    viewer = client_as(Role.viewer)
    r = _assign(admin, project["id"], _me(viewer)["id"], 1)
    assert r.status_code == 422 and r.json()["field"] == "annotator_id"
    assert _assign(admin, project["id"], 999999, 1).status_code == 404


def test_a_schema_reorder_keeps_both_labelings_aligned(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any]
) -> None:
    _labeled(admin, project, 1)
    annotator = client_as(Role.annotator)
    _assign(admin, project["id"], _me(annotator)["id"], 1)
    (task,) = annotator.get(f"/api/v1/projects/{project['id']}/second-labels").json()
    mine = [{**p, "x": p["x"] + 3} if "x" in p else p for p in FIRST]
    assert (
        annotator.put(f"/api/v1/second-labels/{task['id']}", json={"keypoints": mine}).status_code
        == 200
    )
    schema = dict(project["keypoint_schema"])
    schema["keypoints"] = list(reversed(schema["keypoints"]))
    r = admin.put(f"/api/v1/projects/{project['id']}/schema", json={"keypoint_schema": schema})
    assert r.status_code == 200, r.text
    report = admin.get(f"/api/v1/projects/{project['id']}/agreement").json()
    by_name = {k["name"]: k for k in report["keypoints"]}
    assert [k["name"] for k in report["keypoints"]] == ["tail", "right_eye", "left_eye", "nose"]
    assert by_name["nose"]["mean_px"] == pytest.approx(3.0)
    assert by_name["tail"]["pairs"] == 0 and by_name["tail"]["only_one"] == 0
