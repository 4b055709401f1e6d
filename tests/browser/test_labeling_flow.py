"""Going through a project image after image: "Next" walks forward through the queue without
bouncing back, "Skip" leaves an image for the end of the session, and the one-key "done and
next" / "accept the rest and next" finish an image without a separate chore."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.db.session import session_scope
from backend.models import Prediction
from tests.support import insert_prediction

from .annotating import click_image, expect_saved, keypoint, login, open_image, upload
from .conftest import Api, AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each


def rank_queue(database_url: str, image_ids: list[int]) -> None:
    """What a retraining leaves behind: a prediction per image and the queue order by
    uncertainty (`image_ids` first to last), the opposite of upload order here."""
    for image_id in image_ids:
        insert_prediction(database_url, image_id, [[200.0, 150.0]] * 4, [0.3] * 4)
    with session_scope(database_url) as session:
        for rank, image_id in enumerate(image_ids):
            prediction = session.scalars(
                select(Prediction).where(Prediction.image_id == image_id)
            ).one()
            prediction.queue_rank, prediction.uncertainty = rank, 1.0 - rank / 10


def expect_image(page: Page, project_id: int, image_id: int) -> None:
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}/images/{image_id}$"))
    expect(page.locator(".viewport-image")).to_be_visible()


def test_next_walks_forward_and_skipped_images_come_back_at_the_end(
    page: Page,
    app_server: AppServer,
    api: Api,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    pid = project["id"]
    order = [i["id"] for i in reversed(images)]  # the queue: newest upload first
    rank_queue(app_server.database_url, order)
    queued = [i["image"]["id"] for i in api.get(f"/projects/{pid}/queue")["items"]]
    assert queued == order
    login(page)
    open_image(page, pid, order[0])
    page.keyboard.press("n")  # leaves the top image unlabeled: the queue still ranks it first
    expect_image(page, pid, order[1])
    page.keyboard.press("n")  # forward, not back to the top image
    expect_image(page, pid, order[2])
    page.get_by_role("button", name="Skip", exact=True).click()
    expect_image(page, pid, order[3])
    page.screenshot(path=artifacts / "20_next_walks_forward.png")
    # Every image seen: those left unfinished come back, the one left longest ago first,
    # and the skipped one too, in its turn.
    page.keyboard.press("n")
    expect_image(page, pid, order[0])
    page.keyboard.press("n")
    expect_image(page, pid, order[1])
    page.keyboard.press("n")
    expect_image(page, pid, order[2])
    page.keyboard.press("s")
    expect_image(page, pid, order[3])


def annotation(api: Api, image_id: int) -> dict[str, Any]:
    result: dict[str, Any] = api.get(f"/images/{image_id}/annotation")
    return result


def test_done_and_next_asks_before_dropping_predictions_and_accept_rest_is_one_key(
    page: Page,
    app_server: AppServer,
    api: Api,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    pid = project["id"]
    predicted, asked, plain = (upload(api, pid, seed) for seed in (40, 41, 42))
    for image_id in (predicted, asked):
        insert_prediction(
            app_server.database_url,
            image_id,
            [[120.0, 80.0], [280.0, 80.0], [200.0, 160.0], [200.0, 280.0]],
            [0.9, 0.8, 0.3, 0.7],
        )
    login(page)

    # Enter ("done and next") with confident predictions not accepted: asked first.
    open_image(page, pid, predicted)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Finish with predictions not accepted?")
    expect(dialog).to_be_visible()
    left = dialog.get_by_role("list", name="Predictions not accepted").get_by_role("listitem")
    expect(left).to_have_text(
        ["eye_left — predicted 90 %", "eye_right — predicted 80 %", "tail — predicted 70 %"]
    )
    page.screenshot(path=artifacts / "21_finish_asks.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Mark done")).to_be_visible()

    # Shift+Enter: the rest above the threshold accepted, beak (30 %) left unlabeled, done, next.
    page.keyboard.press("Shift+Enter")
    expect(page).not_to_have_url(re.compile(rf"/images/{predicted}$"))
    saved = annotation(api, predicted)
    assert saved["done"] is True
    assert [(p["visibility"], p["source"]) for p in saved["keypoints"]] == [
        ("visible", "prediction"),
        ("visible", "prediction"),
        ("unlabeled", "human"),
        ("visible", "prediction"),
    ]

    # D with the same predictions: "Finish without them" marks done and stays.
    open_image(page, pid, asked)
    page.keyboard.press("d")
    page.get_by_role("button", name="Finish without them").click()
    expect(page.get_by_role("button", name="✓ Done")).to_be_visible()
    expect_saved(page)
    assert annotation(api, asked)["done"] is True
    assert all(p["visibility"] == "unlabeled" for p in annotation(api, asked)["keypoints"])

    # No prediction: Enter marks done and goes on without a question.
    open_image(page, pid, plain)
    click_image(page, 100, 100)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(rf"/images/{plain}$"))
    saved = annotation(api, plain)
    assert saved["done"] is True and saved["keypoints"][0]["visibility"] == "visible"


def test_a_project_can_mark_images_done_when_every_keypoint_is_placed(
    page: Page, api: Api, project: dict[str, Any], images: list[dict[str, Any]]
) -> None:
    pid = project["id"]
    image_id = upload(api, pid, 43)
    login(page)
    page.goto(f"/projects/{pid}/admin#project")
    form = page.get_by_role("form", name="Labeling settings")
    form.get_by_label("Mark an image done as soon as every keypoint is placed").check()
    form.get_by_role("button", name="Save labeling settings").click()
    expect(form.get_by_role("status")).to_have_text("Saved.")
    try:
        open_image(page, pid, image_id)
        for x in (100, 150, 200):
            click_image(page, x, 100)
        expect(page.get_by_role("button", name="Mark done")).to_be_visible()
        page.keyboard.down("Shift")  # the last one, occluded: the image is complete
        click_image(page, 250, 100)
        page.keyboard.up("Shift")
        expect(page.get_by_role("button", name="✓ Done")).to_be_visible()
        expect_saved(page)
        assert annotation(api, image_id)["done"] is True
        page.keyboard.press("Control+z")  # one step: the point and the done flag together
        expect(page.get_by_role("button", name="Mark done")).to_be_visible()
        expect(keypoint(page, "tail")).to_have_attribute("data-state", "unlabeled")
    finally:
        settings = {**project["settings"], "auto_done": False}
        api.http.patch(f"/projects/{pid}", json={"settings": settings}).raise_for_status()


def test_confidences_stay_within_100_percent_and_border_points_are_not_accepted(
    page: Page,
    app_server: AppServer,
    api: Api,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    pid = project["id"]
    image_id = upload(api, pid, 44)
    # A version from before calibration stored a raw peak of 1.29; the worker now flags a peak
    # on the image border and one below the floor.
    insert_prediction(
        app_server.database_url,
        image_id,
        [[120.0, 80.0], [399.0, 80.0], [200.0, 160.0], [200.0, 250.0]],
        [1.29, 0.9, 0.8, 0.6],
    )
    with session_scope(app_server.database_url) as session:
        prediction = session.scalars(
            select(Prediction).where(Prediction.image_id == image_id)
        ).one()
        doubts = [None, "border", None, "weak_peak"]
        prediction.keypoints = [
            {**p, "doubt": d} for p, d in zip(prediction.keypoints, doubts, strict=True)
        ]
    served = api.get(f"/images/{image_id}/prediction")["keypoints"]
    assert [p["confidence"] for p in served] == [1.0, 0.9, 0.8, 0.6]
    login(page)
    open_image(page, pid, image_id)
    expect(keypoint(page, "eye_left")).to_have_attribute("data-state", "predicted 100%")
    expect(keypoint(page, "eye_right")).to_have_attribute(
        "data-state", "predicted 90%, on the border"
    )
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "predicted 60%, weak")
    expect(page.get_by_role("button", name="Accept 2 above threshold")).to_be_visible()
    page.screenshot(path=artifacts / "23_calibrated_confidence.png")
    page.keyboard.press("Shift+A")
    expect(keypoint(page, "eye_left")).to_have_attribute("data-state", "visible, accepted")
    expect(keypoint(page, "beak")).to_have_attribute("data-state", "visible, accepted")
    expect(keypoint(page, "eye_right")).to_have_attribute(
        "data-state", "predicted 90%, on the border"
    )
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "predicted 60%, weak")
