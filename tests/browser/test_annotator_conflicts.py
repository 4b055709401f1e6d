"""When a save cannot simply go through: another browser saved the image first (a conflict
dialog compares both versions; "Keep mine" and "Take theirs" each settle it), or the session
expired (edits are kept, shortcuts wait, and signing in again, as anyone, saves them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .annotating import (
    click_image,
    drag_image,
    expect_saved,
    keypoint,
    login,
    open_image,
    upload,
    xy,
)
from .conftest import ADMIN_EMAIL, Api

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each


def test_concurrent_save_shows_conflict_and_both_choices_work(
    browser: Any,
    app_url: str,
    api: Api,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    image_id = images[1]["id"]
    contexts = [
        browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 800})
        for _ in range(2)
    ]
    mine, theirs = (c.new_page() for c in contexts)
    try:
        for page in (mine, theirs):
            login(page)
            open_image(page, project["id"], image_id)

        click_image(theirs, 50, 50)
        expect_saved(theirs)
        click_image(mine, 60, 60)
        dialog = mine.get_by_role("dialog", name="This image was changed by someone else")
        expect(dialog).to_be_visible(timeout=10_000)
        expect(dialog).to_contain_text("(60.0, 60.0)")
        expect(dialog).to_contain_text("(50.0, 50.0)")
        expect(mine.get_by_role("status")).to_have_text("Conflict")
        mine.screenshot(path=artifacts / "06_conflict.png")

        dialog.get_by_role("button", name="Keep mine").click()
        expect(dialog).to_be_hidden()
        expect_saved(mine)
        saved = api.get(f"/images/{image_id}/annotation")
        assert saved["version"] == 2
        assert xy(saved["keypoints"][0]) == pytest.approx((60, 60), abs=1.5)

        # Now the other browser is stale; it takes the server's copy.
        keypoint(theirs, "beak").click()
        click_image(theirs, 200, 200)
        dialog = theirs.get_by_role("dialog", name="This image was changed by someone else")
        expect(dialog).to_be_visible(timeout=10_000)
        dialog.get_by_role("button", name="Take theirs").click()
        expect(dialog).to_be_hidden()
        expect(keypoint(theirs, "beak")).to_have_attribute("data-state", "unlabeled")
        expect(theirs.get_by_role("status")).to_have_text("Saved")
        saved = api.get(f"/images/{image_id}/annotation")
        assert saved["version"] == 2
        assert saved["keypoints"][2]["visibility"] == "unlabeled"
    finally:
        for c in contexts:
            c.close()


def test_expired_session_keeps_edits_until_signed_in_again(
    browser: Any, app_url: str, api: Api, project: dict[str, Any], artifacts: Path
) -> None:
    """To the browser, an expired session is a cookie it no longer sends (the cookie's max-age);
    clearing the cookies does the same at once. Signing in as someone else is allowed: the
    pending save is theirs."""
    image_id = upload(api, project["id"], 60)
    other = {"email": "relogin@example.com", "password": "another-pass", "role": "annotator"}
    api.post("/users", other)
    context = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        login(page)
        open_image(page, project["id"], image_id)
        click_image(page, 100, 100)
        expect_saved(page)

        context.clear_cookies()
        click_image(page, 300, 100)  # places eye_right
        drag_image(page, (100, 100), (120, 110))  # moves eye_left
        dialog = page.get_by_role("dialog", name="Your session has expired")
        expect(dialog).to_be_visible(timeout=10_000)
        expect(page.get_by_role("status")).to_have_text("Signed out: changes kept")
        expect(dialog.get_by_label("Email")).to_have_value(ADMIN_EMAIL)
        expect(dialog.get_by_label("Password")).to_be_focused()
        page.screenshot(path=artifacts / "12_session_expired.png")
        # The dialog is modal: with focus out of its fields, shortcuts do nothing either.
        dialog.get_by_role("heading").click()
        page.keyboard.press("Control+z")
        page.keyboard.press("Control+z")
        expect(page.get_by_label("Labeled keypoints")).to_have_text("2/4 labeled")

        dialog.get_by_label("Email").fill(other["email"])
        dialog.get_by_label("Password").fill("wrong-pass")
        dialog.get_by_role("button", name="Sign in").click()
        expect(dialog.get_by_role("alert")).to_have_text("wrong email or password")
        dialog.get_by_label("Password").fill(other["password"])
        dialog.get_by_role("button", name="Sign in").click()
        expect(dialog).to_be_hidden()
        expect_saved(page)

        saved = api.get(f"/images/{image_id}/annotation")
        assert saved["version"] == 2
        assert saved["updated_by"] == other["email"]
        assert xy(saved["keypoints"][0]) == pytest.approx((120, 110), abs=1.5)
        assert xy(saved["keypoints"][1]) == pytest.approx((300, 100), abs=1.5)
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
