"""Login throttling, stored in the database, on three counters:

* **(username, address)**: after ``free`` failures in a row each further failure locks that
  pair out for a growing window: base, 2×base, 4×base … up to ``max_lock`` seconds;
* **address** (all usernames): password spraying, one attempt per account, locks the address
  after ``login_address_free_failures``;
* **account** (all addresses): guessing one clerk's password from many addresses locks the
  account after ``login_account_free_failures``, but only for browsers it never logged in
  from (:mod:`callcenter.web.auth.devices`): a stranger cannot lock a clerk out.

The address is the client's, also behind a trusted proxy (:mod:`callcenter.web.auth.proxies`).
A success clears the pair and the account; a record whose last failure is older than
``forget`` starts again from zero. Each counter is an atomic upsert, so instances sharing the
database count together and a restart forgets nothing. A lock is checked before the
password is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.web.errors import Throttled
from callcenter.web.models import LoginFailure


@dataclass(frozen=True)
class Policy:
    free: int = 5
    base_lock: int = 30
    max_lock: int = 3600
    forget: int = 24 * 3600

    def lock_seconds(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.max_lock, self.base_lock * 2 ** min(failures - self.free, 30))


def throttle_key(username: str, remote: str) -> str:
    return f"{username.strip().lower()[:120]}|{remote[:64]}"


def address_key(remote: str) -> str:
    return f"@address|{remote[:64]}"  # "@" is not allowed in usernames: no clash with a pair


def account_key(username: str) -> str:
    return f"@account|{username.strip().lower()[:120]}"


async def locked_for(session: AsyncSession, key: str, now: datetime) -> int:
    """Seconds ``key`` stays locked (0: not locked)."""
    locked_until = await session.scalar(select(LoginFailure.locked_until).where(LoginFailure.key == key))
    if locked_until is not None and locked_until > now:
        return max(1, math.ceil((locked_until - now).total_seconds()))
    return 0


async def check(session: AsyncSession, key: str, now: datetime) -> None:
    """Raise ``Throttled`` while ``key`` is locked out."""
    seconds = await locked_for(session, key, now)
    if seconds:
        raise Throttled("too many failed logins", retry_after=seconds)


async def record_failure(session: AsyncSession, key: str, now: datetime, policy: Policy) -> int:
    """Count one failure; returns the seconds the pair is now locked for (0: not locked)."""
    forget_before = now - timedelta(seconds=policy.forget)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LoginFailure).values(key=key, failures=1, last_failed_at=now, locked_until=None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginFailure.key],
        set_={
            "failures": case(
                (LoginFailure.last_failed_at < forget_before, 1), else_=LoginFailure.failures + 1
            ),
            "last_failed_at": now,
        },
    ).returning(LoginFailure.failures)
    failures = int((await session.execute(stmt)).scalar_one())
    lock = policy.lock_seconds(failures)
    if lock:
        await session.execute(
            update(LoginFailure)
            .where(LoginFailure.key == key)
            .values(locked_until=now + timedelta(seconds=lock))
        )
    return lock


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.key == key))
