"""The review queue: a reviewer walks the open suspect labels worst first with the keys
(S swap, J/K walk, F + click + Enter fix, A accept); each decision is a revision authored by the
reviewer with origin `review`, marks the image reviewed and closes its suspects."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from backend.db.session import session_scope
from backend.models import LabelSuspect, Prediction
from tests.support import insert_prediction

from . import conftest
from .annotating import upload
from .conftest import Api, AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

REVIEWER = "reviewer@example.com"
PASSWORD = "review-pass-1"
LABELS = [
    {"name": "eye_left", "x": 200, "y": 100, "visibility": "visible"},
    {"name": "eye_right", "x": 120, "y": 100, "visibility": "visible"},
    {"name": "beak", "x": 160, "y": 150, "visibility": "visible"},
    {"name": "tail"},
]
PREDICTED = [[120.0, 100.0], [200.0, 100.0], [180.0, 170.0], [160.0, 250.0]]


def _labeled_project(
    api: Api, database_url: str, name: str, seeds: list[int]
) -> tuple[int, list[int]]:
    """A project of its own (the page walks every suspect of a project), with labeled images
    that the active model version predicted."""
    pid: int = api.post(
        "/projects", {"name": name, "description": "review", "keypoint_schema": conftest.SCHEMA}
    )["id"]
    ids = [upload(api, pid, seed) for seed in seeds]
    for image_id in ids:
        api.put(f"/images/{image_id}/annotation", {"version": 0, "keypoints": LABELS})
        insert_prediction(database_url, image_id, PREDICTED, [0.9] * 4)
    return pid, ids


def _suspect(
    database_url: str, project_id: int, image_id: int, keypoint: str, score: float, kind: str
) -> None:
    with session_scope(database_url) as session:
        version_id = session.scalar(
            select(Prediction.model_version_id).where(Prediction.image_id == image_id)
        )
        session.add(
            LabelSuspect(
                project_id=project_id, image_id=image_id, keypoint=keypoint, annotation_version=1,
                score=score, reasons=[{"kind": kind, "detail": f"{keypoint} looks wrong"}],
                model_version_id=version_id,
            )
        )  # fmt: skip


def _click_in_crop(page: Page, x: float, y: float) -> None:
    """Click image pixel (x, y) on the review page's crop (an SVG whose viewBox is the crop)."""
    crop = page.get_by_role("img", name="beak: label and prediction")
    cx, cy, cw, ch = (float(v) for v in (crop.get_attribute("data-crop") or "").split(","))
    box = crop.bounding_box()
    assert box is not None
    page.mouse.click(
        box["x"] + (x - cx) * box["width"] / cw, box["y"] + (y - cy) * box["height"] / ch
    )


def _expect_suspect(page: Page, keypoint: str, image_name: str) -> None:
    expect(page.get_by_role("heading", name=f"{keypoint} on {image_name}")).to_be_visible()
    expect(page.locator(".review-crop image")).to_be_visible()


def test_a_reviewer_walks_the_suspects_with_the_keys(
    page: Page, app_server: AppServer, api: Api, artifacts: Path
) -> None:
    pid, (a, b) = _labeled_project(api, app_server.database_url, "Review walk", [71, 72])
    _suspect(app_server.database_url, pid, a, "eye_left", 0.9, "left_right_swap")
    _suspect(app_server.database_url, pid, b, "beak", 0.7, "far_from_prediction")
    _suspect(app_server.database_url, pid, a, "beak", 0.5, "edge_length")
    name = {i: api.get(f"/images/{i}")["original_name"] for i in (a, b)}
    api.post("/users", {"email": REVIEWER, "password": PASSWORD, "role": "reviewer"})

    conftest.login(page, REVIEWER, PASSWORD)
    page.goto(f"/projects/{pid}")
    page.get_by_role("link", name="Review labels").click()
    _expect_suspect(page, "eye_left", name[a])  # worst first
    expect(page.get_by_role("list", name="Reasons")).to_contain_text(
        "Left and right may be swapped"
    )
    page.screenshot(path=artifacts / "60_review_queue.png")
    # Each decision refills the queue from the server; hold those fetches until the end, as a
    # slow server would, since the keys must keep working while one is in flight.
    refills: list[Route] = []
    page.route("**/suspects?*", lambda route: refills.append(route))

    page.keyboard.press("s")
    expect(page.get_by_role("status")).to_have_text(f"Swapped eye_left on {name[a]}.")
    _expect_suspect(page, "beak", name[b])
    page.keyboard.press("j")
    _expect_suspect(page, "beak", name[a])
    page.keyboard.press("k")
    _expect_suspect(page, "beak", name[b])
    page.keyboard.press("f")
    _click_in_crop(page, 172, 163)
    page.screenshot(path=artifacts / "61_review_fix.png")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Fixed beak on {name[b]}.")
    # The last one: image a's beak, on the version the swap saved.
    _expect_suspect(page, "beak", name[a])
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_have_text(f"Accepted beak on {name[a]}.")
    expect(page.get_by_text("Every suspect is decided.")).to_be_visible()
    assert len(refills) == 3
    for route in refills:
        route.continue_()

    swapped = {p["name"]: p for p in api.get(f"/images/{a}/annotation")["keypoints"]}
    assert (swapped["eye_left"]["x"], swapped["eye_right"]["x"]) == (120, 200)
    fixed = {p["name"]: p for p in api.get(f"/images/{b}/annotation")["keypoints"]}
    assert abs(fixed["beak"]["x"] - 172) < 2 and abs(fixed["beak"]["y"] - 163) < 2
    revisions_a = api.get(f"/images/{a}/annotation/revisions")
    assert [(r["version"], r["origin"], r["author"]) for r in revisions_a] == [
        (3, "review", REVIEWER), (2, "review", REVIEWER), (1, "editor", conftest.ADMIN_EMAIL),
    ]  # fmt: skip
    revisions_b = api.get(f"/images/{b}/annotation/revisions")
    assert [(r["origin"], r["author"]) for r in revisions_b[:1]] == [("review", REVIEWER)]
    reviewer_id = next(u["id"] for u in api.get("/users") if u["email"] == REVIEWER)
    for image_id in (a, b):
        image = api.get(f"/images/{image_id}")
        assert image["reviewed_at"] is not None and image["reviewed_by_id"] == reviewer_id
    assert api.get(f"/projects/{pid}/suspects")["total"] == 0
    page.goto(f"/projects/{pid}")
    expect(page.locator(".image-card .badge.reviewed")).to_have_count(2)


def test_swap_is_offered_only_where_the_keypoint_has_a_flip_pair(
    page: Page, app_server: AppServer, api: Api
) -> None:
    pid, (image_id,) = _labeled_project(api, app_server.database_url, "Review no pair", [73])
    _suspect(app_server.database_url, pid, image_id, "beak", 0.99, "far_from_prediction")
    conftest.login(page, conftest.ADMIN_EMAIL, conftest.ADMIN_PASSWORD)
    page.goto(f"/projects/{pid}/review")
    expect(page.get_by_role("heading", name="beak on")).to_be_visible()
    expect(page.get_by_role("button", name="Swap with — (S)")).to_be_disabled()
    page.keyboard.press("s")
    expect(page.get_by_role("status")).to_have_count(0)
    assert api.get(f"/images/{image_id}/annotation")["version"] == 1
