"""The model's predictions in the annotator: proposals shown with their confidence, accepted
one at a time or all above the threshold (a dragged proposal becomes a human point); and the
queue saying why it asks for an image (which keypoints the model is unsure of, and how), only
when it ranks by uncertainty."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.db.session import session_scope
from backend.models import Prediction
from tests.support import insert_prediction

from .annotating import drag_image, expect_saved, keypoint, login, open_image, upload, xy
from .conftest import SCHEMA, Api, AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each


def rank_in_queue(
    database_url: str,
    image_id: int,
    rank: int,
    score: float,
    unsure: dict[str, tuple[float, str]],
) -> None:
    """What the worker's active learning stores: the image's uncertainty, its queue rank under
    the active version, and per keypoint (schema order) an uncertainty and its strongest signal."""
    names = [k["name"] for k in cast(list[dict[str, str]], SCHEMA["keypoints"])]
    insert_prediction(database_url, image_id, [[200.0, 150.0]] * len(names), [0.5] * len(names))
    with session_scope(database_url) as session:
        prediction = session.scalars(
            select(Prediction).where(Prediction.image_id == image_id)
        ).one()
        prediction.uncertainty, prediction.queue_rank = score, rank
        prediction.keypoints = [
            {
                **point,
                "uncertainty": unsure[name][0] if name in unsure else None,
                "reason": unsure[name][1] if name in unsure else None,
            }
            for name, point in zip(names, prediction.keypoints, strict=True)
        ]


def test_prediction_is_shown_and_accepted(
    page: Page,
    app_server: AppServer,
    api: Api,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    image_id = images[3]["id"]
    insert_prediction(
        app_server.database_url,
        image_id,
        [[120.0, 80.0], [280.0, 80.0], [200.0, 160.0], [200.0, 280.0]],
        [0.92, 0.81, 0.64, 0.2],
    )
    login(page)
    open_image(page, project["id"], image_id)
    expect(page.locator('.overlay [data-kind="prediction"]')).to_have_count(4)
    expect(keypoint(page, "eye_left")).to_have_attribute("data-state", "predicted 92%")
    page.screenshot(path=artifacts / "04_prediction.png")

    page.keyboard.press("a")  # accept the selected one (eye_left), unmoved
    expect(keypoint(page, "eye_left")).to_have_attribute("data-state", "visible, accepted")
    # drag the eye_right proposal: it becomes a human point
    drag_image(page, (280, 80), (270, 90))
    expect(keypoint(page, "eye_right")).to_have_attribute("data-state", "visible")
    # Shift+A accepts the rest above the 0.5 threshold: beak (0.64), not tail (0.2)
    page.keyboard.press("Shift+A")
    expect(keypoint(page, "beak")).to_have_attribute("data-state", "visible, accepted")
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "predicted 20%")
    expect_saved(page)
    page.screenshot(path=artifacts / "05_accepted.png")

    points = {p["name"]: p for p in api.get(f"/images/{image_id}/annotation")["keypoints"]}
    assert points["eye_left"]["source"] == "prediction"
    assert xy(points["eye_left"]) == pytest.approx((120, 80), abs=0.01)
    assert points["eye_right"]["source"] == "human"
    assert xy(points["eye_right"]) == pytest.approx((270, 90), abs=1.5)
    assert points["beak"]["source"] == "prediction"
    assert points["tail"]["visibility"] == "unlabeled"


def test_queue_says_why_an_image_is_asked_for(
    page: Page, app_server: AppServer, api: Api, artifacts: Path
) -> None:
    project = api.post(
        "/projects",
        {"name": "Queue reasons", "description": "browser test", "keypoint_schema": SCHEMA},
    )
    first, second, unranked = (upload(api, project["id"], seed) for seed in (50, 51, 52))
    unsure_first = {"tail": (0.91, "equivariance"), "beak": (0.74, "semantic")}
    rank_in_queue(app_server.database_url, first, 0, 0.82, unsure_first)
    rank_in_queue(app_server.database_url, second, 1, 0.64, {"eye_right": (0.7, "low_confidence")})
    queue_requests: list[str] = []
    page.on("request", lambda r: queue_requests.append(r.url) if "/queue" in r.url else None)
    page.set_viewport_size({"width": 1280, "height": 720})
    login(page)

    open_image(page, project["id"], first)
    note = page.get_by_role("note", name="Why this image")
    expect(note).to_have_text("Asked for: the model is unsure of tail, beak (uncertainty 0.82)")
    badge = keypoint(page, "tail").locator(".kp-unsure")
    expect(badge).to_have_attribute(
        "title", "Model uncertainty 0.91: it moves when the image is warped"
    )
    expect(keypoint(page, "beak").locator(".kp-unsure")).to_be_visible()
    expect(page.locator(".kp-unsure")).to_have_count(2)
    page.screenshot(path=artifacts / "11_queue_reason.png")
    assert len(queue_requests) == 1

    # "Next" walks the queue; the image it opens finds its reason in the page it chose from.
    page.get_by_role("button", name="Next image").click()
    expect(page).to_have_url(f"{page.url.rsplit('/', 1)[0]}/{second}", timeout=30_000)
    expect(note).to_have_text("Asked for: the model is unsure of eye_right (uncertainty 0.64)")
    expect(keypoint(page, "eye_right")).to_have_attribute(
        "aria-label", "eye_right: predicted 50%; Model uncertainty 0.70: its heatmap peak is weak"
    )
    assert len(queue_requests) == 2

    # Uploaded after the ranking: queued, but with no score there is nothing to explain.
    with page.expect_response(lambda r: "/queue" in r.url) as queue_page:
        open_image(page, project["id"], unranked)
    queue_page.value.finished()
    page.wait_for_timeout(200)  # the page reads the queue page; a note would show by now
    expect(note).to_have_count(0)
    expect(page.locator(".kp-unsure")).to_have_count(0)

    # Random order: no reasons, and no queue request to look for one (it would go out as the
    # project arrives, before the panel renders).
    api.http.patch(
        f"/projects/{project['id']}", json={"settings": {"queue_strategy": "random"}}
    ).raise_for_status()
    queue_requests.clear()
    open_image(page, project["id"], first)
    expect(keypoint(page, "tail")).to_be_visible()
    page.wait_for_timeout(200)
    expect(note).to_have_count(0)
    assert queue_requests == []
