"""The admin page in a real browser against a real API and a real Celery worker: retrain on a
tiny synthetic project while watching progress, see the version and its PCK, evaluate it,
promote and roll back, manage users and tokens; non-admins get no admin page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.worker.stack import ADMIN, Stack, make_project

from .conftest import _build_frontend, _require_chromium, launch_chromium, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("admin-stack")]

VALIDATION_IMAGES = 4  # of the 12 labeled ones: PCK needs labeled validation images


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _require_chromium()
    _build_frontend()
    stack = Stack.create(tmp_path_factory.mktemp("admin-stack"))
    try:
        stack.start_api()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def project(stack: Stack) -> tuple[int, list[int]]:
    """14 synthetic images (a red head and a blue tail blob), 12 labeled; 4 of those and one
    unlabeled image in the validation split, the rest in train."""
    pid, ids = make_project(stack, n_images=14, n_labeled=12)
    for i, image_id in enumerate(ids):
        split = "validation" if i < VALIDATION_IMAGES or i == len(ids) - 1 else "train"
        r = stack.api.patch(f"/images/{image_id}", json={"split": split})
        assert r.status_code == 200, r.text
    return pid, ids


@pytest.fixture(scope="module")
def browser(stack: Stack, playwright_driver: Playwright) -> Iterator[Browser]:
    with launch_chromium(playwright_driver) as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def start_retraining(page: Page, max_steps: int, semi_supervised: bool = True) -> None:
    form = page.get_by_role("form", name="Retrain")
    form.get_by_label("Backbone").select_option("efficientnet_lite0")
    form.get_by_label("Input size (px)").select_option("64")
    form.get_by_label("Max steps").fill(str(max_steps))
    form.get_by_label("Batch size").fill("4")
    form.get_by_label("Semi-supervised (use unlabeled images)").set_checked(semi_supervised)
    form.get_by_role("button", name="Start retraining").click()


MARK_LOSS_CANVAS = "() => { const c = document.querySelector('[data-testid=loss-chart] canvas');"
MARK_LOSS_CANVAS += " if (c && !c.dataset.mark) c.dataset.mark = 'first'; return !!c; }"


def watch_job(page: Page, timeout_s: float = 240) -> tuple[str, list[int], list[int]]:
    """Poll the job card until the job ends; returns its final state and the distinct step
    numbers and loss-chart point counts the page showed on the way (it polls the API)."""
    card = page.locator(".job-detail")
    chart = page.get_by_test_id("loss-chart")
    steps: list[int] = []
    points: list[int] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = card.get_attribute("data-state")
        step = int(card.get_attribute("data-step") or 0)
        if not steps or steps[-1] != step:
            steps.append(step)
        if chart.count():
            page.evaluate(MARK_LOSS_CANVAS)
            n = int(chart.get_attribute("data-points") or 0)
            if not points or points[-1] != n:
                points.append(n)
        if state in ("succeeded", "failed", "cancelled"):
            return state, steps, points
        page.wait_for_timeout(150)
    raise AssertionError(f"job still {card.get_attribute('data-state')} after {timeout_s} s")


def shot(page: Page, artifacts: Path, name: str, full: bool = True) -> None:
    if full:  # from the top, so the sticky section bar sits where it belongs
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / name), full_page=full)


def test_admin_retrains_watches_evaluates_promotes_and_rolls_back(
    page: Page, stack: Stack, project: tuple[int, list[int]], artifacts: Path
) -> None:
    pid, _ = project
    login(page, *ADMIN)
    page.goto(f"/projects/{pid}")
    page.get_by_role("link", name="Admin: model and data").click()
    expect(page.get_by_role("heading", name="Training", exact=True)).to_be_visible()
    expect(page.get_by_text("No model version yet")).to_be_visible()
    health = page.locator("#health")
    expect(health.get_by_role("table", name="Images per split")).to_contain_text("validation")
    shot(page, artifacts, "20_admin_before_training.png")

    # A new version must not replace the active one by itself: promotion is ours to do.
    policy = page.get_by_role("form", name="Retraining policy")
    policy.get_by_label("Promote a new version").select_option("manual")
    policy.get_by_label("after this many newly annotated images").fill("25")
    policy.get_by_role("button", name="Save policy").click()
    expect(policy.get_by_role("status")).to_have_text("Saved.")
    settings = stack.api.get(f"/projects/{pid}").json()["settings"]
    assert (settings["promote_policy"], settings["retrain_threshold"]) == ("manual", 25)

    start_retraining(page, max_steps=60)
    card = page.locator(".job-detail")
    expect(card).to_have_attribute("data-state", "running", timeout=60_000)
    expect(page.get_by_test_id("loss-chart")).to_be_visible(timeout=60_000)
    shot(page, artifacts, "21_training_running.png", full=False)
    state, steps, points = watch_job(page)
    assert state == "succeeded", stack.log("worker")[-3000:]
    positive = [s for s in steps if s > 0]
    assert len(set(positive)) >= 2, f"progress did not update while running: {steps}"
    assert positive == sorted(positive), steps
    assert len(points) >= 2 and points == sorted(points), f"loss chart did not grow: {points}"
    mark = page.get_by_test_id("loss-chart").locator("canvas").get_attribute("data-mark")
    assert mark == "first", "the live chart is updated in place, not rebuilt"
    expect(card.get_by_test_id("job-step")).to_contain_text("finished: 60 steps in")
    expect(card.get_by_test_id("job-step")).to_contain_text("(all 60 steps)")
    expect(card.get_by_role("progressbar", name="Training progress")).to_have_attribute(
        "aria-valuenow", "100"
    )
    expect(page.get_by_test_id("pck-chart")).to_be_visible()

    # The first version is active (nothing was before); its PCK is shown.
    first = page.locator("tr[data-version-id]")
    expect(first).to_have_count(1, timeout=20_000)
    v1 = int(first.get_attribute("data-version-id") or 0)
    api_v1 = stack.api.get(f"/model-versions/{v1}").json()
    assert api_v1["is_active"] and api_v1["metrics"]["pck"] is not None
    expect(first).to_contain_text(f"{100 * api_v1['metrics']['pck']:.1f}%")
    expect(first).to_contain_text("active")
    expect(page.get_by_test_id("efficiency-chart")).to_be_visible()
    shot(page, artifacts, "22_trained.png")

    # Evaluate at alpha 0.2: per-keypoint bars, worst examples with points, embedding map.
    page.get_by_label("PCK alpha").select_option("0.2")
    page.get_by_role("button", name="Run evaluation").click()
    expect(page.get_by_test_id("evaluation-pck")).to_be_visible(timeout=120_000)
    evaluation = stack.api.get(f"/model-versions/{v1}/evaluations").json()[0]
    assert evaluation["alpha"] == 0.2
    assert len(evaluation["metrics"]["predicted_xy"]) == VALIDATION_IMAGES
    expect(page.get_by_test_id("evaluation-pck")).to_have_text(
        f"{100 * evaluation['metrics']['pck']:.1f}%"
    )
    expect(page.get_by_test_id("per-keypoint-chart")).to_be_visible()
    worst = page.get_by_role("list", name="Worst-predicted images").locator("li")
    expect(worst).to_have_count(VALIDATION_IMAGES)
    expect(worst.first.locator("circle.mark-truth")).to_have_count(2)  # head and tail
    expect(worst.first.locator("g.mark-pred")).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.worst-frame img')].every(i => i.naturalWidth > 0)"
    )
    expect(page.get_by_test_id("embedding-chart")).to_be_visible()
    # 4 labeled validation images x 2 keypoints, enough for t-SNE
    expect(page.locator("#embeddings")).to_contain_text("8 keypoints · t-SNE")
    page.locator("#evaluation").scroll_into_view_if_needed()
    shot(page, artifacts, "23_evaluation.png")

    # A second version, supervised only: not promoted under the manual policy.
    first_job = card.get_attribute("data-job-id") or ""
    start_retraining(page, max_steps=8, semi_supervised=False)
    expect(card).not_to_have_attribute("data-job-id", first_job)
    state, _, _ = watch_job(page)
    assert state == "succeeded", stack.log("worker")[-3000:]
    rows = page.locator("tr[data-version-id]")
    expect(rows).to_have_count(2, timeout=20_000)
    v2 = int(rows.first.get_attribute("data-version-id") or 0)
    api_v2 = stack.api.get(f"/model-versions/{v2}").json()
    assert v2 > v1 and not api_v2["is_active"]
    assert (api_v1["number"], api_v2["number"]) == (1, 2), "numbered within the project"
    assert api_v2["unlabeled_count"] == 0, "supervised only"

    page.get_by_role("button", name="Promote v2").click()
    expect(
        page.get_by_role("status").filter(has_text="v2 is now the active model.")
    ).to_be_visible()
    assert _active(stack, pid) == v2
    expect(page.get_by_role("button", name="Roll back to v1")).to_be_visible()
    shot(page, artifacts, "24_promoted.png")

    page.get_by_role("button", name="Roll back to v1").click()
    expect(
        page.get_by_role("status").filter(has_text="v1 is now the active model.")
    ).to_be_visible()
    assert _active(stack, pid) == v1
    expect(page.locator(f'tr[data-version-id="{v1}"]')).to_contain_text("active")
    expect(page.get_by_role("button", name="Promote v2")).to_be_visible()
    shot(page, artifacts, "25_rolled_back.png")


def _active(stack: Stack, pid: int) -> int:
    active = [
        v["id"] for v in stack.api.get(f"/projects/{pid}/model-versions").json() if v["is_active"]
    ]
    assert len(active) == 1, active
    return int(active[0])


def test_admin_manages_users_and_their_tokens(
    page: Page, stack: Stack, project: tuple[int, list[int]], artifacts: Path
) -> None:
    pid, _ = project
    login(page, *ADMIN)
    page.goto(f"/projects/{pid}/admin#users")
    users = page.locator("#users")
    create = users.get_by_role("form", name="Create user")
    create.get_by_label("Email").fill("ranger@example.com")
    create.get_by_label("Password").fill("ranger-password")
    create.get_by_label("Role").select_option("annotator")
    create.get_by_role("button", name="Create user").click()
    row = users.locator('tr[data-user="ranger@example.com"]')
    expect(row).to_be_visible()

    row.get_by_label("Role of ranger@example.com").select_option("viewer")
    expect(row.get_by_label("Role of ranger@example.com")).to_have_value("viewer")
    row.get_by_role("button", name="API tokens").click()
    tokens = users.get_by_label("API tokens of ranger@example.com")
    tokens.get_by_label("Token name").fill("camera-trap-script")
    tokens.get_by_role("button", name="Issue token").click()
    token = tokens.locator(".token-once code").inner_text()
    me = stack.api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "ranger@example.com"
    shot(page, artifacts, "26_users_tokens.png")

    tokens.get_by_role("button", name="Revoke").click()
    expect(tokens.get_by_role("table")).to_contain_text("revoked")
    row.get_by_role("button", name="Deactivate").click()
    expect(row).to_contain_text("deactivated")
    user = next(u for u in stack.api.get("/users").json() if u["email"] == "ranger@example.com")
    assert (user["role"], user["is_active"]) == ("viewer", False)


def test_non_admins_get_no_admin_page(
    page: Page, stack: Stack, project: tuple[int, list[int]]
) -> None:
    pid, _ = project
    r = stack.api.post(
        "/users",
        json={"email": "annotator@example.com", "password": "annotator-pw", "role": "annotator"},
    )
    assert r.status_code in (201, 409), r.text
    login(page, "annotator@example.com", "annotator-pw")
    page.goto(f"/projects/{pid}")
    expect(page.get_by_role("button", name="Start annotating")).to_be_visible()
    expect(page.get_by_role("link", name="Admin: model and data")).to_have_count(0)
    page.goto(f"/projects/{pid}/admin")
    expect(page.get_by_role("alert")).to_have_text("The admin page is for admins only.")
