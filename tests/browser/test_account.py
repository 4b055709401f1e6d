"""Signed-in devices in a real browser: a user sees the browsers signed in as them and signs
the others out, which sends those browsers to the login page at their next request; an admin
signs a user out everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SCHEMA, Api, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real server and Chromium each

USER = {"email": "devices@example.com", "password": "device-pass", "role": "annotator"}


@pytest.fixture(scope="module")
def user(api: Api) -> dict[str, Any]:
    created: dict[str, Any] = api.post("/users", USER)
    return created


@contextmanager
def signed_in(browser: Browser, app_url: str, email: str, password: str) -> Iterator[Page]:
    """A browser of its own (own cookies: its own session), logged in, at 1280x720."""
    context = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        login(page, email, password)
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def open_devices(page: Page) -> Locator:
    """Open Account from the header; returns the rows of the devices table."""
    page.get_by_role("link", name="Account").click()
    return page.get_by_role("table", name="Signed-in devices").locator("tbody tr")


def session_id(row: Locator) -> int:
    return int(row.get_attribute("data-session") or "0")


def session_ids(api: Api, user_id: int) -> list[int]:
    return [s["id"] for s in api.get(f"/users/{user_id}/sessions")]


def expect_login_page(page: Page) -> None:
    expect(page.get_by_role("form", name="Log in")).to_be_visible()


def test_user_signs_out_their_other_devices(
    browser: Browser, app_url: str, api: Api, user: dict[str, Any], artifacts: Path
) -> None:
    email, password = USER["email"], USER["password"]
    with (
        signed_in(browser, app_url, email, password) as laptop,
        signed_in(browser, app_url, email, password) as phone,
    ):
        rows = open_devices(laptop)
        expect(rows).to_have_count(2)
        here = rows.filter(has_text="this device")
        other = rows.filter(has_not_text="this device")
        expect(here).to_contain_text("127.0.0.1")
        device = here.locator("td").first
        expect(device).to_contain_text(re.compile(r"^Chrome \d+ on Linux"))
        expect(device).to_have_attribute("title", re.compile(r"^Mozilla/5\.0 .*Chrome/"))
        expect(here.locator("td").nth(3)).to_have_text("now")
        expect(other.locator("td").nth(3)).to_have_text("within 5 minutes")
        laptop.screenshot(path=artifacts / "account_devices.png")

        kept = session_id(here)
        other.get_by_role("button", name="Sign out").click()
        expect(laptop.get_by_role("status")).to_have_text("Signed out 1 device.")
        expect(rows).to_have_count(1)
        expect(laptop.get_by_role("button", name="Sign out all other devices")).to_be_disabled()
        assert session_ids(api, user["id"]) == [kept]

        # The phone's next request is refused (401): it lands on the login page.
        phone.get_by_role("link", name="Account").click()
        expect_login_page(phone)

        # Signed in again there, the phone signs every other device out, the laptop included.
        login(phone, email, password)
        phone_rows = open_devices(phone)
        expect(phone_rows).to_have_count(2)
        phone.get_by_role("button", name="Sign out all other devices").click()
        expect(phone.get_by_role("status")).to_have_text("Signed out 1 device.")
        expect(phone_rows).to_have_count(1)
        phone_here = phone_rows.filter(has_text="this device")
        assert session_ids(api, user["id"]) == [session_id(phone_here)]
        laptop.get_by_role("link", name="Keyloop").click()  # a request outside /auth
        expect_login_page(laptop)

        # Signing out this device from the list logs it out.
        phone_rows.get_by_role("button", name="Sign out").click()
        expect_login_page(phone)
        assert session_ids(api, user["id"]) == []


def test_admin_signs_a_user_out_everywhere(
    browser: Browser, app_url: str, api: Api, user: dict[str, Any], artifacts: Path
) -> None:
    project = api.post(
        "/projects", {"name": "Devices", "description": "", "keypoint_schema": SCHEMA}
    )
    email = USER["email"]
    with (
        signed_in(browser, app_url, email, USER["password"]) as users_browser,
        signed_in(browser, app_url, ADMIN_EMAIL, ADMIN_PASSWORD) as admin,
    ):
        assert session_ids(api, user["id"])
        admin.goto(f"/projects/{project['id']}/admin#users")
        row = admin.get_by_role("table", name="Users").locator(f'tr[data-user="{email}"]')
        asked: list[str] = []

        def accept(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept()

        admin.once("dialog", accept)
        row.get_by_role("button", name="Sign out everywhere").click()
        expect(admin.get_by_text(f"Signed {email} out everywhere.")).to_be_visible()
        assert asked == [f"Sign {email} out of every browser? Their API tokens keep working."]
        assert session_ids(api, user["id"]) == []
        admin.locator("#users").screenshot(path=artifacts / "admin_users_signed_out.png")

        users_browser.reload()
        expect_login_page(users_browser)


def test_user_changes_their_password_and_their_other_devices_are_signed_out(
    browser: Browser, app_url: str, api: Api, artifacts: Path
) -> None:
    email, old, new = "changes-password@example.com", "old-password", "new-password"
    created = api.post("/users", {"email": email, "password": old, "role": "annotator"})
    with (
        signed_in(browser, app_url, email, old) as laptop,
        signed_in(browser, app_url, email, old) as phone,
    ):
        rows = open_devices(laptop)
        expect(rows).to_have_count(2)
        form = laptop.get_by_role("form", name="Change password")
        alert = form.get_by_role("alert")

        form.get_by_label("Current password").fill("not-my-password")
        form.get_by_label("New password", exact=True).fill(new)
        form.get_by_label("Repeat new password").fill(new)
        form.get_by_role("button", name="Change password").click()
        expect(alert).to_have_text("the current password is wrong")
        assert len(session_ids(api, created["id"])) == 2  # a refusal ends no session

        form.get_by_label("Current password").fill(old)
        form.get_by_label("Repeat new password").fill("new-passw0rd")
        form.get_by_role("button", name="Change password").click()
        expect(alert).to_have_text("The new password and its repetition differ.")

        form.get_by_label("Repeat new password").fill(new)
        form.get_by_role("button", name="Change password").click()
        expect(form.get_by_role("status")).to_have_text(
            "Password changed. Your other devices were signed out."
        )
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("this device")
        expect(form.get_by_label("Current password")).to_have_value("")
        laptop.screenshot(path=artifacts / "account_password_changed.png")

        phone.reload()
        expect_login_page(phone)
        login(phone, email, new)
        expect(phone.get_by_role("link", name="Account")).to_be_visible()
