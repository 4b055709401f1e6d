"""The project's image grid: a zip archive uploaded from it adds its images, and the grid and
its counts show them beside those already there; the search box finds images by file name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .annotating import login
from .conftest import Api, H, W, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each


def test_zip_upload_from_the_grid(
    page: Page, api: Api, project: dict[str, Any], images: list[dict[str, Any]], artifacts: Path
) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("colony/a.png", png_bytes(W, H, 40))
        zf.writestr("colony/b.png", png_bytes(W, H, 41))
    login(page)
    page.get_by_role("link", name=project["name"], exact=True).click()
    page.get_by_label("Upload images").set_input_files(
        {"name": "colony.zip", "mimeType": "application/zip", "buffer": archive.getvalue()}
    )
    expect(page.get_by_text("Uploaded 2 image(s).")).to_be_visible()
    counts = api.get(f"/projects/{project['id']}")["counts"]
    grid = page.get_by_role("list", name="Images")
    expect(grid.get_by_role("listitem")).to_have_count(counts["total"])
    expect(
        grid.get_by_text("colony/a.png").or_(grid.get_by_text("a.png", exact=True))
    ).to_be_visible()
    expect(page.get_by_role("list", name="Image counts")).to_contain_text(f"done: {counts['done']}")
    page.screenshot(path=artifacts / "10_grid_after_zip.png", full_page=True)


def test_search_finds_images_by_file_name(
    page: Page, api: Api, project: dict[str, Any], images: list[dict[str, Any]]
) -> None:
    login(page)
    page.get_by_role("link", name=project["name"], exact=True).click()
    grid = page.get_by_role("list", name="Images")
    search = page.get_by_label("Search file names")

    search.fill("gull_2")
    expect(grid.get_by_role("listitem")).to_have_count(1)
    expect(grid.get_by_text("gull_2.png", exact=True)).to_be_visible()
    search.fill("GULL")  # any case
    expect(grid.get_by_role("listitem")).to_have_count(len(images))
    page.get_by_label("State").select_option("done")  # with the other filters
    expect(grid.get_by_role("listitem")).to_have_count(0)
    page.get_by_label("State").select_option("")
    search.fill("zebra")
    expect(page.get_by_text("0 image(s) match the filters")).to_be_visible()
    expect(grid.get_by_role("listitem")).to_have_count(0)

    search.fill("")
    total = api.get(f"/projects/{project['id']}")["counts"]["total"]
    expect(grid.get_by_role("listitem")).to_have_count(total)
