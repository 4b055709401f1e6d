from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from backend.models import Role
from tests.backend.conftest import ClientFactory, png_bytes, upload


def _points(**placed: tuple[float, float, str]) -> list[dict[str, Any]]:
    out = []
    for name in ("nose", "left_eye", "right_eye", "tail"):
        if name in placed:
            x, y, vis = placed[name]
            out.append({"name": name, "x": x, "y": y, "visibility": vis})
        else:
            out.append({"name": name})
    return out


def _image(admin: TestClient, project: dict[str, Any]) -> int:
    return int(upload(admin, project["id"], ("a.png", png_bytes(64, 48)))["created"][0]["id"])


def test_unsaved_annotation_is_all_unlabeled_at_version_zero(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _image(admin, project)
    r = admin.get(f"/api/v1/images/{image_id}/annotation")
    assert r.json()["version"] == 0 and r.headers["etag"] == '"0"'
    assert {p["visibility"] for p in r.json()["keypoints"]} == {"unlabeled"}


def test_save_increments_version_and_updates_image_state(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _image(admin, project)
    body = {"version": 0, "keypoints": _points(nose=(10, 12, "visible"), tail=(50, 40, "occluded"))}
    saved = admin.put(f"/api/v1/images/{image_id}/annotation", json=body)
    assert saved.status_code == 200
    assert saved.json()["version"] == 1
    assert saved.json()["keypoints"][3] == {
        "name": "tail",
        "x": 50.0,
        "y": 40.0,
        "visibility": "occluded",
        "source": "human",
    }
    image = admin.get(f"/api/v1/images/{image_id}").json()
    assert image["state"] == "in_progress" and image["labeled_count"] == 2
    done = admin.put(
        f"/api/v1/images/{image_id}/annotation", json={**body, "version": 1, "done": True}
    )
    assert done.json()["done"] is True
    assert admin.get(f"/api/v1/images/{image_id}").json()["state"] == "done"


def test_stale_save_gets_409_with_the_current_state_and_changes_nothing(
    client_as: ClientFactory, project: dict[str, Any]
) -> None:
    alice, bob = client_as(Role.annotator), client_as(Role.annotator)
    image_id = _image(client_as(Role.admin), project)
    url = f"/api/v1/images/{image_id}/annotation"
    assert (
        alice.put(
            url, json={"version": 0, "keypoints": _points(nose=(1, 1, "visible"))}
        ).status_code
        == 200
    )
    stale = bob.put(url, json={"version": 0, "keypoints": _points(nose=(9, 9, "visible"))})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["current"]["keypoints"][0]["x"] == 1.0
    assert stale.json()["current"]["updated_by"] == alice.get("/api/v1/auth/me").json()["email"]
    assert alice.get(url).json()["keypoints"][0]["x"] == 1.0


def test_if_match_header_carries_the_version(admin: TestClient, project: dict[str, Any]) -> None:
    image_id = _image(admin, project)
    url = f"/api/v1/images/{image_id}/annotation"
    body = {"keypoints": _points(nose=(5, 5, "visible"))}
    assert admin.put(url, json=body, headers={"If-Match": '"0"'}).status_code == 200
    assert admin.put(url, json=body, headers={"If-Match": '"0"'}).status_code == 409
    assert admin.put(url, json=body).status_code == 422  # no version at all


def test_every_save_is_kept_as_a_revision(admin: TestClient, project: dict[str, Any]) -> None:
    image_id = _image(admin, project)
    url = f"/api/v1/images/{image_id}/annotation"
    for version, x in enumerate([1.0, 2.0, 3.0]):
        admin.put(url, json={"version": version, "keypoints": _points(nose=(x, x, "visible"))})
    revisions = admin.get(f"{url}/revisions").json()
    assert [r["version"] for r in revisions] == [3, 2, 1]
    assert [r["keypoints"][0]["x"] for r in revisions] == [3.0, 2.0, 1.0]
    assert revisions[0]["author"] == "admin0@example.com"


def test_rejects_keypoint_outside_image(admin: TestClient, project: dict[str, Any]) -> None:
    image_id = _image(admin, project)
    r = admin.put(
        f"/api/v1/images/{image_id}/annotation",
        json={"version": 0, "keypoints": _points(nose=(65, 10, "visible"))},
    )
    assert r.status_code == 422 and "outside the 64x48 image" in r.json()["detail"]
    assert admin.get(f"/api/v1/images/{image_id}/annotation").json()["version"] == 0


def test_rejects_unknown_names_and_wrong_schema_length(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _image(admin, project)
    url = f"/api/v1/images/{image_id}/annotation"
    unknown = [*_points(), {"name": "wing"}]
    r = admin.put(url, json={"version": 0, "keypoints": unknown})
    assert r.status_code == 422 and "wing" in r.json()["detail"]
    r = admin.put(url, json={"version": 0, "keypoints": _points()[:2]})
    assert r.status_code == 422 and "missing" in r.json()["detail"]
    r = admin.put(url, json={"version": 0, "keypoints": _points(nose=(1, 1, "flying"))})
    assert r.status_code == 422


def test_visible_point_needs_coordinates(admin: TestClient, project: dict[str, Any]) -> None:
    image_id = _image(admin, project)
    pts = _points()
    pts[0]["visibility"] = "visible"
    r = admin.put(f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": pts})
    assert r.status_code == 422 and "no coordinates" in r.json()["detail"]


def test_no_prediction_is_a_quiet_null_and_an_unknown_image_a_404(
    admin: TestClient, project: dict[str, Any]
) -> None:
    image_id = _image(admin, project)
    r = admin.get(f"/api/v1/images/{image_id}/prediction")
    assert r.status_code == 200 and r.json() is None
    assert admin.get("/api/v1/images/999999/prediction").status_code == 404
