"""Labeling effort, measured in the product: the annotator reports what each save took, and
the admin page's "Labeling effort" panel shows it per model version beside the PCK curve."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support import insert_prediction

from .annotating import click_image, drag_image, expect_saved, keypoint, login, open_image, upload
from .conftest import ADMIN_EMAIL, SCHEMA, Api, AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each


def test_effort_panel_shows_what_labeling_took_per_model_version(
    page: Page, app_server: AppServer, api: Api, artifacts: Path
) -> None:
    project = api.post(
        "/projects", {"name": "Effort", "description": "browser test", "keypoint_schema": SCHEMA}
    )
    pid = project["id"]
    by_hand, from_model, by_script = (upload(api, pid, seed) for seed in (70, 71, 72))
    login(page)

    # Before any model: two keypoints placed by hand, two clicks.
    open_image(page, pid, by_hand)
    click_image(page, 120, 80)
    click_image(page, 280, 80)
    expect(keypoint(page, "eye_right")).to_have_attribute("data-state", "visible")
    expect_saved(page)

    # A model predicts the next image: one prediction accepted alone, one dragged to a better
    # place, the rest above 0.5 accepted with Shift+A (beak; the tail at 0.2 stays out).
    version_id = insert_prediction(
        app_server.database_url,
        from_model,
        [[120.0, 80.0], [280.0, 80.0], [200.0, 160.0], [200.0, 280.0]],
        [0.92, 0.81, 0.64, 0.2],
    )
    open_image(page, pid, from_model)
    page.keyboard.press("a")
    drag_image(page, (280, 80), (270, 90))
    page.keyboard.press("Shift+A")
    expect(keypoint(page, "beak")).to_have_attribute("data-state", "visible, accepted")
    expect_saved(page)
    # A script's save reports no effort: counted apart, never mixed into the figures.
    names = ("eye_left", "eye_right", "beak", "tail")  # SCHEMA's
    points = [{"name": n, "x": 5, "y": 5, "visibility": "visible"} for n in names]
    api.put(f"/images/{by_script}/annotation", {"version": 0, "keypoints": points, "done": True})

    page.goto(f"/projects/{pid}/admin#versions")
    panel = page.get_by_test_id("effort-panel")
    table = panel.get_by_role("table", name="Labeling effort")
    before = table.locator('[data-effort-row="no model"]')
    with_v1 = table.locator('[data-effort-row="v1"]')
    expect(before.locator('[data-cell="placed"]')).to_have_text("2")
    expect(before.locator('[data-cell="clicks"]')).to_have_text("2")
    expect(before.locator('[data-cell="accepted"]')).to_have_text("—")
    expect(with_v1.locator('[data-cell="accepted"]')).to_have_text("67% (2/3)")
    expect(with_v1.locator('[data-cell="moved"]')).to_have_text("1")
    expect(with_v1.locator('[data-cell="placed"]')).to_have_text("0")
    expect(with_v1.locator('[data-cell="clicks"]')).to_have_text("3")
    expect(panel.get_by_test_id("effort-chart")).to_have_attribute("data-points", "6")
    expect(panel.get_by_test_id("unmeasured-saves")).to_contain_text("1 save from API clients")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "effort_panel.png", full_page=False)

    # Filtered to the one annotator, the same saves; per day, both images on one row.
    panel.get_by_label("Annotator", exact=True).select_option(label=ADMIN_EMAIL)
    expect(with_v1.locator('[data-cell="clicks"]')).to_have_text("3")
    panel.get_by_label("Group by", exact=True).select_option("day")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr td").nth(1)).to_have_text("2")  # images
    panel.get_by_label("Group by", exact=True).select_option("annotator")
    mine = table.locator(f'[data-effort-row="{ADMIN_EMAIL}"]')
    expect(mine.locator('[data-cell="clicks"]')).to_have_text("2.5")  # (2 + 3) / 2 images

    report = api.get(f"/projects/{pid}/effort")
    v1 = next(r for r in report["rows"] if r["model_version_id"] == version_id)
    # The page was in front and used throughout: the time is counted, and it is short.
    assert 0 < v1["active_seconds"] < 120
