"""Values that would break something later are refused at the edge with a 422 naming them:
non-finite floats (NaN, ±inf) anywhere in a request, ids a 64-bit column cannot hold."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.models import ModelVersion
from backend.schemas.common import MAX_ID
from tests.backend.conftest import png_bytes, upload

TOO_BIG = 2**63  # past any 64-bit integer


def _raw_json(client: TestClient, method: str, url: str, text: str) -> Any:
    """Send JSON text as is: Python's json module writes and reads NaN/Infinity literals."""
    return client.request(method, url, content=text, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_rejects_non_finite_roi(admin: TestClient, project: dict[str, Any], bad: str) -> None:
    image = upload(admin, project["id"], ("a.png", png_bytes()))["created"][0]
    r = _raw_json(admin, "PATCH", f"/api/v1/images/{image['id']}", f'{{"roi": [{bad}, 0, 10, 10]}}')
    assert r.status_code == 422, r.text
    assert "roi" in r.json()["detail"]
    assert admin.get(f"/api/v1/images/{image['id']}").json()["roi"] is None


def test_rejects_non_finite_keypoint(admin: TestClient, project: dict[str, Any]) -> None:
    image = upload(admin, project["id"], ("a.png", png_bytes()))["created"][0]
    points = [{"name": n, "visibility": "unlabeled"} for n in ("left_eye", "right_eye", "tail")]
    body = json.dumps({"version": 0, "keypoints": points})[:-1]
    body += ', "done": false}'
    body = body.replace('"keypoints": [', '"keypoints": [{"name": "nose", "x": NaN, "y": 1, '
                        '"visibility": "visible"}, ')  # fmt: skip
    r = _raw_json(admin, "PUT", f"/api/v1/images/{image['id']}/annotation", body)
    assert r.status_code == 422, r.text
    assert "keypoints" in r.json()["detail"]


@pytest.mark.parametrize("roi", ["0,0,inf,inf", "nan,0,10,10", "0,0,1e400,5"])
def test_rejects_non_finite_roi_on_predict(
    admin: TestClient, project: dict[str, Any], db: Session, roi: str
) -> None:
    version = ModelVersion(
        project_id=project["id"], backbone="efficientnet_lite0", config={}, metrics={},
        labeled_count=1, unlabeled_count=0, labels_snapshot={}, path="/nonexistent",
        is_active=True,
    )  # fmt: skip
    db.add(version)
    db.commit()
    r = admin.post(
        f"/api/v1/model-versions/{version.id}/predict",
        files={"file": ("a.png", png_bytes(), "image/png")},
        data={"roi": roi},
    )
    assert r.status_code == 422, r.text
    assert "roi" in r.json()["detail"] and "finite" in r.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/images/{id}",
        "/api/v1/images/{id}/annotation",
        "/api/v1/projects/{id}",
        "/api/v1/jobs/{id}",
        "/api/v1/model-versions/{id}",
        "/api/v1/evaluations/{id}",
    ],
)
@pytest.mark.parametrize("bad_id", [TOO_BIG, MAX_ID + 1, 0, -1])
def test_rejects_ids_a_database_cannot_hold_in_paths(
    admin: TestClient, path: str, bad_id: int
) -> None:
    r = admin.get(path.format(id=bad_id))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_input" and "id" in body["detail"]


def test_largest_id_is_simply_not_found(admin: TestClient) -> None:
    assert admin.get(f"/api/v1/images/{MAX_ID}").status_code == 404


def test_rejects_ids_out_of_range_in_queries_and_bodies(
    admin: TestClient, project: dict[str, Any]
) -> None:
    pid = project["id"]
    export = admin.get(f"/api/v1/projects/{pid}/export/coco", params={"image_id": TOO_BIG})
    assert export.status_code == 422, export.text
    evaluations = admin.get(
        f"/api/v1/projects/{pid}/evaluations", params={"model_version_id": TOO_BIG}
    )
    assert evaluations.status_code == 422, evaluations.text
    predict = admin.post(f"/api/v1/projects/{pid}/predictions", json={"image_ids": [TOO_BIG]})
    assert predict.status_code == 422, predict.text
    stale = admin.put(
        f"/api/v1/images/{MAX_ID}/annotation", json={"version": MAX_ID + 1, "keypoints": []}
    )
    assert stale.status_code == 422, stale.text


def test_rejects_offsets_past_what_the_database_can_skip(
    admin: TestClient, project: dict[str, Any]
) -> None:
    r = admin.get(f"/api/v1/projects/{project['id']}/images", params={"offset": 3 * TOO_BIG})
    assert r.status_code == 422, r.text
    assert "offset" in r.json()["detail"]
