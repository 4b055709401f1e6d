"""Editing an image's keypoints in the annotator: placing them in order, dragging, occluding,
undo and redo, nudging and marking done, all saved and there after a reload; zooming and
panning (wheel, pinch, fit) keep every point on its image pixel, even on a 24-Mpx image; the
help overlay lists the shortcuts and "Next image" walks forward to the next image not done."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .annotating import (
    click_image,
    drag_image,
    expect_saved,
    keypoint,
    login,
    open_image,
    to_screen,
    upload,
    xy,
)
from .conftest import Api, H, W

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

# Thirty wheel zooms and a thirty-step pan, one animation frame each; returns ms per frame.
ZOOM_AND_PAN_JS = """async () => {
    const vp = document.querySelector('.viewport');
    const img = document.querySelector('.viewport-image');
    const r = vp.getBoundingClientRect();
    const frame = () => new Promise(requestAnimationFrame);
    const t0 = performance.now();
    for (let i = 0; i < 30; i++) {
        vp.dispatchEvent(new WheelEvent('wheel', {deltaY: i < 15 ? -60 : 60,
            clientX: r.left + 300, clientY: r.top + 200, bubbles: true, cancelable: true}));
        await frame();
    }
    const at = (x, y) => ({pointerId: 1, clientX: r.left + x, clientY: r.top + y,
        bubbles: true, button: 0, buttons: 1});
    vp.dispatchEvent(new PointerEvent('pointerdown', at(500, 400)));
    for (let i = 0; i < 30; i++) {
        vp.dispatchEvent(new PointerEvent('pointermove', at(500 - i * 5, 400 - i * 3)));
        await frame();
    }
    vp.dispatchEvent(new PointerEvent('pointerup', at(350, 310)));
    if (document.querySelector('.viewport-image') !== img) throw new Error('img replaced');
    return (performance.now() - t0) / 60;
}"""

PINCH_JS = """() => {
    const vp = document.querySelector('.viewport');
    const r = vp.getBoundingClientRect();
    const ev = (type, id, x) => vp.dispatchEvent(new PointerEvent(type, {pointerId: id,
        pointerType: 'touch', clientX: r.left + x, clientY: r.top + 300, bubbles: true}));
    ev('pointerdown', 11, 400);
    ev('pointerdown', 12, 500);
    ev('pointermove', 12, 550);
    ev('pointermove', 12, 600);
    ev('pointerup', 12, 600);
    ev('pointerup', 11, 400);
}"""


def selected_keypoint(page: Page) -> Any:
    return page.get_by_role("option", selected=True)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll the API until `check` holds (autosave is debounced, so writes land a little later)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def test_place_drag_occlude_undo_and_reload_persists(
    page: Page, api: Api, project: dict[str, Any], images: list[dict[str, Any]], artifacts: Path
) -> None:
    image_id = images[0]["id"]
    login(page)
    open_image(page, project["id"], image_id)
    expect(selected_keypoint(page)).to_have_attribute("data-name", "eye_left")

    # Sequential placing: each click places the selected keypoint and advances.
    click_image(page, 100, 100)
    expect(selected_keypoint(page)).to_have_attribute("data-name", "eye_right")
    click_image(page, 300, 100)
    click_image(page, 200, 150)
    expect(selected_keypoint(page)).to_have_attribute("data-name", "tail")
    expect(page.get_by_label("Labeled keypoints")).to_have_text("3/4 labeled")

    drag_image(page, (200, 150), (210, 170))
    page.keyboard.press("2")  # digits select keypoints
    expect(selected_keypoint(page)).to_have_attribute("data-name", "eye_right")
    page.keyboard.press("o")
    expect(keypoint(page, "eye_right")).to_have_attribute("data-state", "occluded")

    # A mistaken tail, undone; redo brings it back; undo again.
    keypoint(page, "tail").click()
    click_image(page, 390, 290)
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "visible")
    page.keyboard.press("Control+z")
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "unlabeled")
    page.keyboard.press("Control+Shift+z")
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "visible")
    page.keyboard.press("Control+z")
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "unlabeled")
    expect_saved(page)
    page.screenshot(path=artifacts / "02_annotated.png")

    page.reload()
    page.wait_for_function("() => document.querySelector('.viewport-image')?.naturalWidth > 0")
    expect(keypoint(page, "eye_left")).to_have_attribute("data-state", "visible")
    expect(keypoint(page, "eye_right")).to_have_attribute("data-state", "occluded")
    expect(keypoint(page, "beak")).to_have_attribute("data-state", "visible")
    expect(keypoint(page, "tail")).to_have_attribute("data-state", "unlabeled")
    expect(page.locator('.overlay [data-kind="point"]')).to_have_count(3)

    saved = api.get(f"/images/{image_id}/annotation")
    points = {p["name"]: p for p in saved["keypoints"]}
    assert xy(points["eye_left"]) == pytest.approx((100, 100), abs=1.5)
    assert xy(points["eye_right"]) == pytest.approx((300, 100), abs=1.5)
    assert xy(points["beak"]) == pytest.approx((210, 170), abs=1.5)
    assert points["eye_right"]["visibility"] == "occluded"
    assert points["tail"]["visibility"] == "unlabeled"
    assert all(p["source"] == "human" for p in points.values())
    assert saved["done"] is False

    # Arrow keys nudge the selected point; D marks the image done.
    keypoint(page, "eye_left").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("d")
    expect(page.get_by_role("button", name="✓ Done")).to_be_visible()
    eventually(lambda: api.get(f"/images/{image_id}/annotation")["done"] is True)
    expect_saved(page)
    saved = api.get(f"/images/{image_id}/annotation")
    assert xy(saved["keypoints"][0]) == pytest.approx((101, 110), abs=1.5)
    assert api.get(f"/images/{image_id}")["state"] == "done"


def test_zoom_and_pan_keep_points_on_the_image(
    page: Page, project: dict[str, Any], images: list[dict[str, Any]], artifacts: Path
) -> None:
    login(page)
    open_image(page, project["id"], images[2]["id"])
    click_image(page, 101, 110)
    placed = page.locator('.overlay [data-kind="point"]').first
    marker = placed.locator("circle:not(.hit)").first
    before_scale = float(page.locator(".viewport").get_attribute("data-scale") or 0)
    sx, sy = to_screen(page, 150, 150)
    page.mouse.move(sx, sy)
    page.mouse.wheel(0, -400)
    page.wait_for_function(
        f"() => Number(document.querySelector('.viewport').dataset.scale) > {before_scale * 1.5}"
    )
    # The marker still sits on its image pixel after zooming about the cursor.
    box = marker.bounding_box()
    assert box is not None
    ex, ey = to_screen(page, 101, 110)
    assert box["x"] + box["width"] / 2 == pytest.approx(ex, abs=2)
    assert box["y"] + box["height"] / 2 == pytest.approx(ey, abs=2)
    page.screenshot(path=artifacts / "03_zoomed.png")
    # A two-finger pinch spreading 100 -> 200 px doubles the scale and places nothing.
    scale = float(page.locator(".viewport").get_attribute("data-scale") or 0)
    page.evaluate(PINCH_JS)
    page.wait_for_function(
        f"() => Math.abs(Number(document.querySelector('.viewport').dataset.scale) - {2 * scale})"
        f" < {0.01 * scale}"
    )
    expect(page.locator('.overlay [data-kind="point"]')).to_have_count(1)
    page.keyboard.press("Control+z")  # leave the image as it was
    expect(page.locator('.overlay [data-kind="point"]')).to_have_count(0)
    page.keyboard.press("f")
    page.wait_for_function(
        "() => Math.abs(Number(document.querySelector('.viewport').dataset.scale)"
        f" - {before_scale}) < 1e-3"
    )


def test_help_overlay_and_next_image(
    page: Page, api: Api, project: dict[str, Any], images: list[dict[str, Any]], artifacts: Path
) -> None:
    login(page)
    open_image(page, project["id"], images[2]["id"])
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Accept all predictions above the confidence threshold")
    page.screenshot(path=artifacts / "07_help.png")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # With the sequential strategy "Next" walks forward whatever the queue's ranking (were the
    # project to have an active model).
    r = api.http.patch(
        f"/projects/{project['id']}", json={"settings": {"queue_strategy": "sequential"}}
    )
    r.raise_for_status()
    page.get_by_role("button", name="Next image").click()
    # the next not-done image after images[2] is images[3] (done or not, images[0] comes before)
    # Generous: "Next" saves, asks the queue, then pages the image list; CI runs this beside
    # CPU-bound training tests on two cores.
    expect(page).to_have_url(f"{page.url.rsplit('/', 1)[0]}/{images[3]['id']}", timeout=30_000)
    page.get_by_role("button", name="Back to images").click()
    expect(page.get_by_role("list", name="Images")).to_be_visible()
    page.get_by_label("State").select_option("done")
    done = api.get(f"/projects/{project['id']}/images?state=done")["total"]
    expect(page.get_by_role("list", name="Images").get_by_role("listitem")).to_have_count(done)
    page.screenshot(path=artifacts / "08_grid_filtered.png")


def test_large_image_stays_responsive(
    browser: Any,
    app_url: str,
    api: Api,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    """A 6000x4000 image: zoom and pan move one CSS transform; the <img> is never replaced."""
    from PIL import Image

    big = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=70)
    r = api.http.post(
        f"/projects/{project['id']}/images",
        files=[("files", ("big.jpg", buf.getvalue(), "image/jpeg"))],
    )
    r.raise_for_status()
    image_id = r.json()["created"][0]["id"]

    for placed, (width, height) in enumerate([(1280, 720), (2560, 1440)], start=1):
        context = browser.new_context(base_url=app_url, viewport={"width": width, "height": height})
        page = context.new_page()
        login(page)
        open_image(page, project["id"], image_id)
        page.locator(".viewport").click(position={"x": 300, "y": 200})  # place the next keypoint
        expect(page.locator('.overlay [data-kind="point"]')).to_have_count(placed)
        ms_per_frame = page.evaluate(ZOOM_AND_PAN_JS)
        print(f"{width}x{height}: {ms_per_frame:.1f} ms per zoom/pan frame")
        # Not a speed target (measured: under 50 ms on an idle machine); a bound that only a
        # per-frame redraw or re-decode of the 24-Mpx image would break, even on a loaded CI.
        assert ms_per_frame < 400, f"{ms_per_frame:.1f} ms per zoom/pan frame at {width}x{height}"
        page.screenshot(path=artifacts / f"09_large_{width}x{height}.png")
        context.close()


def test_brightness_and_contrast_change_the_display_only_and_are_remembered(
    page: Page, api: Api, project: dict[str, Any], artifacts: Path
) -> None:
    image_id = upload(api, project["id"], seed=41)
    stored = api.http.get(f"/images/{image_id}/file").content
    login(page)
    open_image(page, project["id"], image_id)
    shown = page.locator(".viewport-image")
    expect(shown).to_have_css("filter", "none")

    page.get_by_role("button", name="Image", exact=True).click()
    panel = page.get_by_role("group", name="Image adjustments")
    panel.get_by_label("Brightness").fill("200")
    panel.get_by_label("Contrast").fill("150")
    expect(shown).to_have_css("filter", "brightness(2) contrast(1.5)")
    expect(panel.locator("output").first).to_have_text("200%")
    # Keys on a slider move the slider: the arrow nudges brightness, not a keypoint.
    panel.get_by_label("Brightness").press("ArrowRight")
    expect(shown).to_have_css("filter", "brightness(2.05) contrast(1.5)")
    page.screenshot(path=artifacts / "13_image_adjust.png")
    page.get_by_role("heading", name="Keypoints").click()  # a press elsewhere closes the menu
    expect(panel).to_be_hidden()

    # Remembered for this project in this browser, and nothing was saved or changed on the server.
    page.reload()
    page.wait_for_function("() => document.querySelector('.viewport-image')?.naturalWidth > 0")
    expect(shown).to_have_css("filter", "brightness(2.05) contrast(1.5)")
    expect(page.get_by_role("button", name="Image", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert api.get(f"/images/{image_id}/annotation")["version"] == 0
    assert api.http.get(f"/images/{image_id}/file").content == stored

    page.get_by_role("button", name="Image", exact=True).click()
    page.get_by_role("group", name="Image adjustments").get_by_role("button", name="Reset").click()
    expect(shown).to_have_css("filter", "none")
    page.reload()
    page.wait_for_function("() => document.querySelector('.viewport-image')?.naturalWidth > 0")
    expect(shown).to_have_css("filter", "none")


def test_l_names_every_keypoint_on_the_image(page: Page, api: Api, project: dict[str, Any]) -> None:
    image_id = upload(api, project["id"], seed=42)
    login(page)
    open_image(page, project["id"], image_id)
    click_image(page, 100, 100)  # eye_left; eye_right is selected next
    click_image(page, 200, 120)
    expect_saved(page)
    labels = page.locator(".overlay .marker-label")
    expect(labels).to_have_count(0)  # the selected keypoint (beak) is not on the image yet

    page.keyboard.press("l")
    expect(labels).to_have_count(2)
    expect(labels.nth(0)).to_have_attribute("data-name", "eye_left")
    expect(labels.nth(1)).to_have_attribute("data-name", "eye_right")
    click_image(page, 150, 200)  # beak, now selected-and-placed, is named too
    expect(labels).to_have_count(3)

    page.keyboard.press("l")
    expect(labels).to_have_count(0)


def test_a_sixteen_bit_tiff_from_a_thermal_camera_is_shown_and_annotated(
    page: Page, api: Api, project: dict[str, Any], artifacts: Path
) -> None:
    import numpy as np
    from PIL import Image

    ramp = np.tile(np.linspace(0, 65535, W).astype(np.uint16), (H, 1))
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, "TIFF")
    r = api.http.post(
        f"/projects/{project['id']}/images",
        files=[("files", ("thermal.tif", buf.getvalue(), "image/tiff"))],
    )
    r.raise_for_status()
    image_id = r.json()["created"][0]["id"]

    login(page)
    open_image(page, project["id"], image_id)  # waits until the browser decoded it
    expect(page.locator(".viewport-error")).to_have_count(0)
    click_image(page, 100, 150)
    expect_saved(page)
    saved = api.get(f"/images/{image_id}/annotation")["keypoints"][0]
    assert abs(saved["x"] - 100) < 1.5 and abs(saved["y"] - 150) < 1.5
    page.screenshot(path=artifacts / "14_thermal_tiff.png")
