"""Going through a project image after image: "Next" walks forward through the queue without
bouncing back, "Skip" leaves an image for the end of the session, and the one-key "done and
next" / "accept the rest and next" finish an image without a separate chore."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.db.session import session_scope
from backend.models import Prediction
from tests.support import insert_prediction

from .annotating import login, open_image
from .conftest import Api, AppServer

pytestmark = pytest.mark.browser


def rank_queue(database_url: str, image_ids: list[int]) -> None:
    """What a retraining leaves behind: a prediction per image and the queue order by
    uncertainty (`image_ids` first to last), the opposite of upload order here."""
    for image_id in image_ids:
        insert_prediction(database_url, image_id, [[200.0, 150.0]] * 4, [0.3] * 4)
    with session_scope(database_url) as session:
        for rank, image_id in enumerate(image_ids):
            prediction = session.scalars(
                select(Prediction).where(Prediction.image_id == image_id)
            ).one()
            prediction.queue_rank, prediction.uncertainty = rank, 1.0 - rank / 10


def expect_image(page: Page, project_id: int, image_id: int) -> None:
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}/images/{image_id}$"))
    expect(page.locator(".viewport-image")).to_be_visible()


def test_next_walks_forward_and_skipped_images_come_back_at_the_end(
    page: Page,
    app_server: AppServer,
    api: Api,
    project: dict[str, Any],
    images: list[dict[str, Any]],
    artifacts: Path,
) -> None:
    pid = project["id"]
    order = [i["id"] for i in reversed(images)]  # the queue: newest upload first
    rank_queue(app_server.database_url, order)
    queued = [i["image"]["id"] for i in api.get(f"/projects/{pid}/queue")["items"]]
    assert queued == order
    login(page)
    open_image(page, pid, order[0])
    page.keyboard.press("n")  # leaves the top image unlabeled: the queue still ranks it first
    expect_image(page, pid, order[1])
    page.keyboard.press("n")  # forward, not back to the top image
    expect_image(page, pid, order[2])
    page.get_by_role("button", name="Skip", exact=True).click()
    expect_image(page, pid, order[3])
    page.screenshot(path=artifacts / "20_next_walks_forward.png")
    # Every image seen: those left unfinished come back, the one left longest ago first,
    # and the skipped one too, in its turn.
    page.keyboard.press("n")
    expect_image(page, pid, order[0])
    page.keyboard.press("n")
    expect_image(page, pid, order[1])
    page.keyboard.press("n")
    expect_image(page, pid, order[2])
    page.keyboard.press("s")
    expect_image(page, pid, order[3])
