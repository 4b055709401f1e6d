"""What the annotator tests do in the browser: sign in, open an image, click and drag on it in
image pixels, read the keypoint panel and the save status. No tests here; the `project` and
`images` fixtures these work on are in conftest.py."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from . import conftest
from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, H, W, png_bytes


def login(page: Page) -> None:
    """Log in as the admin; the project list opens."""
    conftest.login(page, ADMIN_EMAIL, ADMIN_PASSWORD)


def open_image(page: Page, project_id: int, image_id: int) -> None:
    page.goto(f"/projects/{project_id}/images/{image_id}")
    image = page.locator(".viewport-image")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('.viewport-image')?.naturalWidth > 0")


def to_screen(page: Page, x: float, y: float) -> tuple[float, float]:
    """Image pixel -> page coordinates, from where the transformed <img> actually is."""
    box = page.locator(".viewport-image").bounding_box()
    assert box is not None
    return box["x"] + x * box["width"] / W, box["y"] + y * box["height"] / H


def click_image(page: Page, x: float, y: float, **kwargs: Any) -> None:
    sx, sy = to_screen(page, x, y)
    page.mouse.click(sx, sy, **kwargs)


def drag_image(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*to_screen(page, *start))
    page.mouse.down()
    page.mouse.move(*to_screen(page, *end), steps=8)
    page.mouse.up()


def keypoint(page: Page, name: str) -> Any:
    return page.get_by_role("listbox", name="Keypoints").locator(f'[data-name="{name}"]')


def expect_saved(page: Page) -> None:
    expect(page.locator(".save-status")).to_have_attribute("data-status", "saved", timeout=10_000)


def xy(point: dict[str, Any]) -> tuple[float, float]:
    return point["x"], point["y"]


def upload(api: Api, project_id: int, seed: int) -> int:
    """Upload one generated W x H image through the API; returns its id."""
    r = api.http.post(
        f"/projects/{project_id}/images",
        files=[("files", (f"extra_{seed}.png", png_bytes(W, H, seed), "image/png"))],
    )
    r.raise_for_status()
    image_id: int = r.json()["created"][0]["id"]
    return image_id
