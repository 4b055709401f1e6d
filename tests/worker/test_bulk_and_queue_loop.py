"""After a real retraining on a Celery worker: the labeling queue is ranked by the model's
uncertainty, the API predicts one image with the exported ONNX model (no torch in the API
process), and a bulk job predicts uploaded files that never join the project. Imports run on
their own light worker, with no main worker at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.worker.stack import KEYPOINTS, Stack, make_project, synthetic_image, zip_of_images

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

    # Confidences are calibrated, in [0, 1], and the API's ONNX path gives the worker's.
    assert all(0 <= p["confidence"] <= 1 for p in prediction["keypoints"])
    stored = stack.api.get(f"/images/{image_ids[-1]}/file").content
    again = stack.api.post(
        f"/model-versions/{version_id}/predict", files={"file": ("same.png", stored, "image/png")}
    ).json()
    for mine, worker in zip(again["keypoints"], prediction["keypoints"], strict=True):
        assert mine["confidence"] == pytest.approx(worker["confidence"], abs=1e-3)
        assert mine["doubt"] == worker["doubt"]

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
    scores = [s for a in coco["annotations"] for s in a["keypoint_scores"]]
    assert all(0 <= s <= 1 for s in scores), scores
    images = stack.api.get(f"/projects/{pid}/images").json()
    assert images["total"] == len(image_ids), "uploaded files did not join the project"


@pytest.fixture
def import_stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack.create(tmp_path)
    try:
        stack.start_api()
        stack.start_import_worker()  # and no main worker: an import needs none
        yield stack
    finally:
        stack.stop()


def test_an_import_job_runs_on_the_light_import_worker(import_stack: Stack) -> None:
    stack = import_stack
    frames = {f"frames/img{i}.png": synthetic_image(i) for i in range(3)}
    first_points = next(iter(frames.values()))[1]
    doc = {
        "images": [
            {"id": i, "file_name": name, "width": 96, "height": 96}
            for i, name in enumerate(frames, start=1)
        ],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "keypoints": [c for x, y in first_points for c in (x, y, 2)],
            }
        ],
        "categories": [{"id": 1, "name": "blob", "keypoints": KEYPOINTS, "skeleton": [[1, 2]]}],
    }
    upload = zip_of_images(doc, {name: data for name, (data, _) in frames.items()})
    r = stack.api.post(
        "/projects/import/coco", files={"files": ("blobs.zip", upload, "application/zip")}
    )
    assert r.status_code == 202, r.text
    job = stack.wait_for_job(r.json()["id"], {"succeeded", "failed"}, timeout_s=60)
    assert job["state"] == "succeeded", job["error"]
    report = job["progress"]["report"]
    assert (report["images_created"], report["annotations_saved"]) == (3, 1)
    project = stack.api.get(f"/projects/{job['project_id']}").json()
    assert project["name"] == "blob" and project["counts"]["total"] == 3
