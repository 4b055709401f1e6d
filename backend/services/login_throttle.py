"""Throttling password guessing: failed logins counted per account email and per client
address, in the database so that every API process sees the same counts.

After `free` failures in a row a key is locked for 2 s, doubling with each further failure up
to 15 minutes; while locked, logins with that email (or from that address) answer 429 with
Retry-After before any password is checked. Unknown emails are counted like known ones, so
the answer never says whether an account exists. A success clears the account's count (not
the address's: one valid account must not reset the count of an address guessing others'
passwords). A key whose last failure is older than `FORGET_AFTER` starts again from zero, and
`keyloop gc` deletes such rows.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.errors import TooManyRequests
from backend.models import LoginAttempt
from backend.models.login_attempt import KEY_LENGTH

FREE_ACCOUNT_FAILURES = 5
# Generous: a lab's whole building may reach the server from one NAT address.
FREE_ADDRESS_FAILURES = 20
FIRST_LOCK = timedelta(seconds=2)
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def account_key(email: str) -> str:
    return f"email:{email.strip().lower()}"[:KEY_LENGTH]


def address_key(ip: str) -> str:
    return f"ip:{ip or 'unknown'}"[:KEY_LENGTH]


def _limits(email: str, ip: str) -> list[tuple[str, int, str]]:
    return [
        (account_key(email), FREE_ACCOUNT_FAILURES, "this account"),
        (address_key(ip), FREE_ADDRESS_FAILURES, "your address"),
    ]


def lock_for(failures: int, free: int) -> timedelta | None:
    """How long a key is locked after its `failures`-th failure in a row (None: not locked)."""
    if failures < free:
        return None
    doublings = min(failures - free, 20)  # 2 s x 2^20 is far past the cap already
    return min(FIRST_LOCK * (1 << doublings), MAX_LOCK)


def check_allowed(session: Session, email: str, ip: str, now: datetime) -> None:
    """Raise TooManyRequests (with Retry-After) while the account or the address is locked."""
    for key, _free, who in _limits(email, ip):
        row = session.scalar(select(LoginAttempt).where(LoginAttempt.key == key))
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait_s = max(1, math.ceil((row.locked_until - now).total_seconds()))
            raise TooManyRequests(
                f"too many failed logins for {who}; try again in {_duration(wait_s)}",
                retry_after_s=wait_s,
            )


def record_failure(session: Session, email: str, ip: str, now: datetime) -> None:
    """Count a failed login against the account and the address (and lock them past `free`).
    The count is one upsert, so concurrent failures from several processes all count."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    forgotten = LoginAttempt.last_failure_at < now - FORGET_AFTER
    for key, free, _who in _limits(email, ip):
        session.execute(
            insert(LoginAttempt)
            .values(key=key, failures=1, last_failure_at=now)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "failures": case((forgotten, 1), else_=LoginAttempt.failures + 1),
                    "last_failure_at": now,
                },
            )
        )
        row = session.scalar(
            select(LoginAttempt)
            .where(LoginAttempt.key == key)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        lock = lock_for(row.failures, free)
        row.locked_until = now + lock if lock is not None else None
    session.flush()


def record_success(session: Session, email: str) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == account_key(email)))


def delete_stale(session: Session, now: datetime, *, dry_run: bool = False) -> int:
    """Delete (or with `dry_run` only count) rows whose last failure is forgotten by now."""
    stale = (LoginAttempt.last_failure_at < now - FORGET_AFTER) & (
        LoginAttempt.locked_until.is_(None) | (LoginAttempt.locked_until <= now)
    )
    if dry_run:
        return session.scalar(select(func.count()).select_from(LoginAttempt).where(stale)) or 0
    result = session.execute(delete(LoginAttempt).where(stale))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a DELETE gives a CursorResult


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    return f"{math.ceil(seconds / 60)} min"
