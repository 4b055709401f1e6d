"""The whole loop with real processes: annotate through the API, retrain on a Celery
worker, see a model version and predictions for every image; cancel; kill; 409."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.worker.stack import Stack, make_project, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("worker-loop")]

TINY = {"backbone": "efficientnet_lite0", "input_size": 64, "max_steps": 8, "batch_size": 4}
LONG = {**TINY, "max_steps": 100_000}


@pytest.fixture(params=["filesystem", "redis"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    broker = request.getfixturevalue("redis_url") if request.param == "redis" else None
    stack = Stack.create(tmp_path, broker)
    try:
        stack.start_api()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()


def test_retrain_publishes_a_version_and_predicts_every_image(stack: Stack) -> None:
    pid, image_ids = make_project(stack)
    r = stack.api.post(f"/projects/{pid}/training-jobs", json=TINY)
    assert r.status_code == 202, r.text
    job = stack.wait_for_job(r.json()["id"], {"succeeded", "failed"})
    assert job["state"] == "succeeded", job["error"]
    assert job["progress"]["history"], "progress was reported"
    versions = stack.api.get(f"/projects/{pid}/model-versions").json()
    assert len(versions) == 1 and versions[0]["is_active"]
    train = stack.api.get(f"/projects/{pid}/images", params={"split": "train"}).json()["items"]
    assert versions[0]["labeled_count"] == sum(i["labeled_count"] > 0 for i in train)
    assert versions[0]["unlabeled_count"] == sum(i["labeled_count"] == 0 for i in train)
    assert "pck" in versions[0]["metrics"]
    for image_id in image_ids:
        pred = stack.api.get(f"/images/{image_id}/prediction")
        assert pred.status_code == 200, image_id
        assert [p["name"] for p in pred.json()["keypoints"]] == ["head", "tail"]
    unlabeled = stack.api.get(f"/images/{image_ids[-1]}").json()
    assert unlabeled["state"] == "predicted"
    annotation = stack.api.get(f"/images/{image_ids[-1]}/annotation").json()
    assert annotation["version"] == 0, "predictions never become annotations by themselves"


def test_cancel_a_running_job(stack: Stack) -> None:
    pid, _ = make_project(stack)
    job_id = stack.api.post(f"/projects/{pid}/training-jobs", json=LONG).json()["id"]
    wait_until(
        lambda: bool(stack.api.get(f"/jobs/{job_id}").json()["progress"].get("step")),
        180,
        lambda: stack.log("worker")[-3000:],
    )
    assert stack.api.post(f"/jobs/{job_id}/cancel").status_code == 200
    job = stack.wait_for_job(job_id, {"cancelled", "failed", "succeeded"}, 60)
    assert job["state"] == "cancelled"
    assert stack.api.get(f"/projects/{pid}/model-versions").json() == []
    # The project is free again.
    assert stack.api.post(f"/projects/{pid}/training-jobs", json=TINY).status_code == 202


def test_two_simultaneous_requests_give_one_job_and_one_409(stack: Stack) -> None:
    pid, _ = make_project(stack, n_images=4, n_labeled=2)
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def request() -> None:
        barrier.wait()
        statuses.append(stack.api.post(f"/projects/{pid}/training-jobs", json=LONG).status_code)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [202, 409]
    running = stack.api.get(f"/projects/{pid}/training-jobs").json()
    assert len(running) == 1
    stack.api.post(f"/jobs/{running[0]['id']}/cancel")


def test_a_killed_worker_leaves_a_failed_job_and_no_half_written_version(stack: Stack) -> None:
    pid, _ = make_project(stack)
    job_id = stack.api.post(f"/projects/{pid}/training-jobs", json=LONG).json()["id"]
    wait_until(
        lambda: bool(stack.api.get(f"/jobs/{job_id}").json()["progress"].get("step")),
        180,
        lambda: stack.log("worker")[-3000:],
    )
    stack.kill("worker")
    # Beat's policy check reaps jobs whose worker stopped sending heartbeats.
    stack.python(
        "from datetime import timedelta; from worker.job_state import reap_stale_jobs;"
        "print(reap_stale_jobs(timedelta(seconds=0)))"
    )
    job = stack.api.get(f"/jobs/{job_id}").json()
    assert job["state"] == "failed" and "heartbeat" in job["error"]
    assert stack.api.get(f"/projects/{pid}/model-versions").json() == []
    models_dir = Path(stack.env["KEYLOOP_DATA_DIR"]) / "models"
    assert not list(models_dir.rglob("model.pt")), "no published model files"
    # It can be restarted, and the restarted job completes.
    stack.start_worker()
    again = stack.api.post(f"/projects/{pid}/training-jobs", json=TINY)
    assert again.status_code == 202
    assert stack.wait_for_job(again.json()["id"], {"succeeded", "failed"})["state"] == "succeeded"
