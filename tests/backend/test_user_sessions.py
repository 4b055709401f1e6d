"""Browser sessions live on the server: ending one (logout, deactivation, a new password, an
admin, the user from another browser) stops its cookie everywhere, copies included."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.sessions import CSRF_COOKIE, SESSION_COOKIE, SessionCodec
from backend.config import get_settings
from backend.db.base import utcnow
from backend.models import Role, UserSession
from tests.backend.conftest import PASSWORD, ClientFactory

ME = "/api/v1/auth/me"
SESSIONS = "/api/v1/auth/sessions"
PASSWORD_URL = "/api/v1/auth/password"


def copy_of(app: FastAPI, browser: TestClient) -> TestClient:
    """Another machine holding a copy of `browser`'s cookies (and so its CSRF token)."""
    cookies = {name: browser.cookies[name] for name in (SESSION_COOKIE, CSRF_COOKIE)}
    thief = TestClient(app, cookies=cookies)
    thief.headers["X-CSRF-Token"] = cookies[CSRF_COOKIE]
    return thief


def log_in(app: FastAPI, email: str) -> TestClient:
    """A second browser of an existing user."""
    client = TestClient(app)
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def user_id(client: TestClient) -> int:
    return int(client.get(ME).json()["id"])


def session_rows(db: Session, uid: int) -> int:
    query = select(func.count()).select_from(UserSession).where(UserSession.user_id == uid)
    return db.scalar(query) or 0


def test_a_copied_cookie_stops_working_after_logout(
    app: FastAPI, client_as: ClientFactory, db: Session
) -> None:
    browser = client_as(Role.annotator)
    uid = user_id(browser)
    thief = copy_of(app, browser)
    assert thief.get(ME).status_code == 200

    assert browser.post("/api/v1/auth/logout").status_code == 204

    r = thief.get(ME)
    assert r.status_code == 401
    assert "log in again" in r.json()["detail"]
    assert session_rows(db, uid) == 0


def test_a_validly_signed_cookie_without_a_session_row_is_refused(anon: TestClient) -> None:
    settings = get_settings()
    forged = SessionCodec(settings.secret_key, settings.session_max_age_s).encode("made-up", "x")
    anon.cookies.set(SESSION_COOKIE, forged)
    assert anon.get(ME).status_code == 401


def test_an_expired_session_is_refused_and_its_row_deleted(
    client_as: ClientFactory, db: Session
) -> None:
    browser = client_as(Role.viewer)
    uid = user_id(browser)
    row = db.scalars(select(UserSession).where(UserSession.user_id == uid)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()

    assert browser.get(ME).status_code == 401
    assert session_rows(db, uid) == 0


def test_deactivating_a_user_ends_their_sessions_for_good(
    app: FastAPI, client_as: ClientFactory
) -> None:
    admin = client_as(Role.admin)
    annotator = client_as(Role.annotator)
    uid = user_id(annotator)
    copy = copy_of(app, annotator)

    assert admin.patch(f"/api/v1/users/{uid}", json={"is_active": False}).status_code == 200
    assert admin.patch(f"/api/v1/users/{uid}", json={"is_active": True}).status_code == 200

    assert annotator.get(ME).status_code == 401  # reactivation revives no old session
    assert copy.get(ME).status_code == 401
    assert log_in(app, "annotator1@example.com").get(ME).status_code == 200


def test_resetting_a_password_ends_the_users_sessions(
    app: FastAPI, client_as: ClientFactory
) -> None:
    admin = client_as(Role.admin)
    annotator = client_as(Role.annotator)
    laptop = log_in(app, "annotator1@example.com")
    uid = user_id(annotator)

    r = admin.patch(f"/api/v1/users/{uid}", json={"password": "a-new-password"})

    assert r.status_code == 200
    assert annotator.get(ME).status_code == 401
    assert laptop.get(ME).status_code == 401
    assert admin.get(ME).status_code == 200


def test_an_admin_changing_their_own_password_stays_logged_in_only_here(
    app: FastAPI, client_as: ClientFactory
) -> None:
    here = client_as(Role.admin)
    elsewhere = log_in(app, "admin0@example.com")

    r = here.patch(f"/api/v1/users/{user_id(here)}", json={"password": "a-new-password"})

    assert r.status_code == 200
    assert here.get(ME).status_code == 200
    assert elsewhere.get(ME).status_code == 401


def test_changing_ones_own_password_keeps_only_this_browser_signed_in(
    app: FastAPI, client_as: ClientFactory
) -> None:
    here = client_as(Role.annotator)
    elsewhere = log_in(app, "annotator0@example.com")
    body = {"current_password": PASSWORD, "new_password": "a-new-password"}

    assert here.post(PASSWORD_URL, json=body).status_code == 204

    assert here.get(ME).status_code == 200
    assert elsewhere.get(ME).status_code == 401
    old = {"email": "annotator0@example.com", "password": PASSWORD}
    assert TestClient(app).post("/api/v1/auth/login", json=old).status_code == 401
    new = {"email": "annotator0@example.com", "password": "a-new-password"}
    assert TestClient(app).post("/api/v1/auth/login", json=new).status_code == 200


def test_a_password_change_needs_the_current_password(
    app: FastAPI, client_as: ClientFactory
) -> None:
    """Someone at an unlocked browser cannot lock its owner out; nothing changes on refusal."""
    here = client_as(Role.annotator)
    elsewhere = log_in(app, "annotator0@example.com")

    wrong = here.post(PASSWORD_URL, json={"current_password": "guess", "new_password": "x" * 8})
    same = here.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": PASSWORD})
    short = here.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": "short"})

    assert wrong.status_code == 422 and wrong.json()["detail"] == "the current password is wrong"
    assert wrong.json()["field"] == "current_password"
    assert same.status_code == 422 and "is the current one" in same.json()["detail"]
    assert short.status_code == 422
    assert elsewhere.get(ME).status_code == 200  # no session was ended
    assert log_in(app, "annotator0@example.com").get(ME).status_code == 200


def test_a_password_change_needs_the_csrf_header(client_as: ClientFactory) -> None:
    browser = client_as(Role.annotator)
    del browser.headers["X-CSRF-Token"]
    body = {"current_password": PASSWORD, "new_password": "a-new-password"}

    assert browser.post(PASSWORD_URL, json=body).status_code == 403


def test_listing_ones_sessions_marks_the_current_one(
    app: FastAPI, client_as: ClientFactory
) -> None:
    desktop = client_as(Role.annotator)
    laptop = log_in(app, "annotator0@example.com")
    client_as(Role.annotator)  # someone else's session is not listed

    listed = desktop.get(SESSIONS).json()
    on_laptop = laptop.get(SESSIONS).json()

    assert len(listed) == 2
    current = [s["id"] for s in listed if s["current"]]
    assert len(current) == 1
    assert current != [s["id"] for s in on_laptop if s["current"]]
    assert {s["id"] for s in on_laptop} == {s["id"] for s in listed}
    assert listed[0]["user_agent"] == "testclient" and listed[0]["ip"] == "testclient"
    assert set(listed[0]) == {
        "id", "created_at", "last_seen_at", "expires_at", "user_agent", "ip", "current"
    }  # fmt: skip


def test_ending_another_of_ones_sessions_logs_that_browser_out(
    app: FastAPI, client_as: ClientFactory
) -> None:
    desktop = client_as(Role.annotator)
    lost_laptop = log_in(app, "annotator0@example.com")
    other = next(s["id"] for s in desktop.get(SESSIONS).json() if not s["current"])

    assert desktop.delete(f"{SESSIONS}/{other}").status_code == 204

    assert lost_laptop.get(ME).status_code == 401
    assert desktop.get(ME).status_code == 200
    assert [s["current"] for s in desktop.get(SESSIONS).json()] == [True]
    assert desktop.delete(f"{SESSIONS}/{other}").status_code == 404


def test_ending_the_current_session_logs_this_browser_out(client_as: ClientFactory) -> None:
    browser = client_as(Role.viewer)
    current = browser.get(SESSIONS).json()[0]["id"]

    assert browser.delete(f"{SESSIONS}/{current}").status_code == 204

    assert SESSION_COOKIE not in browser.cookies
    assert browser.get(ME).status_code == 401


def test_ending_a_session_needs_the_csrf_header(client_as: ClientFactory) -> None:
    browser = client_as(Role.viewer)
    current = browser.get(SESSIONS).json()[0]["id"]
    del browser.headers["X-CSRF-Token"]

    r = browser.delete(f"{SESSIONS}/{current}")

    assert r.status_code == 403
    assert browser.get(ME).status_code == 200


def test_an_annotator_cannot_end_another_users_sessions(
    client_as: ClientFactory,
) -> None:
    admin = client_as(Role.admin)
    annotator = client_as(Role.annotator)
    admin_session = admin.get(SESSIONS).json()[0]["id"]

    mine_only = annotator.delete(f"{SESSIONS}/{admin_session}")
    by_user = annotator.delete(f"/api/v1/users/{user_id(admin)}/sessions")

    assert mine_only.status_code == 404  # another user's session is as absent as none
    assert mine_only.json()["code"] == "not_found"
    assert by_user.status_code == 403
    assert admin.get(ME).status_code == 200


def test_an_admin_ends_every_session_of_a_user_but_not_their_api_tokens(
    app: FastAPI, client_as: ClientFactory, anon: TestClient
) -> None:
    admin = client_as(Role.admin)
    annotator = client_as(Role.annotator)
    laptop = log_in(app, "annotator1@example.com")
    token = annotator.post("/api/v1/auth/tokens", json={"name": "script"}).json()["token"]
    uid = user_id(annotator)
    assert len(admin.get(f"/api/v1/users/{uid}/sessions").json()) == 2

    assert admin.delete(f"/api/v1/users/{uid}/sessions").status_code == 204

    assert annotator.get(ME).status_code == 401 and laptop.get(ME).status_code == 401
    assert admin.get(f"/api/v1/users/{uid}/sessions").json() == []
    assert anon.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert admin.delete("/api/v1/users/999999/sessions").status_code == 404


def test_bearer_tokens_are_no_session_and_outlive_logout(
    client_as: ClientFactory, anon: TestClient
) -> None:
    browser = client_as(Role.annotator)
    token = browser.post("/api/v1/auth/tokens", json={"name": "script"}).json()["token"]
    script = {"Authorization": f"Bearer {token}"}

    assert [s["current"] for s in anon.get(SESSIONS, headers=script).json()] == [False]
    assert browser.post("/api/v1/auth/logout").status_code == 204
    assert anon.get(ME, headers=script).status_code == 200
    assert anon.post("/api/v1/auth/tokens", json={"name": "x"}, headers=script).status_code == 201


def test_logging_in_again_replaces_this_browsers_session(
    client_as: ClientFactory, db: Session
) -> None:
    browser = client_as(Role.viewer)
    uid = user_id(browser)
    old_cookie = browser.cookies[SESSION_COOKIE]

    r = browser.post(
        "/api/v1/auth/login", json={"email": "viewer0@example.com", "password": PASSWORD}
    )

    assert r.status_code == 200
    assert browser.cookies[SESSION_COOKIE] != old_cookie
    assert session_rows(db, uid) == 1


def test_last_seen_is_refreshed_at_most_every_few_minutes(
    client_as: ClientFactory, db: Session
) -> None:
    browser = client_as(Role.viewer)
    row = db.scalars(select(UserSession).where(UserSession.user_id == user_id(browser))).one()
    recently, long_ago = utcnow() - timedelta(minutes=1), utcnow() - timedelta(minutes=10)

    row.last_seen_at = recently
    db.commit()
    browser.get(ME)
    assert row.last_seen_at == recently  # no write per request

    row.last_seen_at = long_ago
    db.commit()
    browser.get(ME)
    assert row.last_seen_at > recently
