"""Fixtures for the browser tests: a real app on a free port, Debian's Chromium via Playwright.

The app runs from a fresh temporary data dir and SQLite database (migrated, with one admin),
with the light import worker beside it (imports are jobs); no model worker is needed. The
frontend is built first when frontend/dist is missing or older than its sources. Without
/usr/bin/chromium the tests skip, unless KEYLOOP_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.queue import QUEUE_LIGHT
from backend.serve import uvicorn_argv

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "secret-pass"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SCHEMA = {
    "keypoints": [
        {"name": "eye_left", "color": "#ef4444"},
        {"name": "eye_right", "color": "#22c55e"},
        {"name": "beak", "color": "#3b82f6"},
        {"name": "tail", "color": "#eab308"},
    ],
    "skeleton": [["eye_left", "beak"], ["eye_right", "beak"], ["beak", "tail"]],
    "flip_pairs": [["eye_left", "eye_right"]],
}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it"
    if os.environ.get("KEYLOOP_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _frontend_is_stale() -> bool:
    index = FRONTEND / "dist" / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    sources = [
        *FRONTEND.joinpath("src").rglob("*"),
        FRONTEND / "index.html",
        FRONTEND / "package.json",
    ]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def _build_frontend() -> None:
    if not _frontend_is_stale():
        return
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "ci"], cwd=FRONTEND, check=True)
    subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True)


@dataclass(frozen=True)
class AppServer:
    url: str
    database_url: str


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    _require_chromium()
    _build_frontend()
    data = tmp_path_factory.mktemp("keyloop-data")
    env = {
        **os.environ,
        "KEYLOOP_DATA_DIR": str(data),
        "KEYLOOP_DATABASE_URL": f"sqlite:///{data}/keyloop.db",
        "KEYLOOP_ENV": "test",
    }
    bin_dir = Path(sys.executable).parent
    keyloop = str(bin_dir / "keyloop")
    subprocess.run([keyloop, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [keyloop, "users", "create", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--role", "admin"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (data / "uvicorn.log").open("wb")
    server = subprocess.Popen(
        uvicorn_argv("backend.app:create_app", "127.0.0.1", port),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    importer_log = (data / "importer.log").open("wb")
    importer = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "worker.import_app", "worker"),
            *("--concurrency", "1", "-Q", QUEUE_LIGHT, "--loglevel", "INFO"),
        ],
        cwd=ROOT,
        env=env,
        stdout=importer_log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start; see {data / 'uvicorn.log'}")
            time.sleep(0.2)
        yield AppServer(url=url, database_url=env["KEYLOOP_DATABASE_URL"])
    finally:
        for process in (importer, server):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        importer_log.close()


@pytest.fixture(scope="session")
def app_url(app_server: AppServer) -> str:
    return app_server.url


class Api:
    """A logged-in API client (cookie session + CSRF header), for arranging and checking."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/api/v1", timeout=10)
        r = self.http.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        r.raise_for_status()
        self.http.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    def get(self, path: str) -> Any:
        r = self.http.get(path)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any) -> Any:
        r = self.http.post(path, json=body)
        r.raise_for_status()
        return r.json()

    def put(self, path: str, body: Any) -> Any:
        r = self.http.put(path, json=body)
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="session")
def api(app_url: str) -> Api:
    return Api(app_url)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright per test process: its sync API cannot be started while another runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@contextmanager
def launch_chromium(driver: Any) -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads)."""
    browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def browser(app_url: str, playwright_driver: Any) -> Iterator[Any]:
    with launch_chromium(playwright_driver) as browser:
        yield browser


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=app_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def login(page: Any, email: str, password: str) -> None:
    """Log in on the login page; the project list opens."""
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def png_bytes(width: int, height: int, seed: int) -> bytes:
    """A small, distinct PNG (distinct so the server's duplicate check keeps each)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (40 + seed * 30 % 200, 90, 140))
    draw = ImageDraw.Draw(img)
    draw.ellipse(
        (width * 0.2, height * 0.25, width * 0.8, height * 0.75), fill=(230, 200, 60 + seed)
    )
    draw.text((5, 5), f"img {seed}", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


W, H = 400, 300  # size of the images the `images` fixture uploads


@pytest.fixture(scope="module")
def project(request: pytest.FixtureRequest, api: Api) -> dict[str, Any]:
    """A project with the gull SCHEMA, one per test module, so a module's tests see only each
    other's work. The name says which module owns it: the grid is opened by clicking it, and
    every module's project lives in the same app (one per test process)."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    project: dict[str, Any] = api.post(
        "/projects",
        {
            "name": f"Gull heads ({module})",
            "description": "browser test",
            "keypoint_schema": SCHEMA,
        },
    )
    return project


@pytest.fixture(scope="module")
def images(
    browser: Any,
    app_url: str,
    api: Api,
    project: dict[str, Any],
    artifacts: Path,
    request: pytest.FixtureRequest,
) -> list[dict[str, Any]]:
    """Upload four W x H images to the module's project through the UI; the grid shows them as
    new. Each test then works on its own image of them, so it can run alone or on any xdist
    worker (each worker starts its own app; each module its own project and upload)."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=app_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name=project["name"], exact=True).click()
    files = [
        {"name": f"gull_{i}.png", "mimeType": "image/png", "buffer": png_bytes(W, H, i)}
        for i in range(4)
    ]
    page.get_by_label("Upload images").set_input_files(files)
    expect(page.get_by_text("Uploaded 4 image(s).")).to_be_visible()
    grid = page.get_by_role("list", name="Images")
    expect(grid.get_by_role("listitem")).to_have_count(4)
    expect(grid.get_by_text("new", exact=True)).to_have_count(4)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.image-grid img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    module = request.module.__name__.rsplit(".", 1)[-1]
    page.screenshot(path=artifacts / f"01_grid_{module}.png")
    context.close()
    items: list[dict[str, Any]] = api.get(f"/projects/{project['id']}/images")["items"]
    assert [i["original_name"] for i in items] == [f"gull_{i}.png" for i in range(4)]
    return items
