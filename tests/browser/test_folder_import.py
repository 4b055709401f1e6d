"""Picking a folder, not a zip, in a real browser: an admin creates a project from the real
DeepLabCut reaching-mouse folder through "Choose folder" (two labeled frames' images removed,
one unlabeled frame and two stray files added); the browser leaves the stray files out and
lists them, the folder layout reaches the server, and the import report with its notes stays
on screen. The project's image upload leaves an `index.json` among images out and uploads the
images. Screenshots at 1280x800 and 1920x1080."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Locator, Page, expect

from tests.backend.formats.helpers import SHARED_FORMATS

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, login, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

JOB_TIMEOUT_MS = 120_000
SIZES = [(1280, 800), (1920, 1080)]
MOUSE = SHARED_FORMATS / "dlc_reaching_mouse"
REMOVED = ["img005.png", "img020.png"]  # labeled frames whose image the upload lacks
KEYPOINTS = ["Hand", "Finger1", "Tongue", "Joystick1", "Joystick2"]


def shots(page: Page, artifacts: Path, name: str, part: Locator | None = None) -> None:
    """The page from the top (the admin page's sticky bar where it belongs), or one part, at
    each size."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        path = str(artifacts / f"{name}_{width}x{height}.png")
        if part is not None:
            part.screenshot(path=path)
            continue
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=path, full_page=True)


def mouse_folder(root: Path) -> Path:
    """The reaching-mouse project as a lab has it on disk, with a few faults."""
    if not MOUSE.is_dir():
        pytest.skip(f"{MOUSE} is not here (shared data, never in the repository)")
    folder = root / "reaching-mouse"
    shutil.copytree(MOUSE, folder)
    frames = folder / "labeled-data" / "reachingvideo1"
    for name in REMOVED:
        (frames / name).unlink()
    (frames / "img999.png").write_bytes(png_bytes(64, 48, seed=999))
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 lab notes")
    (folder / "index.json").write_text("{}")
    return folder


def test_a_deeplabcut_folder_becomes_a_project_and_the_report_stays_on_screen(
    page: Page, api: Api, artifacts: Path, tmp_path: Path
) -> None:
    folder = mouse_folder(tmp_path)
    name = f"Reaching mouse {uuid.uuid4().hex[:6]}"
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("button", name="New project from file").click()
    form = page.get_by_role("form", name="New project from file")
    form.get_by_label("Format").select_option("dlc")
    form.get_by_label("Project name").fill(name)
    form.get_by_label("Folder").set_input_files(folder)

    selected = form.get_by_role("status", name="Selected files")
    # 55 frames, 2 removed, 1 added; the .docx and the .json are nothing DeepLabCut reads.
    expect(selected).to_contain_text(
        re.compile(
            r"To upload: 57 files, \d+ MB: config\.yaml \+ 1 CollectedData CSV \+ 1 HDF5 table "
            r"\+ 54 images"
        )
    )
    left_out = selected.locator(".left-out")
    expect(left_out).to_contain_text("Left out 2 files:")
    expect(left_out).to_contain_text("reaching-mouse/index.json")
    expect(left_out).to_contain_text("reaching-mouse/notes.docx")
    shots(page, artifacts, "60_folder_selected")

    form.get_by_role("button", name="Create from file").click()
    report = form.get_by_role("status", name="Import result")
    expect(report).to_contain_text(
        "Imported: 54 images created, 53 annotations saved, 0 duplicates",
        timeout=JOB_TIMEOUT_MS,
    )
    notes = report.get_by_role("list", name="Import notes")
    expect(notes).to_contain_text("labeled frames without their image, skipped")
    for frame in [*REMOVED, "img999.png"]:
        expect(notes).to_contain_text(frame)
    expect(notes).to_contain_text("images without a labeled row, imported unlabeled")
    shots(page, artifacts, "61_folder_import_report")

    form.get_by_role("button", name="Open the project").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    project: dict[str, Any] = api.get(f"/projects/{project_id}")
    assert [k["name"] for k in project["keypoint_schema"]["keypoints"]] == KEYPOINTS
    assert (project["counts"]["total"], project["counts"]["done"]) == (54, 53)
    listed = api.get(f"/projects/{project_id}/images?name=reachingvideo1&limit=100")
    names = {i["original_name"] for i in listed["items"]}
    assert "reachingvideo1/img023.png" in names, "the folder's layout reached the server"


def import_folder(api: Api, url: str, folder: Path) -> int:
    """Arrange through the API: post the folder's files under their relative paths, wait for
    the job, and answer the project's id."""
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    files = [("files", (p.relative_to(folder.parent).as_posix(), p.read_bytes())) for p in paths]
    r = api.http.post(url, files=files)
    r.raise_for_status()
    deadline = time.monotonic() + JOB_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{r.json()['id']}")
        if job["state"] not in ("queued", "running"):
            assert job["state"] == "succeeded", job["error"]
            return int(job["project_id"])
        time.sleep(0.5)
    raise AssertionError("the import job did not end in time")


def test_a_folder_imported_again_into_its_project_reports_each_duplicate_and_its_label(
    page: Page, api: Api, artifacts: Path, tmp_path: Path
) -> None:
    if not MOUSE.is_dir():
        pytest.skip(f"{MOUSE} is not here (shared data, never in the repository)")
    frames = MOUSE / "labeled-data" / "reachingvideo1"
    first, again = tmp_path / "first" / "reachingvideo1", tmp_path / "again" / "reachingvideo1"
    for folder in (first, again):
        folder.mkdir(parents=True)
        shutil.copy(frames / "CollectedData_Mackenzie.csv", folder)
    for name in ["img023.png", "img028.png", "img031.png"]:
        shutil.copy(frames / name, first)
    for name in ["img023.png", "img028.png"]:
        shutil.copy(frames / name, again)
    project_id = import_folder(
        api, f"/projects/import/dlc?name=Mouse {uuid.uuid4().hex[:6]}", first
    )

    login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/projects/{project_id}/admin#transfer")
    importer = page.get_by_role("form", name="Import")
    importer.get_by_label("Format").select_option("dlc")
    importer.get_by_label("Folder", exact=True).set_input_files(again)
    expect(page.get_by_role("status", name="Selected files")).to_contain_text("To upload: 3 files")
    importer.get_by_role("button", name="Import").click()
    report = page.get_by_role("status", name="Import result")
    expect(report).to_contain_text(
        "Imported: 0 images created, 0 annotations saved, 2 duplicates", timeout=JOB_TIMEOUT_MS
    )
    duplicates = report.get_by_role("list", name="Duplicates")
    expect(duplicates.get_by_role("listitem")).to_have_count(2)
    expect(duplicates).to_contain_text(
        re.compile(
            r"reachingvideo1/img023\.png was a duplicate of image \d+; its label was not applied "
            r"\(that image is annotated already\)"
        )
    )
    expect(report.get_by_role("list", name="Import notes")).to_contain_text(
        "labeled frames without their image, skipped: 53"
    )
    shots(page, artifacts, "63_folder_import_duplicates", page.locator("#transfer"))


def image_payload(name: str, seed: int) -> FilePayload:
    return {"name": name, "mimeType": "image/png", "buffer": png_bytes(80, 60, seed)}


def test_an_image_upload_leaves_out_a_stray_file_and_uploads_the_images(
    page: Page, api: Api, artifacts: Path
) -> None:
    schema = {"keypoints": [{"name": "head"}, {"name": "tail"}], "skeleton": []}
    created = api.post(
        "/projects", {"name": f"Strays {uuid.uuid4().hex[:6]}", "keypoint_schema": schema}
    )
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/projects/{created['id']}")
    files: list[FilePayload] = [image_payload(f"frame_{i}.png", 300 + i) for i in range(3)]
    files.insert(1, {"name": "index.json", "mimeType": "application/json", "buffer": b"{}"})
    page.get_by_label("Upload images").set_input_files(files)

    message = page.get_by_role("status").filter(has_text="Uploaded")
    expect(message).to_contain_text("Uploaded 3 image(s).")
    expect(message).to_contain_text("Left out 1 file: index.json (not images or zips).")
    expect(page.get_by_role("list", name="Images").get_by_role("listitem")).to_have_count(3)
    shots(page, artifacts, "62_upload_left_out")
    assert api.get(f"/projects/{created['id']}")["counts"]["total"] == 3


def test_files_dropped_on_the_import_dialog_are_picked_and_strays_listed(page: Page) -> None:
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("button", name="New project from file").click()
    form = page.get_by_role("form", name="New project from file")
    form.get_by_label("Format").select_option("coco")
    # A drop as the browser hands it over: a DataTransfer whose items are the files.
    dropped = page.evaluate_handle(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(['{"images": []}'], "annotations.json"));
            data.items.add(new File(["PK"], "photos.zip"));
            data.items.add(new File(["x"], "readme.md"));
            return data;
        }"""
    )
    form.locator(".drop-zone").dispatch_event("drop", {"dataTransfer": dropped})
    selected = form.get_by_role("status", name="Selected files")
    expect(selected).to_contain_text("To upload: 2 files, 16 B: 1 JSON file + 1 zip")
    expect(selected).to_contain_text("Left out 1 file: readme.md")
    expect(form.get_by_role("button", name="Create from file")).to_be_enabled()
