"""Engine and session factory, one per database URL (and pool size).

SQLite gets WAL and a busy timeout so the API, the worker and beat (three processes) can share
one file; PostgreSQL needs nothing special.

The API passes its number of database slots as `pool_size` (backend/api/admission.py): every
admitted request then finds a connection at once. The overflow is for sessions opened outside
a request slot; the pool timeout only matters if that invariant is ever broken, and is short so
it shows as an error, not as a 30 s stall.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from backend.config import make_private


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


DEFAULT_POOL_SIZE = 5
POOL_OVERFLOW = 8
POOL_TIMEOUT_S = 10.0


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), or tighten an existing
    one: it holds password hashes and session digests. SQLite gives its -wal and -shm files
    the database file's mode."""
    database = make_url(url).database
    if not url.startswith("sqlite") or not database or database == ":memory:":
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):  # an empty file is an empty database
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    make_private(path)


@lru_cache(maxsize=8)
def get_engine(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    pool = {"pool_size": pool_size, "max_overflow": POOL_OVERFLOW, "pool_timeout": POOL_TIMEOUT_S}
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **pool
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


@lru_cache(maxsize=8)
def get_sessionmaker(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url, pool_size), expire_on_commit=False)


@lru_cache(maxsize=8)
def get_reading_sessionmaker(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> sessionmaker[Session]:
    """Sessions for requests that only read (GET, HEAD): on a server database each statement
    is its own transaction, so a read is its queries alone, with no `BEGIN` and `ROLLBACK`
    round trips around them. Nothing changes what a read sees: PostgreSQL's default isolation
    (read committed) already gives each statement its own snapshot. SQLite's driver already
    begins no transaction for a read, so SQLite keeps its one engine.

    Nothing is flushed unless the code commits: a stray change to a loaded object in a read
    request is dropped, as the transaction's rollback would have dropped it."""
    engine = get_engine(url, pool_size)
    if engine.dialect.name != "sqlite":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def holds_a_transaction(session: Session) -> bool:
    """Whether ending `session` is a round trip to the database: false for a session that ran
    nothing or committed, and for an autocommit session, whose statements each committed."""
    if not session.in_transaction():
        return False
    bind = session.get_bind()
    options = bind.get_execution_options() if isinstance(bind, Engine) else {}
    return options.get("isolation_level") != "AUTOCOMMIT"


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A unit of work for code outside a request (CLI, Celery tasks): commit or roll back."""
    session = get_sessionmaker(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
