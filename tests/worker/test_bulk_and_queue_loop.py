"""After a real retraining on a Celery worker: the labeling queue is ranked by the model's
uncertainty, the API predicts one image with the exported ONNX model (no torch in the API
process), and a bulk job predicts uploaded files that never join the project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.worker.stack import KEYPOINTS, Stack, make_project, synthetic_image

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("worker-loop")]

TINY = {"backbone": "efficientnet_lite0", "input_size": 64, "max_steps": 8, "batch_size": 4}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack.create(tmp_path)
    try:
        stack.start_api()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()


def test_queue_interactive_predict_and_bulk_job_after_a_retraining(stack: Stack) -> None:
    pid, image_ids = make_project(stack)
    r = stack.api.post(f"/projects/{pid}/training-jobs", json=TINY)
    job = stack.wait_for_job(r.json()["id"], {"succeeded", "failed"})
    assert job["state"] == "succeeded", job["error"]
    assert job["progress"].get("scored") == len(image_ids), job["progress"]
    version_id = job["progress"]["model_version_id"]

    queue = stack.api.get(f"/projects/{pid}/queue", params={"limit": 20}).json()
    assert queue["strategy"] == "uncertainty" and queue["model_version_id"] == version_id
    assert sorted(i["image"]["id"] for i in queue["items"]) == sorted(image_ids)
    assert all(0 <= i["score"] <= 1 for i in queue["items"])
    unlabeled = [i for i in queue["items"] if i["image"]["labeled_count"] == 0]
    assert all(i["uncertain_keypoints"] for i in unlabeled), "each says why"
    prediction = stack.api.get(f"/images/{image_ids[-1]}/prediction").json()
    assert all(p["uncertainty"] is not None for p in prediction["keypoints"])

    data, _ = synthetic_image(100)
    one = stack.api.post(
        f"/model-versions/{version_id}/predict", files={"file": ("x.png", data, "image/png")}
    )
    assert one.status_code == 200, one.text
    assert [k["name"] for k in one.json()["keypoints"]] == KEYPOINTS

    files = [("files", (f"new{i}.png", synthetic_image(200 + i)[0], "image/png")) for i in (0, 1)]
    r = stack.api.post(f"/projects/{pid}/predictions/upload", files=files)
    assert r.status_code == 202, r.text
    bulk = stack.wait_for_job(r.json()["id"], {"succeeded", "failed"})
    assert bulk["state"] == "succeeded", bulk["error"]
    page = stack.api.get(f"/jobs/{bulk['id']}/results").json()
    assert page["total"] == 2 and [i["filename"] for i in page["items"]] == ["new0.png", "new1.png"]
    assert [k["name"] for k in page["items"][0]["keypoints"]] == KEYPOINTS
    coco = stack.api.get(f"/jobs/{bulk['id']}/results.coco.json").json()
    assert len(coco["annotations"]) == 2 and len(coco["annotations"][0]["keypoint_scores"]) == 2
    images = stack.api.get(f"/projects/{pid}/images").json()
    assert images["total"] == len(image_ids), "uploaded files did not join the project"
