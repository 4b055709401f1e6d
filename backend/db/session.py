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
