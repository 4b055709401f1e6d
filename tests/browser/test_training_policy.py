"""Training starts only when asked: an import's annotations never start one, the policy can be
turned off (and is off until a first model exists), and a job the policy started says why."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from backend.config import get_settings
from worker.policy import check_retraining

from .annotating import login
from .conftest import Api, AppServer
from .test_transfer_ui import POINTS, coco_document, coco_zip

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each


@pytest.fixture
def policy_check(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Beat's periodic check, run against the app's database and broker."""
    data_dir = Path(app_server.database_url.removeprefix("sqlite:///")).parent
    monkeypatch.setenv("KEYLOOP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KEYLOOP_DATABASE_URL", app_server.database_url)
    get_settings.cache_clear()
    yield check_retraining
    get_settings.cache_clear()


def import_coco(api: Api, project_id: int) -> None:
    import json

    data = coco_zip(json.dumps(coco_document(POINTS)), seed=90)
    r = api.http.post(
        f"/projects/{project_id}/import/coco",
        files=[("files", ("gulls.zip", data, "application/zip"))],
    )
    r.raise_for_status()
    job_id = r.json()["id"]
    deadline = time.monotonic() + 60
    while (job := api.get(f"/jobs/{job_id}"))["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    assert job["state"] == "succeeded", job


def test_an_import_starts_no_training_and_a_policy_job_says_why(
    page: Page, api: Api, policy_check: Any, artifacts: Path
) -> None:
    schema = {
        "keypoints": [{"name": n} for n in ("head", "body", "tail")],
        "skeleton": [],
        "flip_pairs": [],
    }
    project = api.post(
        "/projects",
        {"name": "Imported gulls (policy)", "keypoint_schema": schema, "settings": {}},
    )
    pid = project["id"]
    assert project["settings"]["auto_retrain"] == "once_a_model_exists"
    login(page)
    page.goto(f"/projects/{pid}/admin#training")
    form = page.get_by_role("form", name="Retraining policy")
    expect(form).to_contain_text("until then only by hand")
    # An admin turns it on, every 2 images: still, the 2 imported annotations are not new work.
    form.get_by_label("Retrain automatically").select_option("on")
    form.get_by_label("after this many newly annotated images").fill("2")
    form.get_by_role("button", name="Save policy").click()
    expect(form.get_by_role("status")).to_have_text("Saved.")
    import_coco(api, pid)
    assert policy_check() == []
    assert api.get(f"/projects/{pid}/training-jobs?kind=train") == []

    for image in api.get(f"/projects/{pid}/images")["items"]:  # an annotator edits both
        current = api.get(f"/images/{image['id']}/annotation")
        current["keypoints"][0]["x"] += 1
        body = {"version": current["version"], "keypoints": current["keypoints"], "done": True}
        api.put(f"/images/{image['id']}/annotation", body)
    (job_id,) = policy_check()
    page.reload()
    detail = page.get_by_label(f"Job {job_id}")
    expect(detail.get_by_test_id("job-reason")).to_have_text(
        "Started automatically by the retraining policy: 2 images annotated since the "
        "project began (the policy retrains after 2)."
    )
    page.get_by_role("region", name="Training").screenshot(path=artifacts / "22_policy_job.png")
    api.post(f"/jobs/{job_id}/cancel", {})
