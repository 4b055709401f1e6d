from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.backend.conftest import SCHEMA, png_bytes, upload


def test_create_assigns_colors_and_default_settings(
    admin: TestClient, project: dict[str, Any]
) -> None:
    assert all(k["color"].startswith("#") for k in project["keypoint_schema"]["keypoints"])
    assert project["settings"]["validation_fraction"] == 0.2
    assert project["counts"]["total"] == 0


def test_invalid_schemas_are_rejected_with_reasons(admin: TestClient) -> None:
    cases = {
        "unique": {"keypoints": [{"name": "a"}, {"name": "a"}]},
        "unknown keypoints": {"keypoints": [{"name": "a"}], "skeleton": [["a", "b"]]},
        "#rrggbb": {"keypoints": [{"name": "a", "color": "red"}]},
        "at least 1": {"keypoints": []},
    }
    for i, (reason, schema) in enumerate(cases.items()):
        r = admin.post("/api/v1/projects", json={"name": f"p{i}", "keypoint_schema": schema})
        assert r.status_code == 422, schema
        assert reason in r.json()["detail"], r.json()["detail"]


def test_duplicate_project_name_is_a_conflict(admin: TestClient, project: dict[str, Any]) -> None:
    r = admin.post("/api/v1/projects", json={"name": "tigers", "keypoint_schema": SCHEMA})
    assert r.status_code == 409


def test_update_settings_and_counts(admin: TestClient, project: dict[str, Any]) -> None:
    pid = project["id"]
    r = admin.patch(f"/api/v1/projects/{pid}", json={"settings": {"validation_fraction": 0.5}})
    assert r.json()["settings"]["validation_fraction"] == 0.5
    upload(admin, pid, ("a.png", png_bytes()), ("b.png", png_bytes(color="blue")))
    counts = admin.get(f"/api/v1/projects/{pid}").json()["counts"]
    assert counts == {
        "total": 2,
        "new": 2,
        "predicted": 0,
        "in_progress": 0,
        "done": 0,
        "train": 1,
        "validation": 1,
    }
    bad = admin.patch(f"/api/v1/projects/{pid}", json={"settings": {"validation_fraction": 2}})
    assert bad.status_code == 422


def test_delete_project(admin: TestClient, project: dict[str, Any]) -> None:
    assert admin.delete(f"/api/v1/projects/{project['id']}").status_code == 204
    assert admin.get(f"/api/v1/projects/{project['id']}").status_code == 404
