"""Shared fixtures: settings isolated in a temp dir, databases migrated once per session
(SQLite and a real PostgreSQL), each test in a rolled-back transaction, an API client."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Settings are read once per process: isolate them before any backend import.
_DATA_DIR = tempfile.mkdtemp(prefix="keyloop-test-")
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
os.environ["KEYLOOP_DATA_DIR"] = _DATA_DIR
os.environ["KEYLOOP_ENV"] = "test"
for _name in ("KEYLOOP_DATABASE_URL", "KEYLOOP_BROKER_URL", "KEYLOOP_RESULT_BACKEND"):
    os.environ.pop(_name, None)

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import Engine, create_engine, event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from backend.config import Settings, get_settings  # noqa: E402
from backend.db.migrate import upgrade  # noqa: E402
from backend.services import security  # noqa: E402
from tests.databases import DATABASES  # noqa: E402
from tests.services import postgres_server, redis_server  # noqa: E402

# argon2 at its production cost takes ~0.25 s a hash and as long a check, and nearly every API
# test creates users and logs them in: in-process tests hash at argon2's minimum cost instead
# (a check reads the cost from the hash it checks). Servers the tests start as processes, and
# tests that use the `production_password_cost` fixture, pay the real one.
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    production = security._hasher
    security._hasher = CHEAP_PASSWORD_HASHER
    security._dummy_hash.cache_clear()
    yield
    security._hasher = production
    security._dummy_hash.cache_clear()


@pytest.fixture
def production_password_cost(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Passwords hashed and checked at the cost the product ships with."""
    monkeypatch.setattr(security, "_hasher", security.PRODUCTION_PASSWORD_HASHER)
    security._dummy_hash.cache_clear()
    yield
    security._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("KEYLOOP_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("KEYLOOP_TEST_REDIS_URL")
    if url:
        yield url
        return
    with redis_server() as url:
        yield url


def _savepoint_capable(engine: Engine) -> Engine:
    """pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN
    (SQLAlchemy's documented recipe) so tests can roll back each case."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture(scope="session", params=DATABASES)
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    return _savepoint_capable(create_engine(url))


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside a transaction rolled back at the end."""
    with migrated_engine.connect() as conn:
        outer = conn.begin()
        session = Session(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def blob_dir(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def live_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings of a fresh data dir with its own migrated SQLite database, for code that opens
    its own sessions and commits (worker tasks, jobs run in-process): the rolled-back `db`
    session could not see what they write, nor they what it holds."""
    monkeypatch.setenv("KEYLOOP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    settings = get_settings()
    upgrade(settings.database_url)
    yield settings
    get_settings.cache_clear()
