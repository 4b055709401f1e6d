"""Videos in a real browser against the real app: upload a video on the project page, extract
frames (a job the light worker runs), open a frame, label it, step to a neighbouring frame of
the video and add that frame to the project in one action; the project grid grouped by video;
a video uploaded after its DeepLabCut frames were imported links them (a light-worker job)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.backend.formats.helpers import frames_of, project_files, write_tree
from tests.video_support import write_video

from .annotating import click_image, expect_saved, login
from .conftest import Api, H, W, png_bytes
from .test_folder_import import import_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

JOB_TIMEOUT_MS = 60_000  # the import worker polls its queue, then runs the job


def test_upload_extract_label_and_step_to_a_neighbour_frame(
    page: Page, api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    clip = write_video(tmp_path / "arena cam.mp4", frames=40, width=W, height=H, fps=10, scenes=4)
    login(page)
    page.goto(f"/projects/{project['id']}")
    page.get_by_label("Upload video").set_input_files(str(clip))
    item = page.get_by_role("listitem", name="Video arena cam.mp4")
    expect(item).to_contain_text(f"{W}\N{MULTIPLICATION SIGN}{H} · 10.00 fps · 40 frames")

    item.get_by_role("button", name="Extract frames…").click()
    form = item.get_by_role("form", name="Extract frames")
    form.get_by_label("Method").select_option("uniform")
    form.get_by_label("Frames", exact=True).fill("3")
    form.get_by_role("button", name="Extract").click()
    expect(form.get_by_role("status")).to_contain_text("Added 3 frame(s)", timeout=JOB_TIMEOUT_MS)

    item.get_by_role("button", name="Show its frames").click()
    grid = page.get_by_role("list", name="Images")
    expect(grid.get_by_role("listitem")).to_have_count(3)
    expect(grid.get_by_role("listitem").first).to_contain_text("frame 0")
    grid.get_by_role("link", name="Open arena cam/img00000.png").click()

    bar = page.get_by_label("Video frame")
    expect(bar).to_contain_text("arena cam.mp4 · frame 0 · 00:00.00")
    page.wait_for_function("() => document.querySelector('.viewport-image')?.naturalWidth > 0")
    click_image(page, 120, 90)
    expect_saved(page)

    bar.get_by_role("button", name="Forward 10 frames").click()
    bar.get_by_role("button", name="Back 1 frame").click()
    neighbour = page.get_by_role("figure", name="Neighbour frame")
    expect(neighbour).to_contain_text("frame 9 · 00:00.90 (+9 from this image)")
    page.wait_for_function(
        f"() => document.querySelector('.video-neighbour img')?.naturalWidth === {W}"
    )
    first_url = page.url
    neighbour.get_by_role("button", name="Add this frame to the project").click()
    page.wait_for_url(lambda url: url != first_url)
    expect(bar.locator(".muted").first).to_contain_text("arena cam.mp4 · frame 9 · 00:00.90")
    expect(neighbour).to_be_hidden()
    new_id = int(re.sub(r".*/images/", "", page.url))
    image = api.get(f"/images/{new_id}")
    assert (image["frame_index"], image["original_name"]) == (9, "arena cam/img00009.png")
    first = api.get(f"/projects/{project['id']}/images?video_id={image['video_id']}")["items"][0]
    assert first["labeled_count"] == 1, "the label on frame 0 was saved"

    # The project grid groups the video's frames under it, then the images not from a video.
    page.goto(f"/projects/{project['id']}")
    still: FilePayload = {
        "name": "still.png",
        "mimeType": "image/png",
        "buffer": png_bytes(W, H, 7),
    }
    page.get_by_label("Upload images").set_input_files([still])
    group = page.get_by_role("region", name="arena cam.mp4")
    expect(group.get_by_role("heading")).to_have_text(
        "arena cam.mp4 4 frames in the project, 1 labeled"
    )
    frames = group.get_by_role("list", name="Images of arena cam.mp4").get_by_role("listitem")
    expect(frames).to_have_count(4)
    expect(frames.nth(1)).to_contain_text("frame 9")  # in video order: 0, 9, then the others
    loose = page.get_by_role("region", name="Images not from a video")
    expect(loose.get_by_role("listitem")).to_contain_text(["still.png"])
    page.get_by_label("Filter by video").select_option(label="arena cam.mp4")
    expect(page.get_by_role("list", name="Images").get_by_role("listitem")).to_have_count(4)
    expect(page.get_by_role("region", name="Images not from a video")).to_have_count(0)


def drop_file(page: Page, target: Any, name: str, data: bytes, mime: str) -> None:
    """Drop a file on `target` as a user dragging it from their file manager would."""
    transfer = page.evaluate_handle(
        """([name, bytes, mime]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
            return dt;
        }""",
        [name, list(data), mime],
    )
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})


def test_a_dropped_video_is_uploaded_and_a_broken_one_is_refused_by_name(
    page: Page, project: dict[str, Any], tmp_path: Path
) -> None:
    clip = write_video(tmp_path / "dropped.mp4", frames=12, width=64, height=48, fps=12)
    login(page)
    page.goto(f"/projects/{project['id']}")
    zone = page.get_by_label("Drop videos here")
    drop_file(page, zone, "dropped.mp4", clip.read_bytes(), "video/mp4")
    expect(page.get_by_role("listitem", name="Video dropped.mp4")).to_contain_text("12 frames")

    drop_file(page, zone, "broken.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(3000), "video/mp4")
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^broken.mp4: not a readable video"))
    expect(page.get_by_role("listitem", name="Video broken.mp4")).to_have_count(0)


def test_a_video_uploaded_after_its_imported_frames_links_them(
    page: Page, api: Api, tmp_path: Path
) -> None:
    clip = write_video(tmp_path / "cam1.mp4", frames=40)
    third, twelfth = frames_of(clip, 3, 12)
    folder = write_tree(
        tmp_path / "reach", project_files({"cam1": {"img03.png": third, "img12.png": twelfth}}, {})
    )
    project_id = import_folder(
        api, f"/projects/import/dlc?name=Reach {uuid.uuid4().hex[:6]}", folder
    )
    login(page)
    page.goto(f"/projects/{project_id}")
    page.get_by_label("Upload video").set_input_files(str(clip))
    item = page.get_by_role("listitem", name="Video cam1.mp4")
    status = item.get_by_role("status", name="Video job")
    expect(status).to_contain_text("Linked 2 frame(s).", timeout=JOB_TIMEOUT_MS)
    expect(item).to_contain_text("2 in the project")

    item.get_by_role("button", name="Link imported frames").click()
    expect(status).to_contain_text(
        "No unlinked image is named as one of its frames.", timeout=JOB_TIMEOUT_MS
    )
