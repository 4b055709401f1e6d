"""GET /projects/{id}/queue: the next images to annotate, per the project's queue_strategy."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.models import Image, ImageState, ModelVersion, Prediction
from tests.backend.conftest import png_bytes, upload

COLORS = ["red", "green", "blue", "white", "black", "yellow"]


def _images(admin: TestClient, project: dict[str, Any], count: int = 6) -> list[int]:
    files = [(f"{i}.png", png_bytes(color=COLORS[i])) for i in range(count)]
    return [c["id"] for c in upload(admin, project["id"], *files)["created"]]


def _mark_done(db: Session, *image_ids: int) -> None:
    for image_id in image_ids:
        image = db.get(Image, image_id)
        assert image is not None
        image.state = ImageState.done
    db.commit()


def _active_version(db: Session, project_id: int) -> ModelVersion:
    version = ModelVersion(
        project_id=project_id, backbone="efficientnet_lite0", config={}, metrics={},
        labeled_count=1, unlabeled_count=0, labels_snapshot={}, path="/nonexistent",
        is_active=True,
    )  # fmt: skip
    db.add(version)
    db.commit()
    return version


def _predict(
    db: Session, version: ModelVersion, image_id: int, rank: int | None, uncertainty: list[float]
) -> None:
    reasons = ["semantic", "equivariance", "invariance", "low_confidence"]
    db.add(
        Prediction(
            image_id=image_id,
            model_version_id=version.id,
            keypoints=[
                {"x": 1.0, "y": 1.0, "confidence": 0.5, "uncertainty": u, "reason": r}
                for u, r in zip(uncertainty, reasons, strict=True)
            ],
            score=0.5,
            uncertainty=sum(uncertainty) / len(uncertainty),
            queue_rank=rank,
        )
    )
    db.commit()


def _queue(client: TestClient, project: dict[str, Any], **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/projects/{project['id']}/queue", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _ids(queue: dict[str, Any]) -> list[int]:
    return [item["image"]["id"] for item in queue["items"]]


def test_sequential_lists_images_not_done_in_upload_order(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project)
    _mark_done(db, ids[1], ids[3])
    queue = _queue(admin, project, strategy="sequential", limit=3)
    assert _ids(queue) == [ids[0], ids[2], ids[4]]
    assert queue["remaining"] == 4 and queue["strategy"] == "sequential"


def test_random_samples_only_images_not_done_and_repeats_with_a_seed(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project)
    _mark_done(db, ids[0])
    first = _ids(_queue(admin, project, strategy="random", limit=5, seed=3))
    assert sorted(first) == sorted(ids[1:])
    assert _ids(_queue(admin, project, strategy="random", limit=5, seed=3)) == first
    orders = {tuple(_ids(_queue(admin, project, strategy="random", seed=s))) for s in range(8)}
    assert len(orders) > 1, "different seeds give different orders"


def test_pages_of_every_strategy_add_up_to_the_whole_order_once(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project)
    version = _active_version(db, project["id"])
    for rank, image_id in enumerate(reversed(ids)):
        _predict(db, version, image_id, rank=rank, uncertainty=[0.5] * 4)
    for params in ({"strategy": "sequential"}, {"strategy": "random", "seed": 7}, {}):
        whole = _ids(_queue(admin, project, limit=6, **params))
        pages = [_queue(admin, project, limit=2, offset=o, **params) for o in (0, 2, 4)]
        assert [i for page in pages for i in _ids(page)] == whole, params
        assert [item["rank"] for page in pages for item in page["items"]] == list(range(6))
    assert _ids(_queue(admin, project, limit=6)) == list(reversed(ids))
    r = admin.get(f"/api/v1/projects/{project['id']}/queue", params={"offset": -1})
    assert r.status_code == 422


def test_uncertainty_follows_the_workers_rank_and_says_why(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project, 5)
    version = _active_version(db, project["id"])
    _predict(db, version, ids[0], rank=2, uncertainty=[0.1, 0.2, 0.3, 0.4])
    _predict(db, version, ids[1], rank=0, uncertainty=[0.9, 0.1, 0.8, 0.2])
    _predict(db, version, ids[2], rank=1, uncertainty=[0.5, 0.5, 0.5, 0.5])
    _predict(db, version, ids[3], rank=3, uncertainty=[0.9, 0.9, 0.9, 0.9])
    _mark_done(db, ids[3])  # done since the worker ranked it: never queued
    queue = _queue(admin, project, limit=10)  # the project default is "uncertainty"
    assert queue["strategy"] == "uncertainty" and queue["model_version_id"] == version.id
    # Ranked images by rank, then ids[4] (uploaded after the model, unranked) last.
    assert _ids(queue) == [ids[1], ids[2], ids[0], ids[4]]
    top = queue["items"][0]
    assert top["score"] == 0.5 and top["rank"] == 0
    assert [(k["name"], k["reason"]) for k in top["uncertain_keypoints"]] == [
        ("nose", "semantic"),
        ("right_eye", "invariance"),
        ("tail", "low_confidence"),
    ]
    assert queue["items"][-1]["score"] is None and queue["items"][-1]["uncertain_keypoints"] == []


def test_labeled_keypoints_of_a_partly_labeled_image_are_not_named_as_uncertain(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    image_id = _images(admin, project, 1)[0]
    version = _active_version(db, project["id"])
    _predict(db, version, image_id, rank=0, uncertainty=[0.9, 0.1, 0.2, 0.3])
    points = [
        {"name": "nose", "x": 5, "y": 5, "visibility": "visible"},
        {"name": "left_eye", "x": None, "y": None, "visibility": "unlabeled"},
        {"name": "right_eye", "x": None, "y": None, "visibility": "unlabeled"},
        {"name": "tail", "x": None, "y": None, "visibility": "unlabeled"},
    ]
    r = admin.put(f"/api/v1/images/{image_id}/annotation", json={"version": 0, "keypoints": points})
    assert r.status_code == 200, r.text
    item = _queue(admin, project)["items"][0]
    assert [k["name"] for k in item["uncertain_keypoints"]] == ["tail", "right_eye", "left_eye"]


def test_uncertainty_without_a_model_falls_back_to_sequential(
    admin: TestClient, project: dict[str, Any]
) -> None:
    ids = _images(admin, project, 3)
    queue = _queue(admin, project)
    assert queue["requested_strategy"] == "uncertainty" and queue["strategy"] == "sequential"
    assert "no active model" in queue["fallback_reason"] and _ids(queue) == ids


def test_the_project_setting_chooses_the_strategy(
    admin: TestClient, db: Session, project: dict[str, Any]
) -> None:
    ids = _images(admin, project, 3)
    version = _active_version(db, project["id"])
    for rank, image_id in enumerate(reversed(ids)):
        _predict(db, version, image_id, rank=rank, uncertainty=[0.5] * 4)
    assert _ids(_queue(admin, project)) == list(reversed(ids))
    r = admin.patch(
        f"/api/v1/projects/{project['id']}", json={"settings": {"queue_strategy": "sequential"}}
    )
    assert r.status_code == 200, r.text
    assert _ids(_queue(admin, project)) == ids


def test_queue_input_errors(admin: TestClient, project: dict[str, Any]) -> None:
    assert admin.get("/api/v1/projects/999999/queue").status_code == 404
    url = f"/api/v1/projects/{project['id']}/queue"
    assert admin.get(url, params={"strategy": "smartest"}).status_code == 422
    assert admin.get(url, params={"limit": 0}).status_code == 422
