"""A pooled PostgreSQL connection is pinged before use only after it sat idle
(`PING_IF_IDLE_S`): one the server dropped meanwhile is replaced before the request sees it,
and one used a moment ago costs no round trip (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from backend.db import session as db_session
from tests.backend.live_api import fresh_postgres_database


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = db_session.get_engine(fresh_postgres_database(postgres_url))
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    do_ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        seen.append(1)
        return do_ping(dbapi_connection)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def drop_on_the_server(postgres_url: str, pid: int) -> None:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    engine: Engine, pings: list[int], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_session, "PING_IF_IDLE_S", 0.0)  # every checked-in one counts as idle
    first = backend_pid(engine)
    drop_on_the_server(postgres_url, first)

    second = backend_pid(engine)  # no error: the ping failed, the pool connected afresh

    assert second != first
    assert pings


def test_a_connection_used_a_moment_ago_is_not_pinged(
    engine: Engine, pings: list[int], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_session, "PING_IF_IDLE_S", 3600.0)
    pid = backend_pid(engine)
    assert [backend_pid(engine) for _ in range(5)] == [pid] * 5
    assert pings == []
    # The window this leaves, as a dropped connection mid-request leaves one: the request that
    # meets it fails, and the pool replaces the connection for the next.
    drop_on_the_server(postgres_url, pid)
    with pytest.raises(OperationalError):
        backend_pid(engine)
    assert backend_pid(engine) != pid
