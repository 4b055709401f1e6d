"""A 17-keypoint schema (COCO body) in the annotator: every keypoint has its own key and colour,
names stay readable beside an "unsure" badge at 1280 px, occluded points show on a dark frame,
and stacked markers are selected in turn by clicking again. Screenshots at 1280x800 and
1920x1080 are kept in artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from backend.db.session import session_scope
from backend.models import Prediction
from tests.support import insert_prediction

from .annotating import click_image, drag_image, keypoint, login, open_image, upload
from .conftest import Api, AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
]  # fmt: skip
# The 16-colour palette a project had before wrapped round: keypoint 17 was red like keypoint 1.
WRAPPED = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8"] * 4 + ["#e6194b"]


@pytest.fixture(scope="module")
def body(api: Api, app_server: AppServer) -> dict[str, Any]:
    project: dict[str, Any] = api.post(
        "/projects",
        {
            "name": "Body (17 keypoints)",
            "keypoint_schema": {
                "keypoints": [{"name": n, "color": c} for n, c in zip(NAMES, WRAPPED, strict=True)],
                "skeleton": [],
                "flip_pairs": [],
            },
        },
    )
    image_id = upload(api, project["id"], 70)
    insert_prediction(app_server.database_url, image_id, [[200.0, 150.0]] * 17, [0.4] * 17)
    with session_scope(app_server.database_url) as session:  # the queue is unsure of two
        prediction = session.scalars(
            select(Prediction).where(Prediction.image_id == image_id)
        ).one()
        prediction.uncertainty, prediction.queue_rank = 0.8, 0
        prediction.keypoints = [
            {**p, "uncertainty": 0.9 if i in (14, 16) else 0.1, "reason": "equivariance"}
            for i, p in enumerate(prediction.keypoints)
        ]
    project["image_id"] = image_id
    return project


def test_every_keypoint_has_a_key_a_colour_and_a_readable_name(
    browser: Browser, app_url: str, body: dict[str, Any], artifacts: Path
) -> None:
    for width, height in ((1280, 800), (1920, 1080)):
        context = browser.new_context(base_url=app_url, viewport={"width": width, "height": height})
        page = context.new_page()
        login(page)
        open_image(page, body["id"], body["image_id"])
        page.screenshot(path=artifacts / f"24_predicted_{width}x{height}.png")
        page.keyboard.press("p")  # predictions off: the panel shows plain keypoints
        for key, name in (("q", "left_wrist"), ("i", "right_ankle"), ("5", "right_ear")):
            page.keyboard.press(key)
            expect(keypoint(page, name)).to_have_attribute("aria-selected", "true")
        keys = page.locator(".keypoint-list .kp-key").all_inner_texts()
        assert keys == [*"123456789QWERTYUI"]
        swatches = page.locator(".keypoint-list .swatch").evaluate_all(
            "els => els.map(e => getComputedStyle(e).backgroundColor)"
        )
        assert len(set(swatches)) == 17, swatches
        # The unsure rows keep their whole name: nothing is cut off.
        unsure = keypoint(page, "right_ankle")
        expect(unsure.locator(".kp-unsure")).to_be_visible()
        clipped = unsure.locator(".kp-name").evaluate("e => e.scrollWidth > e.clientWidth")
        assert clipped is False
        expect(unsure.locator(".kp-name")).to_contain_text("right_ankle")
        page.screenshot(path=artifacts / f"24_seventeen_keypoints_{width}x{height}.png")
        context.close()


def test_go_to_box_occluded_marker_and_stacked_markers(
    page: Page, body: dict[str, Any], artifacts: Path
) -> None:
    login(page)
    open_image(page, body["id"], body["image_id"])
    page.keyboard.press("p")
    page.keyboard.press("/")
    page.keyboard.type("right_kn")
    page.keyboard.press("Enter")
    expect(keypoint(page, "right_knee")).to_have_attribute("aria-selected", "true")
    # Two points on the same spot, the second occluded: a white halo shows it on the dark frame.
    page.keyboard.press("1")
    click_image(page, 60, 60)
    page.keyboard.press("2")
    click_image(page, 150, 60)  # placing selects the next keypoint: back to left_eye
    page.keyboard.press("2")
    page.keyboard.press("o")
    drag_image(page, (150, 60), (60, 60))
    halo = page.locator('.overlay [data-name="left_eye"] .occluded-halo')
    expect(halo).to_have_attribute("stroke", "#fff")
    page.keyboard.press("4")  # select something else, then click the stack: topmost first
    click_image(page, 60, 60)
    first = page.locator('.keypoint-list [aria-selected="true"]').get_attribute("data-name")
    click_image(page, 60, 60)
    second = page.locator('.keypoint-list [aria-selected="true"]').get_attribute("data-name")
    assert {first, second} == {"nose", "left_eye"}
    page.screenshot(path=artifacts / "25_occluded_and_stacked.png")
