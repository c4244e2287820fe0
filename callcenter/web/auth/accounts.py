"""Accounts: argon2 password hashes, creating users, changing passwords (revokes sessions).

The hashing functions are synchronous and CPU-bound: callers in the event loop run them
in an executor (``run_in_executor``); the CLI calls them directly.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.tickets.models import Unit
from callcenter.web.models import User, WebSession
from callcenter.web.auth.roles import Role

HASHER = PasswordHasher()
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MIN_SCORE = 3  # zxcvbn's 0-4: 3 = "safely unguessable: moderate protection from offline slow-hash attack"
CHECKED_PREFIX = 64  # zxcvbn's time grows with length; a 64-character prefix decides as well
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both cases cost the same time."""
    return HASHER.hash("not a real password, only for timing")


class AccountError(ValueError):
    """A bad username, role, station or password; the message says which."""


def check_password(password: object, username: str = "") -> str:
    """The password if it is acceptable, else AccountError saying why: text of 12 to 1024
    characters, not containing the username, and not easy to guess (zxcvbn: its lists of
    common passwords, names and words, repeats, sequences, keyboard patterns and dates).

    zxcvbn (Dropbox's estimator, the Python port on PyPI) rather than a home-made list: it
    ships the frequency lists and the pattern matchers that a short list would miss."""
    from zxcvbn import zxcvbn

    if not isinstance(password, str):
        raise AccountError("password: must be text")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"password: at most {MAX_PASSWORD} characters")
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        raise AccountError("password: must not contain the username")
    verdict = zxcvbn(password[:CHECKED_PREFIX], user_inputs=[name] if name else [])
    if verdict["score"] < MIN_SCORE:
        hint = verdict["feedback"].get("warning") or "add more words or characters"
        raise AccountError(f"password: too easy to guess ({hint})")
    return password


def hash_password(password: str, username: str = "") -> str:
    return HASHER.hash(check_password(password, username))


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(name: str) -> str:
    name = name.strip().lower()
    if not USERNAME.match(name):
        raise AccountError("username: 2-64 of a-z 0-9 _ . - (starting with a letter or digit)")
    return name


def check_role(role: str, station_code: str | None, office_code: str | None = None) -> Role:
    """The role, and the unit link it needs: a station account its station, an office head its
    heating office (without one it would see no case: web/scope.py)."""
    try:
        parsed = Role(role)
    except ValueError:
        raise AccountError(f"role: one of {', '.join(r.value for r in Role)}") from None
    if parsed is Role.STATION and not station_code:
        raise AccountError("station: a station account needs --station CODE")
    if parsed is not Role.STATION and station_code:
        raise AccountError("station: only station accounts have a station")
    if parsed is Role.OFFICE_HEAD and not office_code:
        raise AccountError("office: an office-head account needs --office CODE (its heating management office)")
    if parsed is not Role.OFFICE_HEAD and office_code:
        raise AccountError("office: only office-head accounts have an office")
    return parsed


async def check_office(session: AsyncSession, office_code: str | None) -> None:
    """The code names a heating management office of the directory (if one is given)."""
    if office_code is None:
        return
    found = await session.scalar(select(Unit.id).where(Unit.code == office_code, Unit.kind == "office"))
    if found is None:
        raise AccountError(f"office: no heating management office with code {office_code!r} in the directory")


async def check_station(session: AsyncSession, station_code: str | None) -> None:
    """The code names a station of the directory (if one is given): a station account with an
    unknown code would see no case at all."""
    if not station_code:
        return
    found = await session.scalar(select(Unit.id).where(Unit.code == station_code, Unit.kind == "station"))
    if found is None:
        raise AccountError(f"station: no station with code {station_code!r} in the directory")


async def find_user(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username.strip().lower()))


async def add_user(
    session: AsyncSession,
    *,
    username: str,
    role: str,
    password_hash: str,
    now: datetime,
    station_code: str | None = None,
    display_name: str = "",
    extension: str | None = None,
    office_code: str | None = None,
) -> User:
    name = normalise_username(username)
    check_role(role, station_code, office_code)
    if await find_user(session, name) is not None:
        raise AccountError(f"username: {name!r} exists already")
    user = User(
        username=name, role=role, password_hash=password_hash, station_code=station_code or None,
        office_code=office_code or None,
        display_name=display_name or name, extension=extension or None, active=True,
        created_at=now, password_changed_at=now,
    )  # fmt: skip
    session.add(user)
    await session.flush()
    return user


async def revoke_sessions(session: AsyncSession, user_id: int, now: datetime) -> int:
    result = await session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def set_password(session: AsyncSession, user: User, password_hash: str, now: datetime) -> int:
    """Store a new hash and revoke every session of the user; returns how many were revoked."""
    user.password_hash = password_hash
    user.password_changed_at = now
    return await revoke_sessions(session, user.id, now)
