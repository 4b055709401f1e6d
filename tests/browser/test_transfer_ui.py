"""Creating projects and moving annotations in and out, in a real browser against the real app:
an admin creates a project from the form, imports a COCO zip on the admin page (a job the
import worker runs; the page follows it to its report), downloads the export and finds the
annotations in it; a malformed import names the fault and stores nothing; a project can also be
created straight from a COCO file."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, expect

from backend.db.session import session_scope
from backend.models import Job, JobKind, JobState

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, AppServer, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

W, H = 120, 90
# An import waits for the import worker to take it from the queue (it polls), then runs.
JOB_TIMEOUT_MS = 60_000
KEYPOINTS = ["head", "body", "tail"]
# Image file name -> (x, y) per keypoint, all visible.
POINTS = {
    "gull_1.png": [(20.0, 30.0), (60.0, 45.0), (100.0, 50.0)],
    "gull_2.png": [(25.5, 20.0), (58.0, 40.0), (95.0, 70.25)],
}


def coco_document(points: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    images, annotations = [], []
    for i, (name, xy) in enumerate(points.items(), start=1):
        images.append({"id": i, "file_name": f"images/{name}", "width": W, "height": H})
        flat = [c for x, y in xy for c in (x, y, 2)]
        annotations.append(
            {"id": i, "image_id": i, "category_id": 1, "keypoints": flat, "num_keypoints": 3}
        )
    category = {
        "id": 1,
        "name": "gull",
        "keypoints": KEYPOINTS,
        "skeleton": [[1, 2], [2, 3]],
    }
    return {"images": images, "annotations": annotations, "categories": [category]}


def coco_zip(annotations_json: str, seed: int) -> bytes:
    """annotations.json + one generated PNG per entry of POINTS (seeded, so each test's images
    are new to its project's duplicate check)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("annotations.json", annotations_json)
        for i, name in enumerate(POINTS):
            archive.writestr(f"images/{name}", png_bytes(W, H, seed + i))
    return buf.getvalue()


def zip_payload(data: bytes, name: str = "gulls-coco.zip") -> FilePayload:
    return {"name": name, "mimeType": "application/zip", "buffer": data}


def login(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def open_transfer_section(page: Page, project_id: int) -> Any:
    page.goto(f"/projects/{project_id}/admin")
    # The panels above load their data after the page shows; until they have, each one that
    # grows moves this section, and a click aimed at it can land on something else (CI, once).
    page.wait_for_load_state("networkidle")
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Import / export"
    ).click()
    section = page.get_by_role("region", name="Import / export")
    expect(section).to_be_visible()
    return section


def shot(page: Page, artifacts: Path, name: str, part: Any = None) -> None:
    """The whole page from the top (so the sticky admin bar sits where it belongs), or one part."""
    if part is not None:
        part.screenshot(path=str(artifacts / name))
        return
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / name), full_page=True)


def test_admin_creates_project_imports_coco_and_downloads_the_export(
    page: Page, api: Api, artifacts: Path
) -> None:
    name = f"Gulls {uuid.uuid4().hex[:6]}"
    login(page)
    page.get_by_role("button", name="New project", exact=True).click()
    form = page.get_by_role("form", name="New project")
    form.get_by_label("Project name").fill(name)
    form.get_by_label("Description").fill("Herring gulls, side view")
    form.get_by_label("Keypoints").fill("head\nbody, tail")
    form.get_by_label("Skeleton edges").fill("head-body\nbody-wing")
    form.get_by_label("Validation fraction").fill("0.25")
    form.get_by_role("button", name="Create project").click()
    # An edge naming an unknown keypoint is refused before anything is sent.
    expect(form.get_by_role("alert")).to_have_text(
        'Skeleton: "body-wing" names unknown keypoint wing'
    )
    shot(page, artifacts, "30_new_project_error.png")

    form.get_by_label("Skeleton edges").fill("head-body\nbody-tail")
    shot(page, artifacts, "31_new_project_form.png")
    form.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    project = api.get(f"/projects/{project_id}")
    assert [k["name"] for k in project["keypoint_schema"]["keypoints"]] == KEYPOINTS
    assert project["keypoint_schema"]["skeleton"] == [["head", "body"], ["body", "tail"]]
    assert project["settings"]["validation_fraction"] == 0.25
    assert project["description"] == "Herring gulls, side view"

    section = open_transfer_section(page, project_id)
    importer = section.get_by_role("form", name="Import")
    importer.get_by_label("Format").select_option("coco")
    importer.get_by_label("Files").set_input_files(
        zip_payload(coco_zip(json.dumps(coco_document(POINTS)), seed=11))
    )
    importer.get_by_role("button", name="Import").click()
    result = section.get_by_role("status", name="Import result")
    expect(result).to_contain_text(
        "2 images created, 2 annotations saved, 0 duplicates", timeout=JOB_TIMEOUT_MS
    )
    shot(page, artifacts, "32_import_summary.png", section)
    assert api.get(f"/projects/{project_id}")["counts"]["done"] == 2

    exporter = section.get_by_role("form", name="Export")
    exporter.get_by_label("Format").select_option("coco")
    exporter.get_by_label("State").select_option("done")
    with page.expect_download() as info:
        exporter.get_by_role("link", name="Download JSON").click()
    download = info.value
    assert download.suggested_filename == f"{name}-coco.json"
    document = json.loads(Path(download.path()).read_text())
    category = document["categories"][0]
    assert category["keypoints"] == KEYPOINTS
    assert category["skeleton"] == [[1, 2], [2, 3]]
    file_of = {img["id"]: Path(img["file_name"]).name for img in document["images"]}
    exported = {file_of[a["image_id"]]: a["keypoints"] for a in document["annotations"]}
    assert exported == {n: [c for x, y in xy for c in (x, y, 2)] for n, xy in POINTS.items()}

    # The zip flavour carries the image files as well.
    exporter.get_by_label("Include image files").check()
    with page.expect_download() as info:
        exporter.get_by_role("link", name="Download zip").click()
    with zipfile.ZipFile(info.value.path()) as archive:
        members = archive.namelist()
    assert sum(m.endswith(".png") for m in members) == 2, members
    assert any(m.endswith(".json") for m in members), members
    shot(page, artifacts, "33_export_options.png", section)


def test_malformed_import_shows_the_error_and_stores_nothing(
    page: Page, api: Api, artifacts: Path
) -> None:
    schema = {"keypoints": [{"name": n} for n in KEYPOINTS], "skeleton": [], "flip_pairs": []}
    project = api.post(
        "/projects", {"name": f"Broken {uuid.uuid4().hex[:6]}", "keypoint_schema": schema}
    )
    login(page)
    section = open_transfer_section(page, project["id"])
    importer = section.get_by_role("form", name="Import")

    importer.get_by_label("Files").set_input_files(
        zip_payload(coco_zip('{"images": [', seed=21), "broken.zip")
    )
    importer.get_by_role("button", name="Import").click()
    alert = section.get_by_role("alert")
    expect(alert).to_contain_text(
        "Import failed, nothing was stored: annotations.json: not valid JSON",
        timeout=JOB_TIMEOUT_MS,
    )
    shot(page, artifacts, "34_import_error_json.png", section)

    # A point outside its image: the message names the file, the annotation and the keypoint.
    outside = dict(POINTS, **{"gull_2.png": [(25.0, 20.0), (58.0, 40.0), (500.0, 70.0)]})
    importer.get_by_label("Files").set_input_files(
        zip_payload(coco_zip(json.dumps(coco_document(outside)), seed=31), "outside.zip")
    )
    importer.get_by_role("button", name="Import").click()
    expect(alert).to_contain_text("annotation 2", timeout=JOB_TIMEOUT_MS)
    expect(alert).to_contain_text("tail")
    expect(section.get_by_role("status", name="Import result")).to_have_count(0)
    shot(page, artifacts, "35_import_error_outside.png", section)
    assert api.get(f"/projects/{project['id']}")["counts"]["total"] == 0


def test_admin_creates_a_project_from_a_coco_file(page: Page, api: Api, artifacts: Path) -> None:
    name = f"From file {uuid.uuid4().hex[:6]}"
    login(page)
    page.get_by_role("button", name="New project from file").click()
    form = page.get_by_role("form", name="New project from file")
    form.get_by_label("Format").select_option("coco")
    form.get_by_label("Project name").fill(name)
    form.get_by_label("Files").set_input_files(
        zip_payload(coco_zip(json.dumps(coco_document(POINTS)), seed=41))
    )
    shot(page, artifacts, "36_new_project_from_file.png")
    form.get_by_role("button", name="Create from file").click()
    # The report stays until the project is opened; the list behind already shows it.
    expect(form.get_by_role("status", name="Import result")).to_contain_text(
        "Imported: 2 images created, 2 annotations saved, 0 duplicates", timeout=JOB_TIMEOUT_MS
    )
    expect(page.get_by_role("link", name=name)).to_be_visible()
    form.get_by_role("button", name="Open the project").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("list", name="Images").get_by_role("listitem")).to_have_count(2)
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    project = api.get(f"/projects/{project_id}")
    assert [k["name"] for k in project["keypoint_schema"]["keypoints"]] == KEYPOINTS
    assert project["keypoint_schema"]["skeleton"] == [["head", "body"], ["body", "tail"]]
    assert project["counts"]["done"] == 2


def test_the_admin_page_follows_an_import_that_was_running_before_it_opened(
    page: Page, api: Api, app_server: AppServer
) -> None:
    """Leaving the page does not stop an import; coming back shows its progress, then its end."""
    project = api.post(
        "/projects",
        {
            "name": f"Gulls {uuid.uuid4().hex[:6]}",
            "keypoint_schema": {"keypoints": [{"name": k} for k in KEYPOINTS]},
        },
    )
    with session_scope(app_server.database_url) as session:
        # A job as the import worker leaves it mid-way (no message is queued for this row).
        job = Job(
            project_id=project["id"], kind=JobKind.import_, state=JobState.running,
            options={}, progress={"phase": "preparing", "step": 3, "total": 10},
        )  # fmt: skip
        session.add(job)
        session.flush()
        job_id = job.id
    login(page)
    section = open_transfer_section(page, project["id"])

    bar = section.get_by_role("progressbar", name="Import progress bar")
    expect(bar).to_have_attribute("aria-valuenow", "3")
    expect(section.get_by_role("status", name="Import progress")).to_contain_text(
        "Checking and storing images: 3 / 10"
    )
    with session_scope(app_server.database_url) as session:
        done = session.get_one(Job, job_id)
        report = {"project_id": project["id"], "images_created": 10, "annotations_saved": 4,
                  "duplicates": [], "notes": []}  # fmt: skip
        done.progress = {"phase": "done", "report": report}
        done.state = JobState.succeeded
    expect(section.get_by_role("status", name="Import result")).to_contain_text(
        "10 images created, 4 annotations saved, 0 duplicates"
    )
    expect(bar).to_have_count(0)


def test_the_deeplabcut_export_takes_a_scorer_and_refuses_one_that_is_not_a_file_name(
    page: Page, api: Api, artifacts: Path
) -> None:
    schema = {"keypoints": [{"name": n} for n in KEYPOINTS], "skeleton": [], "flip_pairs": []}
    project = api.post(
        "/projects", {"name": f"Scorer {uuid.uuid4().hex[:6]}", "keypoint_schema": schema}
    )
    login(page)
    exporter = open_transfer_section(page, project["id"]).get_by_role("form", name="Export")
    expect(exporter.get_by_label("Scorer (DeepLabCut)")).to_have_count(0)  # DeepLabCut only
    exporter.get_by_label("Format").select_option("dlc")
    scorer = exporter.get_by_label("Scorer (DeepLabCut)")
    scorer.fill("Mackenzie")
    link = exporter.get_by_role("link", name="Download zip")
    expect(link).to_have_attribute(
        "href", f"/api/v1/projects/{project['id']}/export/dlc?scorer=Mackenzie"
    )
    with page.expect_download() as info:
        link.click()
    with zipfile.ZipFile(info.value.path()) as archive:
        assert b"scorer: Mackenzie" in archive.read("config.yaml")
    scorer.fill("../lab")
    expect(exporter.get_by_role("alert")).to_have_text(
        "A scorer is letters, digits, _ . and - only."
    )
    expect(exporter.get_by_role("link", name="Download zip")).to_have_count(0)
    shot(page, artifacts, "36_export_scorer.png", exporter)


def test_the_deeplabcut_export_can_include_the_video_files(page: Page, api: Api) -> None:
    schema = {"keypoints": [{"name": n} for n in KEYPOINTS], "skeleton": [], "flip_pairs": []}
    project = api.post(
        "/projects", {"name": f"Videos {uuid.uuid4().hex[:6]}", "keypoint_schema": schema}
    )
    login(page)
    exporter = open_transfer_section(page, project["id"]).get_by_role("form", name="Export")
    include = exporter.get_by_label("Include video files (DeepLabCut)")
    expect(include).to_have_count(0)  # DeepLabCut only
    exporter.get_by_label("Format").select_option("dlc")
    link = exporter.get_by_role("link", name="Download zip")
    url = f"/api/v1/projects/{project['id']}/export/dlc"
    expect(link).to_have_attribute("href", url)
    include.check()
    expect(link).to_have_attribute("href", f"{url}?videos=true")
    with page.expect_download() as info:
        link.click()
    with zipfile.ZipFile(info.value.path()) as archive:
        assert "config.yaml" in archive.namelist()  # no video yet: the project's bare config


def test_the_sleap_export_offers_video_backed_frames(page: Page, api: Api) -> None:
    schema = {"keypoints": [{"name": n} for n in KEYPOINTS], "skeleton": [], "flip_pairs": []}
    project = api.post(
        "/projects", {"name": f"Sleap {uuid.uuid4().hex[:6]}", "keypoint_schema": schema}
    )
    login(page)
    exporter = open_transfer_section(page, project["id"]).get_by_role("form", name="Export")
    expect(exporter.get_by_label("Video frames (SLEAP)")).to_have_count(0)  # SLEAP only
    exporter.get_by_label("Format").select_option("sleap")
    link = exporter.get_by_role("link", name="Download zip")
    url = f"/api/v1/projects/{project['id']}/export/sleap"
    expect(link).to_have_attribute("href", url)
    exporter.get_by_label("Video frames (SLEAP)").select_option("video")
    expect(link).to_have_attribute("href", f"{url}?sleap_video=video")
    with page.expect_download() as info:
        link.click()
    with zipfile.ZipFile(info.value.path()) as archive:
        assert archive.namelist() == ["labels.slp"]  # no annotated frame, so no video
