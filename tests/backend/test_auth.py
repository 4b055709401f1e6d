from __future__ import annotations

from fastapi.testclient import TestClient

from backend.models import Role
from tests.backend.conftest import PASSWORD, ClientFactory


def test_login_sets_session_and_me_returns_user(client_as: ClientFactory) -> None:
    client = client_as(Role.annotator)
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["role"] == "annotator"


def test_wrong_password_is_rejected(anon: TestClient, client_as: ClientFactory) -> None:
    client_as(Role.viewer)
    r = anon.post("/api/v1/auth/login", json={"email": "viewer0@example.com", "password": "nope"})
    assert r.status_code == 401
    assert "wrong email or password" in r.json()["detail"]


def test_requests_without_credentials_get_401(anon: TestClient) -> None:
    assert anon.get("/api/v1/projects").status_code == 401


def test_cookie_writes_require_the_csrf_header(client_as: ClientFactory) -> None:
    admin = client_as(Role.admin)
    del admin.headers["X-CSRF-Token"]
    r = admin.post(
        "/api/v1/projects", json={"name": "p", "keypoint_schema": {"keypoints": [{"name": "a"}]}}
    )
    assert r.status_code == 403
    assert "X-CSRF-Token" in r.json()["detail"]


def test_bearer_token_works_without_csrf_and_stops_after_revocation(
    client_as: ClientFactory, anon: TestClient
) -> None:
    admin = client_as(Role.admin)
    created = admin.post("/api/v1/auth/tokens", json={"name": "script"}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    r = anon.post(
        "/api/v1/projects",
        json={"name": "by-script", "keypoint_schema": {"keypoints": [{"name": "a"}]}},
        headers=headers,
    )
    assert r.status_code == 201
    listed = admin.get("/api/v1/auth/tokens").json()
    assert [t["name"] for t in listed] == ["script"]
    assert "token" not in listed[0]
    assert admin.delete(f"/api/v1/auth/tokens/{created['id']}").status_code == 204
    assert anon.get("/api/v1/projects", headers=headers).status_code == 401


def test_deactivated_user_cannot_log_in(client_as: ClientFactory, anon: TestClient) -> None:
    admin = client_as(Role.admin)
    annotator = client_as(Role.annotator)
    uid = annotator.get("/api/v1/auth/me").json()["id"]
    assert admin.patch(f"/api/v1/users/{uid}", json={"is_active": False}).status_code == 200
    assert annotator.get("/api/v1/auth/me").status_code == 401
    r = anon.post(
        "/api/v1/auth/login", json={"email": "annotator1@example.com", "password": PASSWORD}
    )
    assert r.status_code == 401


def test_logout_clears_the_session(client_as: ClientFactory) -> None:
    client = client_as(Role.viewer)
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
