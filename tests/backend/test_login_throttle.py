"""Login hardening: an unknown email costs what a known one does (no account enumeration by
timing), and repeated failures lock the account and the client address with a growing delay,
answered 429 with Retry-After, across API processes (the counts live in the database)."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import get_clock
from backend.app import create_app
from backend.config import Settings
from backend.db.base import utcnow
from backend.models import LoginAttempt, Role
from backend.services import security
from backend.services.garbage import collect_garbage
from backend.services.login_throttle import FORGET_AFTER, FREE_ADDRESS_FAILURES
from backend.services.users import authenticate, create_user
from tests.backend.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"
EMAIL = "ann@example.com"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    clock = Clock()
    app.dependency_overrides[get_clock] = lambda: clock
    return clock


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def user(db: Session) -> None:
    create_user(db, EMAIL, PASSWORD, Role.annotator)
    db.commit()


def _login(client: TestClient, email: str = EMAIL, password: str = "wrong-password") -> int:
    return client.post(LOGIN, json={"email": email, "password": password}).status_code


def test_unknown_email_checks_a_password_hash_too(
    db: Session, user: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real = security.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting)
    assert authenticate(db, "nobody@example.com", "whatever-password") is None
    assert len(checks) == 1 and checks[0].startswith("$argon2")


def test_passwords_are_hashed_with_argon2id_at_the_recommended_cost(
    production_password_cost: None,
) -> None:
    assert security.hash_password(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.slow
def test_unknown_and_known_emails_answer_in_similar_time(
    production_password_cost: None, db: Session, user: None
) -> None:
    def median_s(email: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            authenticate(db, email, "wrong-password")
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    median_s("nobody@example.com")  # the dummy hash is made once, on first use
    known, unknown = median_s(EMAIL), median_s("nobody@example.com")
    assert unknown > 0.25 * known, (known, unknown)  # was ~0.1 before; loose for a busy CI


def test_repeated_failures_lock_the_account_with_a_growing_delay(
    anon: TestClient, user: None, clock: Clock
) -> None:
    assert [_login(anon) for _ in range(5)] == [401] * 5
    locked = anon.post(LOGIN, json={"email": EMAIL, "password": PASSWORD})
    assert locked.status_code == 429, "the right password does not help while locked"
    assert locked.json()["code"] == "too_many_requests"
    assert "too many failed logins for this account" in locked.json()["detail"]
    assert locked.headers["Retry-After"] == "2"

    clock.advance(2)
    assert _login(anon) == 401  # the 6th failure: locked twice as long
    assert (
        anon.post(LOGIN, json={"email": EMAIL, "password": "x" * 9}).headers["Retry-After"] == "4"
    )
    clock.advance(4)
    assert _login(anon) == 401
    clock.advance(7)
    assert _login(anon) == 429, "8 s after the 7th failure"
    clock.advance(1)
    assert _login(anon, password=PASSWORD) == 200
    assert [_login(anon) for _ in range(4)] == [401] * 4, "a success starts the count again"


def test_unknown_emails_are_locked_like_known_ones(anon: TestClient, clock: Clock) -> None:
    statuses = [_login(anon, email="nobody@example.com") for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_one_address_guessing_many_accounts_is_locked(
    anon: TestClient, user: None, clock: Clock
) -> None:
    statuses = [_login(anon, email=f"u{i}@example.com") for i in range(FREE_ADDRESS_FAILURES)]
    assert statuses == [401] * FREE_ADDRESS_FAILURES
    r = anon.post(LOGIN, json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 429 and "your address" in r.json()["detail"]
    assert int(r.headers["Retry-After"]) >= 1


def test_failures_are_forgotten_after_a_quiet_hour(
    anon: TestClient, user: None, clock: Clock, db: Session, settings: Settings
) -> None:
    assert [_login(anon) for _ in range(4)] == [401] * 4
    clock.advance(FORGET_AFTER.total_seconds() + 1)
    assert [_login(anon) for _ in range(4)] == [401] * 4, "the count started again"
    clock.advance(FORGET_AFTER.total_seconds() + 1)
    keys = sorted(db.scalars(select(LoginAttempt.key)))
    assert keys == [f"email:{EMAIL}", "ip:testclient"]
    assert collect_garbage(db, settings, now=clock.now).stale_login_attempts == 2
    assert db.scalars(select(LoginAttempt)).all() == []


@pytest.fixture
def second_process_app(app: FastAPI) -> FastAPI:
    """Another API app on the same database: its own objects, sharing nothing in memory."""
    other = create_app()
    other.dependency_overrides = dict(app.dependency_overrides)
    return other


def test_the_count_is_shared_by_every_api_process(
    anon: TestClient, second_process_app: FastAPI, user: None, clock: Clock
) -> None:
    other = TestClient(second_process_app)
    results = [_login(anon if i % 2 else other) for i in range(5)]
    assert results == [401] * 5
    assert _login(other, password=PASSWORD) == 429
