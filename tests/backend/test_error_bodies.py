"""Every 4xx body is what `/openapi.json` documents: the project's `ErrorBody`, never FastAPI's
default `HTTPValidationError` (a list in `detail`) that the server does not send. The slow
schemathesis run (test_api_fuzz.py) checks the same against a live server over many inputs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from backend.schemas.errors import ErrorBody

ERROR_REF = "#/components/schemas/ErrorBody"


def test_every_operation_documents_its_client_errors_as_error_body(anon: TestClient) -> None:
    spec: dict[str, Any] = anon.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    operations = [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/v1/")
    ]
    assert len(operations) > 50
    for method, path, op in operations:
        documented = op["responses"].get("4XX", {})
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        assert schema == {"$ref": ERROR_REF}, f"{method.upper()} {path}: {op['responses']}"
        assert "422" not in op["responses"], f"{method.upper()} {path} documents its own 422"


def _conforms(body: dict[str, Any]) -> None:
    ErrorBody.model_validate(body, strict=True)
    assert isinstance(body["detail"], str) and body["detail"]


def test_client_error_bodies_match_the_documented_shape(
    anon: TestClient, admin: TestClient, project: dict[str, Any]
) -> None:
    unauthenticated = anon.get("/api/v1/projects")
    missing = admin.get("/api/v1/images/999999")
    invalid = admin.get(f"/api/v1/projects/{project['id']}/images", params={"limit": "many"})
    bad_body = admin.patch(f"/api/v1/projects/{project['id']}", json={"name": ""})
    statuses = [r.status_code for r in (unauthenticated, missing, invalid, bad_body)]
    assert statuses == [401, 404, 422, 422]
    for r in (unauthenticated, missing, invalid, bad_body):
        _conforms(r.json())
    assert invalid.json()["errors"][0]["loc"] == ["query", "limit"]
    assert invalid.json()["detail"].startswith("query.limit: ")
