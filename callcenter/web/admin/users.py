"""Account administration from the panel: add, disable/enable, reset a password — audited.

Hashing is as in :mod:`callcenter.web.auth.accounts` (argon2), run by the caller in the app's
bounded executor. Disabling an account or setting its password revokes its sessions at once.
An administrator cannot disable their own account (nobody would be left to undo it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.audit import record_change
from callcenter.web.auth.accounts import (
    AccountError, add_user, check_office, check_station, revoke_sessions, set_password,
)
from callcenter.web.models import User, WebSession
from callcenter.web.auth.roles import Role

ENTITY = "user"


@dataclass(frozen=True)
class Account:
    user: User
    last_login: dt.datetime | None


def user_json(account: Account, iso: Any) -> dict[str, Any]:
    u = account.user
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "station_code": u.station_code, "office_code": u.office_code, "extension": u.extension, "active": u.active,
            "created_at": iso(u.created_at), "password_changed_at": iso(u.password_changed_at),
            "last_login": iso(account.last_login)}  # fmt: skip


async def list_accounts(session: AsyncSession) -> list[Account]:
    last = (select(WebSession.user_id, func.max(WebSession.created_at).label("at"))
            .group_by(WebSession.user_id).subquery())  # fmt: skip
    rows = await session.execute(
        select(User, last.c.at).outerjoin(last, last.c.user_id == User.id).order_by(User.active.desc(), User.username)
    )
    return [Account(user, at) for user, at in rows.all()]


def new_user_fields(source: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a new account from a form or JSON (checked by ``accounts.add_user``)."""
    def text(name: str, limit: int) -> str:
        value = source.get(name)
        value = "" if value is None else str(value).strip()
        if len(value) > limit:
            raise AccountError(f"{name}: at most {limit} characters")
        return value

    return {"username": text("username", 64), "role": text("role", 16), "display_name": text("display_name", 128),
            "station_code": text("station_code", 32) or None, "extension": text("extension", 32) or None,
            "office_code": text("office_code", 64) or None}  # fmt: skip


async def create_account(session: AsyncSession, fields: Mapping[str, Any], password_hash: str, *, actor: str,
                         now: dt.datetime) -> User:  # fmt: skip
    await check_office(session, fields.get("office_code"))
    await check_station(session, fields.get("station_code"))
    user = await add_user(session, password_hash=password_hash, now=now, **fields)
    await record_change(session, actor=actor, entity=ENTITY, entity_id=user.username,
                        changes={k: (None, getattr(user, k)) for k in ("role", "display_name", "station_code",
                                                                        "office_code", "extension", "active")},
                        reason="account added", at=now)  # fmt: skip
    return user


async def get_account(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise LookupError("no such user")
    return user


async def set_active(session: AsyncSession, user_id: int, active: bool, *, actor: User, now: dt.datetime) -> User:
    user = await get_account(session, user_id)
    if user.id == actor.id and not active:
        raise AccountError("active: you cannot disable your own account")
    if user.active == active:
        return user
    user.active = active
    revoked = 0 if active else await revoke_sessions(session, user.id, now)
    await record_change(session, actor=actor.username, entity=ENTITY, entity_id=user.username,
                        changes={"active": (not active, active)},
                        reason="account enabled" if active else f"account disabled; {revoked} session(s) revoked",
                        at=now)  # fmt: skip
    return user


async def reset_password(session: AsyncSession, user_id: int, password_hash: str, *, actor: str,
                         now: dt.datetime) -> int:  # fmt: skip
    """Set a new password (the hash); returns how many sessions were revoked."""
    user = await get_account(session, user_id)
    revoked = await set_password(session, user, password_hash, now)
    await record_change(session, actor=actor, entity=ENTITY, entity_id=user.username,
                        changes={"password_changed_at": ("(earlier)", now)},
                        reason=f"password reset by an administrator; {revoked} session(s) revoked", at=now)  # fmt: skip
    return revoked


async def set_office(session: AsyncSession, user_id: int, office_code: str | None, *, actor: str,
                     now: dt.datetime) -> User:  # fmt: skip
    """Link an office-head account to its heating management office (what it sees follows at once)."""
    user = await get_account(session, user_id)
    if user.role != Role.OFFICE_HEAD:
        raise AccountError("office: only office-head accounts have an office")
    code = (office_code or "").strip() or None
    if code is None:
        raise AccountError("office: name the heating management office (its code)")
    await check_office(session, code)
    before, user.office_code = user.office_code, code
    await record_change(session, actor=actor, entity=ENTITY, entity_id=user.username,
                        changes={"office_code": (before, code)}, reason="office linked", at=now)  # fmt: skip
    return user
