"""The role matrix: viewers read, annotators annotate and upload, reviewers also review,
admins manage."""

from __future__ import annotations

from typing import Any

import pytest

from backend.models import Role
from tests.backend.conftest import SCHEMA, ClientFactory, png_bytes, upload

NEW_PROJECT = {"name": "other", "keypoint_schema": SCHEMA}


@pytest.mark.parametrize(
    ("role", "can_read", "can_annotate", "can_manage"),
    [
        (Role.viewer, True, False, False),
        (Role.annotator, True, True, False),
        (Role.reviewer, True, True, False),
        (Role.admin, True, True, True),
    ],
)
def test_role_matrix(
    client_as: ClientFactory,
    project: dict[str, Any],
    role: Role,
    can_read: bool,
    can_annotate: bool,
    can_manage: bool,
) -> None:
    admin = client_as(Role.admin)
    pid = project["id"]
    image_id = upload(admin, pid, ("a.png", png_bytes()))["created"][0]["id"]
    client = client_as(role)

    assert (client.get(f"/api/v1/projects/{pid}/images").status_code == 200) == can_read
    points = [{"name": k["name"]} for k in SCHEMA["keypoints"]]
    put = client.put(
        f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": points}
    )
    assert put.status_code == (200 if can_annotate else 403)
    up = client.post(
        f"/api/v1/projects/{pid}/images", files=[("files", ("b.png", png_bytes(color="blue")))]
    )
    assert up.status_code == (201 if can_annotate else 403)
    created = client.post("/api/v1/projects", json=NEW_PROJECT)
    assert created.status_code == (201 if can_manage else 403)
    assert (client.get("/api/v1/users").status_code == 200) == can_manage
    assert client.delete(f"/api/v1/images/{image_id}").status_code == (204 if can_manage else 403)
    if not can_manage:
        assert "requires the admin role" in created.json()["detail"]


def test_admin_cannot_demote_themselves(client_as: ClientFactory) -> None:
    admin = client_as(Role.admin)
    me = admin.get("/api/v1/auth/me").json()
    r = admin.patch(f"/api/v1/users/{me['id']}", json={"role": "viewer"})
    assert r.status_code == 422


def test_roles_rank_reviewer_between_annotator_and_admin() -> None:
    ranks = [r.rank for r in (Role.viewer, Role.annotator, Role.reviewer, Role.admin)]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4


@pytest.mark.parametrize(
    ("role", "can_review"),
    [(Role.viewer, False), (Role.annotator, False), (Role.reviewer, True), (Role.admin, True)],
)
def test_only_reviewers_and_admins_review(
    client_as: ClientFactory, project: dict[str, Any], role: Role, can_review: bool
) -> None:
    admin = client_as(Role.admin)
    image_id = upload(admin, project["id"], ("a.png", png_bytes()))["created"][0]["id"]
    points = [{"name": "nose", "x": 3, "y": 4, "visibility": "visible"}] + [
        {"name": k["name"]} for k in SCHEMA["keypoints"][1:]
    ]
    put = admin.put(
        f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": points}
    )
    assert put.status_code == 200
    r = client_as(role).post(
        f"/api/v1/images/{image_id}/review", json={"version": 1, "decision": "accept"}
    )
    assert r.status_code == (200 if can_review else 403)
    if not can_review:
        assert "requires the reviewer role" in r.json()["detail"]


def test_an_admin_makes_a_user_a_reviewer(client_as: ClientFactory) -> None:
    admin = client_as(Role.admin)
    made = admin.post(
        "/api/v1/users",
        json={"email": "rev@example.com", "password": "long-enough", "role": "reviewer"},
    )
    assert made.status_code == 201 and made.json()["role"] == "reviewer"
    back = admin.patch(f"/api/v1/users/{made.json()['id']}", json={"role": "annotator"})
    assert back.json()["role"] == "annotator"
