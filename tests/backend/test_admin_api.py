"""The admin endpoints: dataset health, label efficiency, evaluation details, other users'
tokens; each refuses non-admins."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.models import Evaluation, ModelVersion, Role
from tests.backend.conftest import ClientFactory, png_bytes, upload

NAMES = ("nose", "left_eye", "right_eye", "tail")


def _points(**placed: tuple[float, float, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in NAMES:
        if name in placed:
            x, y, vis = placed[name]
            out.append({"name": name, "x": x, "y": y, "visibility": vis})
        else:
            out.append({"name": name})
    return out


def _images(client: TestClient, project_id: int, n: int) -> list[int]:
    files = [(f"{i}.png", png_bytes(40 + i, 30)) for i in range(n)]
    return [int(c["id"]) for c in upload(client, project_id, *files)["created"]]


def _version(db: Session, project_id: int, labeled: int, pck: float | None) -> ModelVersion:
    version = ModelVersion(
        project_id=project_id,
        backbone="efficientnet_lite0",
        config={},
        metrics={"pck": pck},
        labeled_count=labeled,
        unlabeled_count=3,
        labels_snapshot={},
        path="/nonexistent",
    )
    db.add(version)
    db.commit()
    return version


def _evaluation(db: Session, version: ModelVersion, image_ids: list[int]) -> Evaluation:
    n = len(image_ids)
    evaluation = Evaluation(
        model_version_id=version.id,
        alpha=0.1,
        metrics={
            "pck": 0.5,
            "per_keypoint": dict.fromkeys(NAMES, 0.5),
            "image_ids": image_ids,
            "per_image_normalized_error": [0.1 * (i + 1) for i in range(n - 1)] + [None],
            "predicted_xy": [[[float(i), 2.0]] * 4 for i in range(n)],
            "true_xy": [[[1.0, 2.0], None, None, None] for _ in range(n)],
            "keypoint_names": list(NAMES),
            "embedding": {
                "method": "tsne",
                "points": [[0.5, -0.5, k, i, k == 0] for i in range(n) for k in range(4)],
            },
        },
    )
    db.add(evaluation)
    db.commit()
    return evaluation


def test_health_counts_labels_per_keypoint_split_and_annotator(
    client_as: ClientFactory, admin: TestClient, project: dict[str, Any]
) -> None:
    pid = project["id"]
    ids = _images(admin, pid, 6)
    annotator = client_as(Role.annotator)
    me = annotator.get("/api/v1/auth/me").json()
    both = _points(nose=(1, 1, "visible"), tail=(2, 2, "occluded"))
    for image_id in ids[:5]:
        r = annotator.put(
            f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": both}
        )
        assert r.status_code == 200, r.text
    # The admin re-saves one (a second revision) and adds a left eye to it.
    more = _points(nose=(1, 1, "visible"), tail=(2, 2, "occluded"), left_eye=(3, 3, "visible"))
    r = admin.put(
        f"/api/v1/images/{ids[0]}/annotation", json={"version": 1, "keypoints": more, "done": True}
    )
    assert r.status_code == 200, r.text

    health = admin.get(f"/api/v1/projects/{pid}/health").json()
    assert health["counts"]["total"] == 6
    assert sum(s["images"] for s in health["splits"].values()) == 6
    assert sum(s["annotated"] for s in health["splits"].values()) == 5
    assert sum(s["done"] for s in health["splits"].values()) == 1
    coverage = {k["name"]: k for k in health["keypoints"]}
    assert (coverage["nose"]["visible"], coverage["nose"]["occluded"]) == (5, 0)
    assert (coverage["tail"]["visible"], coverage["tail"]["occluded"]) == (0, 5)
    assert coverage["left_eye"]["labeled"] == 1 and coverage["left_eye"]["fraction"] == 0.2
    assert health["never_labeled"] == ["right_eye"]
    assert health["rarely_labeled"] == []  # 1 of 5 is not below 20 %
    by_email = {a["email"]: a for a in health["annotators"]}
    assert by_email[me["email"]] == {
        "user_id": me["id"],
        "email": me["email"],
        "annotations": 4,
        "done": 0,
        "revisions": 5,
    }
    admin_row = next(a for a in health["annotators"] if a["email"] != me["email"])
    assert (admin_row["annotations"], admin_row["done"], admin_row["revisions"]) == (1, 1, 1)


def test_health_of_an_empty_project(admin: TestClient, project: dict[str, Any]) -> None:
    health = admin.get(f"/api/v1/projects/{project['id']}/health").json()
    assert health["counts"]["total"] == 0
    assert health["never_labeled"] == list(NAMES)
    assert health["annotators"] == []
    assert admin.get("/api/v1/projects/999999/health").status_code == 404


def test_label_efficiency_orders_versions_by_labeled_images(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    late = _version(db, project["id"], labeled=20, pck=0.8)
    early = _version(db, project["id"], labeled=5, pck=0.4)
    unknown = _version(db, project["id"], labeled=10, pck=None)
    curve = admin.get(f"/api/v1/projects/{project['id']}/label-efficiency").json()
    assert [(p["model_version_id"], p["labeled_count"], p["pck"]) for p in curve] == [
        (early.id, 5, 0.4),
        (unknown.id, 10, None),
        (late.id, 20, 0.8),
    ]


def test_evaluation_summaries_leave_out_the_per_image_lists(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project["id"], 2)
    v1 = _version(db, project["id"], 5, 0.5)
    v2 = _version(db, project["id"], 9, 0.6)
    first, second = _evaluation(db, v1, ids), _evaluation(db, v2, ids)
    url = f"/api/v1/projects/{project['id']}/evaluations"
    summaries = admin.get(url).json()
    assert [s["id"] for s in summaries] == [second.id, first.id]
    assert summaries[0] == {
        "id": second.id,
        "model_version_id": v2.id,
        "alpha": 0.1,
        "created_at": summaries[0]["created_at"],
        "pck": 0.5,
        "normalizer": None,  # stored before the metrics named it
        "per_keypoint": dict.fromkeys(NAMES, 0.5),
        "mean_error_px": None,
        "count": 0,
        "image_count": 2,
        "has_points": True,
        "has_embedding": True,
    }
    only_v1 = admin.get(url, params={"model_version_id": v1.id}).json()
    assert [s["id"] for s in only_v1] == [first.id]


def test_worst_examples_come_worst_first_with_their_points(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project["id"], 4)
    evaluation = _evaluation(db, _version(db, project["id"], 5, 0.5), ids)
    worst = admin.get(f"/api/v1/evaluations/{evaluation.id}/worst", params={"limit": 2}).json()
    assert [w["image_id"] for w in worst] == [ids[2], ids[1]]  # ids[3] has no error: skipped
    assert worst[0]["predicted_xy"][0] == [2.0, 2.0]
    assert worst[0]["true_xy"] == [[1.0, 2.0], None, None, None]
    assert worst[0]["width"] == 42 and worst[0]["normalized_error"] == pytest.approx(0.3)
    admin.delete(f"/api/v1/images/{ids[2]}")
    after = admin.get(f"/api/v1/evaluations/{evaluation.id}/worst").json()
    assert [w["image_id"] for w in after] == [ids[1], ids[0]], "deleted images are skipped"


def test_worst_examples_of_an_old_evaluation_have_no_points(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project["id"], 2)
    version = _version(db, project["id"], 5, 0.5)
    old = Evaluation(
        model_version_id=version.id,
        alpha=0.1,
        metrics={"pck": 0.5, "image_ids": ids, "per_image_normalized_error": [0.2, 0.1]},
    )
    db.add(old)
    db.commit()
    worst = admin.get(f"/api/v1/evaluations/{old.id}/worst").json()
    assert [(w["image_id"], w["predicted_xy"]) for w in worst] == [(ids[0], None), (ids[1], None)]
    assert admin.get(f"/api/v1/evaluations/{old.id}/embedding").status_code == 404


def test_embedding_names_keypoints_and_images(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project["id"], 2)
    evaluation = _evaluation(db, _version(db, project["id"], 5, 0.5), ids)
    emb = admin.get(f"/api/v1/evaluations/{evaluation.id}/embedding").json()
    assert emb["method"] == "tsne" and emb["keypoint_names"] == list(NAMES)
    assert len(emb["points"]) == 8
    assert emb["points"][5] == {
        "x": 0.5,
        "y": -0.5,
        "keypoint": "left_eye",
        "image_id": ids[1],
        "labeled": False,
    }
    full = admin.get(f"/api/v1/evaluations/{evaluation.id}").json()
    assert full["metrics"]["image_ids"] == ids
    assert admin.get("/api/v1/evaluations/999999").status_code == 404


def test_admin_issues_lists_and_revokes_another_users_tokens(
    client_as: ClientFactory, admin: TestClient, anon: TestClient
) -> None:
    annotator = client_as(Role.annotator)
    user_id = annotator.get("/api/v1/auth/me").json()["id"]
    own = annotator.post("/api/v1/auth/tokens", json={"name": "laptop"}).json()
    issued = admin.post(f"/api/v1/users/{user_id}/tokens", json={"name": "bot"})
    assert issued.status_code == 201
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert anon.get("/api/v1/auth/me", headers=bearer).json()["id"] == user_id

    listed = admin.get(f"/api/v1/users/{user_id}/tokens").json()
    assert [t["name"] for t in listed] == ["laptop", "bot"]
    assert all("token" not in t for t in listed), "a token is shown only once"

    r = admin.delete(f"/api/v1/users/{user_id}/tokens/{issued.json()['id']}")
    assert r.status_code == 204
    assert anon.get("/api/v1/auth/me", headers=bearer).status_code == 401
    revoked = {
        t["id"]: t["revoked_at"] for t in admin.get(f"/api/v1/users/{user_id}/tokens").json()
    }
    assert revoked[issued.json()["id"]] is not None and revoked[own["id"]] is None


def test_revoking_a_token_through_the_wrong_user_is_404(
    client_as: ClientFactory, admin: TestClient
) -> None:
    annotator = client_as(Role.annotator)
    own = annotator.post("/api/v1/auth/tokens", json={"name": "laptop"}).json()
    admin_id = admin.get("/api/v1/auth/me").json()["id"]
    assert admin.delete(f"/api/v1/users/{admin_id}/tokens/{own['id']}").status_code == 404
    assert admin.get("/api/v1/users/999999/tokens").status_code == 404


def test_deactivating_a_user_stops_their_tokens(
    client_as: ClientFactory, admin: TestClient, anon: TestClient
) -> None:
    annotator = client_as(Role.annotator)
    user_id = annotator.get("/api/v1/auth/me").json()["id"]
    token = annotator.post("/api/v1/auth/tokens", json={"name": "x"}).json()["token"]
    r = admin.patch(f"/api/v1/users/{user_id}", json={"is_active": False, "role": "viewer"})
    assert r.json()["is_active"] is False and r.json()["role"] == "viewer"
    assert (
        anon.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


@pytest.mark.parametrize("role", [Role.annotator, Role.viewer])
def test_admin_endpoints_refuse_other_roles(
    client_as: ClientFactory, db: Session, project: dict[str, Any], role: Role
) -> None:
    client = client_as(role)
    user_id = client.get("/api/v1/auth/me").json()["id"]
    version = _version(db, project["id"], 5, 0.5)
    evaluation = _evaluation(db, version, [])
    pid = project["id"]
    calls = [
        ("GET", f"/api/v1/projects/{pid}/health", None),
        ("GET", f"/api/v1/projects/{pid}/label-efficiency", None),
        ("GET", f"/api/v1/projects/{pid}/evaluations", None),
        ("GET", f"/api/v1/evaluations/{evaluation.id}", None),
        ("GET", f"/api/v1/evaluations/{evaluation.id}/worst", None),
        ("GET", f"/api/v1/evaluations/{evaluation.id}/embedding", None),
        ("GET", f"/api/v1/users/{user_id}/tokens", None),
        ("POST", f"/api/v1/users/{user_id}/tokens", {"name": "x"}),
        ("DELETE", f"/api/v1/users/{user_id}/tokens/1", None),
        ("POST", f"/api/v1/model-versions/{version.id}/evaluations", {"alpha": 0.2}),
        ("PATCH", f"/api/v1/projects/{pid}", {"settings": {"retrain_threshold": 3}}),
        ("GET", "/api/v1/users", None),
    ]
    for method, url, body in calls:
        r = client.request(method, url, json=body)
        assert r.status_code == 403, (method, url, r.status_code)


def test_retraining_policy_is_editable(admin: TestClient, project: dict[str, Any]) -> None:
    settings = {**project["settings"], "retrain_threshold": 25, "promote_policy": "manual"}
    r = admin.patch(f"/api/v1/projects/{project['id']}", json={"settings": settings})
    assert r.status_code == 200
    assert r.json()["settings"]["retrain_threshold"] == 25
    assert r.json()["settings"]["promote_policy"] == "manual"
    bad = {**settings, "promote_policy": "sometimes"}
    assert (
        admin.patch(f"/api/v1/projects/{project['id']}", json={"settings": bad}).status_code == 422
    )
