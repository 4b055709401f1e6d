"""Agreement checks in the browser: an admin sends a sample to a second annotator from the admin
page, the annotator labels it blind on "Second labels", and the admin page's tables show the
disagreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from . import conftest
from .annotating import upload
from .conftest import Api

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

ANNOTATOR = "second@example.com"
PASSWORD = "second-pass-1"
FIRST = [
    {"name": "eye_left", "x": 100, "y": 100, "visibility": "visible"},
    {"name": "eye_right", "x": 300, "y": 100, "visibility": "visible"},
    {"name": "beak", "x": 200, "y": 200, "visibility": "visible"},
    {"name": "tail"},
]


def _click(page: Page, x: float, y: float) -> None:
    """Click image pixel (x, y) on the second-label view (an SVG whose viewBox is the image)."""
    svg = page.locator(".review-crop")
    box = svg.bounding_box()
    assert box is not None
    scale = min(box["width"] / conftest.W, box["height"] / conftest.H)  # letterboxed, centred
    left = box["x"] + (box["width"] - conftest.W * scale) / 2
    top = box["y"] + (box["height"] - conftest.H * scale) / 2
    page.mouse.click(left + x * scale, top + y * scale)


def test_a_sample_is_labeled_blind_and_compared(page: Page, api: Api, artifacts: Path) -> None:
    pid = api.post(
        "/projects",
        {"name": "Agreement", "description": "", "keypoint_schema": conftest.SCHEMA},
    )["id"]
    image_id = upload(api, pid, 81)
    api.put(f"/images/{image_id}/annotation", {"version": 0, "keypoints": FIRST})
    api.post("/users", {"email": ANNOTATOR, "password": PASSWORD, "role": "annotator"})

    conftest.login(page, conftest.ADMIN_EMAIL, conftest.ADMIN_PASSWORD)
    page.goto(f"/projects/{pid}/admin#agreement")
    form = page.get_by_role("form", name="Send a sample")
    form.get_by_label("Second annotator").select_option(label=f"{ANNOTATOR} (annotator)")
    form.get_by_label("Images").fill("5")
    form.get_by_role("button", name="Send sample").click()
    section = page.get_by_role("region", name="Agreement")
    expect(section.get_by_role("status")).to_have_text(
        f"Sent 1 image(s) to {ANNOTATOR} (only 1 were eligible)."
    )
    page.get_by_role("button", name="Log out").click()

    conftest.login(page, ANNOTATOR, PASSWORD)
    page.goto(f"/projects/{pid}")
    page.get_by_role("link", name="Second labels (1 to do)").click()
    expect(page.get_by_role("img", name="extra_81.png to label")).to_be_visible()
    expect(page.locator(".review-crop circle")).to_have_count(0)  # blind: no first labels
    _click(page, 104, 103)  # eye_left, 5 px off
    _click(page, 300, 100)  # eye_right
    _click(page, 200, 200)  # beak; tail stays unlabeled
    expect(page.locator(".review-crop circle")).to_have_count(3)
    page.screenshot(path=artifacts / "62_second_label.png")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Saved extra_81.png.")
    page.get_by_role("button", name="Log out").click()

    report = api.get(f"/projects/{pid}/agreement")
    by_name = {k["name"]: k for k in report["keypoints"]}
    assert by_name["eye_left"]["pairs"] == 1 and by_name["eye_left"]["mean_px"] == pytest.approx(
        5, abs=1.5
    )
    assert by_name["tail"]["pairs"] == 0
    conftest.login(page, conftest.ADMIN_EMAIL, conftest.ADMIN_PASSWORD)
    page.goto(f"/projects/{pid}/admin#agreement")
    table = page.get_by_role("table", name="Disagreement per annotator pair")
    expect(table).to_contain_text(ANNOTATOR)
    expect(table).to_contain_text(conftest.ADMIN_EMAIL)
    expect(page.get_by_role("table", name="Disagreement per keypoint")).to_contain_text("eye_left")
    page.screenshot(path=artifacts / "63_agreement_admin.png", full_page=True)
