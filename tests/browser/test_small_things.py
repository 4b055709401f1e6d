"""Small things that add up over 500 images: an admin deletes a project after being told what
goes with it, a lost network reads as plain words without breaking the toolbar, and opening
images before any model exists asks for no prediction that ends in a 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from .annotating import click_image, expect_saved, login, open_image, upload
from .conftest import Api

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each


def test_admin_deletes_a_project_after_confirming_its_size(page: Page, api: Api) -> None:
    schema = {"keypoints": [{"name": "head"}], "skeleton": [], "flip_pairs": []}
    project = api.post("/projects", {"name": "Doomed gulls", "keypoint_schema": schema})
    pid = project["id"]
    first = upload(api, pid, 80)
    upload(api, pid, 81)
    point = {"name": "head", "x": 10, "y": 10, "visibility": "visible"}
    api.put(f"/images/{first}/annotation", {"version": 0, "keypoints": [point], "done": True})
    login(page)
    page.goto(f"/projects/{pid}/admin#project")
    page.get_by_role("button", name="Delete project…").click()
    form = page.get_by_role("form", name="Delete project")
    expect(form.get_by_role("alert")).to_contain_text(
        "Delete Doomed gulls with its 2 images and the annotations of 1 of them?"
    )
    delete = form.get_by_role("button", name="Delete 2 images for good")
    expect(delete).to_be_disabled()
    form.get_by_label("Type the project name to confirm").fill("Doomed gulls")
    delete.click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(page.get_by_role("link", name="Doomed gulls")).to_have_count(0)
    assert api.http.get(f"/projects/{pid}").status_code == 404


def test_a_lost_network_is_said_plainly_and_the_toolbar_keeps_its_layout(
    browser: Browser,
    app_url: str,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    context = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.extend([r.url] if r.status == 404 else []))
    login(page)
    open_image(page, project["id"], images[0]["id"])
    bar = page.locator(".annotator-bar")
    height = bar.bounding_box()["height"]  # type: ignore[index]

    def offline(route: Route) -> None:
        if route.request.method == "PUT":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/annotation", offline)
    click_image(page, 100, 100)
    status = page.locator(".save-status")
    expect(status).to_have_text("Could not save — retrying; your changes are kept", timeout=10_000)
    assert bar.bounding_box()["height"] == height  # type: ignore[index]
    page.screenshot(path=artifacts / "26_offline_1280x800.png")
    page.unroute("**/annotation")
    expect_saved(page)
    assert missing == [], f"requests answered 404: {missing}"
    context.close()
