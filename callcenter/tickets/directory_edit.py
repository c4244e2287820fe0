"""Editing the directory: heating offices, stations, other units, and the people cases name.

Rules (the administrator edits; every change is audited as ``unit``/``person`` by code/login):

* a unit's ``code`` and a person's ``login`` are their keys (accounts, the call log and the
  notices refer to them by it): set once, never changed, unique; names are unique too (they are
  what the pages and the assignment lists show);
* a station sits under an active heating office (``parent_id``); moving it to another office
  changes who sees and is copied on its cases from then on (cases already copied to an office
  head keep that office head); other units have no parent;
* a unit or person that anything refers to (cases, people, child units, accounts) is never
  deleted, only **deactivated**: a retired station gets no new cases (``assignment_for``), a
  retired person is no longer picked as responsible. A station with open cases cannot be
  retired (reassign them first), nor an office with active stations (move or retire them);
* a station person belongs to a station, an office head to an office.

The functions run in the caller's transaction and raise :class:`DirectoryError`, whose
``kind`` says what went wrong (``invalid``, ``duplicate``, ``in_use``, ``not_found``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.audit import record_change
from callcenter.tickets.controls import refusal
from callcenter.tickets.models import Case, Person, Unit
from callcenter.tickets.workflow import OPEN_STATES, ROLES

UNIT_KINDS = ("office", "station", "department", "property_office", "head_company", "heating_office")
PERSON_ROLES = ROLES
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
LIMITS = {"name_zh": 128, "name_en": 128, "name": 128, "phone": 64}
# A person's role and the kind of unit it belongs to, where the rules tie them.
ROLE_UNIT = {"station": "station", "office_head": "office"}


class DirectoryError(ValueError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


UNIT_FIELDS = frozenset({"code", "kind", "name_zh", "name_en", "phone", "parent_id", "active"})
PERSON_FIELDS = frozenset({"login", "name", "role", "unit_id", "phone", "active"})


def _known(fields: Mapping[str, Any], known: frozenset[str]) -> None:
    for name in fields:
        if name not in known:
            raise DirectoryError("invalid", f"{name}: unknown field (known: {', '.join(sorted(known))})")


def _text(fields: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    raw = fields.get(name)
    if raw is not None and not isinstance(raw, str):
        raise DirectoryError("invalid", f"{name}: text")
    value = (raw or "").strip()
    why = refusal(name, value)
    if why:
        raise DirectoryError("invalid", why)
    if required and not value:
        raise DirectoryError("invalid", f"{name}: required")
    if len(value) > LIMITS.get(name, 64):
        raise DirectoryError("invalid", f"{name}: at most {LIMITS.get(name, 64)} characters")
    return value


def _id(fields: Mapping[str, Any], name: str) -> int | None:
    raw = fields.get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        raise DirectoryError("invalid", f"{name}: an id")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DirectoryError("invalid", f"{name}: an id") from None


def _flag(fields: Mapping[str, Any], name: str) -> bool:
    raw = fields.get(name)
    if isinstance(raw, bool):
        return raw
    if str(raw).strip().lower() in ("1", "true", "on", "yes"):
        return True
    if str(raw).strip().lower() in ("0", "false", "off", "no"):
        return False
    raise DirectoryError("invalid", f"{name}: true or false")


async def _unique_name(session: AsyncSession, name_zh: str, unit_id: int | None = None) -> None:
    clash = await session.scalar(select(Unit.code).where(Unit.name_zh == name_zh, Unit.id != (unit_id or 0)))
    if clash is not None:
        raise DirectoryError("duplicate", f"name_zh: {name_zh!r} is the name of unit {clash!r} already")


async def _parent(session: AsyncSession, kind: str, parent_id: int | None) -> int | None:
    if kind != "station":
        if parent_id is not None:
            raise DirectoryError("invalid", "parent_id: only a station sits under a heating office")
        return None
    parent = await session.get(Unit, parent_id) if parent_id is not None else None
    if parent is None or parent.kind != "office" or not parent.active:
        raise DirectoryError("invalid", "parent_id: a station sits under an active heating office")
    return parent.id


async def get_unit(session: AsyncSession, unit_id: int) -> Unit:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise DirectoryError("not_found", "no such unit")
    return unit


async def add_unit(session: AsyncSession, fields: Mapping[str, Any], *, actor: str, now: dt.datetime) -> Unit:
    _known(fields, UNIT_FIELDS - {"active"})
    code = _text(fields, "code", required=True).lower()
    if not CODE.match(code):
        raise DirectoryError("invalid", "code: 2-64 of a-z 0-9 _ - (starting with a letter or digit)")
    kind = _text(fields, "kind", required=True)
    if kind not in UNIT_KINDS:
        raise DirectoryError("invalid", f"kind: one of {', '.join(UNIT_KINDS)}")
    if await session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise DirectoryError("duplicate", f"code: {code!r} exists already")
    name_zh = _text(fields, "name_zh", required=True)
    await _unique_name(session, name_zh)
    unit = Unit(code=code, kind=kind, name_zh=name_zh, name_en=_text(fields, "name_en"), phone=_text(fields, "phone"),
                parent_id=await _parent(session, kind, _id(fields, "parent_id")), active=True)  # fmt: skip
    session.add(unit)
    await session.flush()
    await record_change(session, actor=actor, entity="unit", entity_id=code, reason="unit added", at=now,
                        changes={k: (None, getattr(unit, k)) for k in ("kind", "name_zh", "name_en", "phone",
                                                                        "parent_id", "active")})  # fmt: skip
    return unit


async def _open_cases(session: AsyncSession, column: Any, value: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(Case)
                                    .where(column == value, Case.state.in_(OPEN_STATES))) or 0)  # fmt: skip


async def _check_retire(session: AsyncSession, unit: Unit) -> None:
    if unit.kind == "station" and (n := await _open_cases(session, Case.station_id, unit.id)):
        raise DirectoryError("in_use", f"active: station {unit.code!r} has {n} open case(s); reassign them first")
    children = await session.scalar(select(func.count()).select_from(Unit)
                                     .where(Unit.parent_id == unit.id, Unit.active.is_(True)))  # fmt: skip
    if children:
        raise DirectoryError("in_use", f"active: {children} active station(s) sit under {unit.code!r}; "
                                       "move or deactivate them first")  # fmt: skip


async def update_unit(session: AsyncSession, unit_id: int, fields: Mapping[str, Any], *, actor: str,
                      now: dt.datetime, reason: str | None = None) -> Unit:  # fmt: skip
    """Rename, change the phone, move a station to another office, (de)activate."""
    _known(fields, UNIT_FIELDS)
    unit = await get_unit(session, unit_id)
    for key in ("code", "kind"):
        if key in fields and fields[key] != getattr(unit, key):
            raise DirectoryError("invalid", f"{key}: a unit's {key} never changes (add a new unit instead)")
    new: dict[str, Any] = {k: _text(fields, k, required=k == "name_zh") for k in ("name_zh", "name_en", "phone")
                           if k in fields}  # fmt: skip
    if "name_zh" in new:
        await _unique_name(session, new["name_zh"], unit.id)
    if "parent_id" in fields:
        new["parent_id"] = await _parent(session, unit.kind, _id(fields, "parent_id"))
    if "active" in fields:
        new["active"] = _flag(fields, "active")
        if unit.active and not new["active"]:
            await _check_retire(session, unit)
        if new["active"] and unit.kind == "station":
            await _parent(session, unit.kind, new.get("parent_id", unit.parent_id))
    changed = {k: (getattr(unit, k), v) for k, v in new.items() if getattr(unit, k) != v}
    for key, (_, value) in changed.items():
        setattr(unit, key, value)
    await record_change(session, actor=actor, entity="unit", entity_id=unit.code, changes=changed,
                        reason=reason or "unit changed", at=now)  # fmt: skip
    return unit


async def unit_references(session: AsyncSession, unit: Unit) -> dict[str, int]:
    """What refers to the unit (accounts are the panel's: the caller adds them)."""
    cases = await session.scalar(select(func.count()).select_from(Case).where(Case.station_id == unit.id))
    people = await session.scalar(select(func.count()).select_from(Person).where(Person.unit_id == unit.id))
    units = await session.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id == unit.id))
    return {"cases": int(cases or 0), "people": int(people or 0), "units": int(units or 0)}


async def delete_unit(session: AsyncSession, unit_id: int, *, actor: str, now: dt.datetime,
                      accounts: int = 0) -> None:  # fmt: skip
    """Delete a unit nothing refers to (one added by mistake); otherwise deactivate it."""
    unit = await get_unit(session, unit_id)
    refs = {**await unit_references(session, unit), "accounts": accounts}
    if any(refs.values()):
        used = ", ".join(f"{n} {what}" for what, n in refs.items() if n)
        raise DirectoryError("in_use", f"unit {unit.code!r} is referred to ({used}): deactivate it instead")
    await record_change(session, actor=actor, entity="unit", entity_id=unit.code, reason="unit deleted", at=now,
                        changes={k: (getattr(unit, k), None) for k in ("kind", "name_zh", "name_en", "phone",
                                                                        "parent_id", "active")})  # fmt: skip
    await session.delete(unit)
    await session.flush()


async def get_person(session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise DirectoryError("not_found", "no such person")
    return person


async def _person_unit(session: AsyncSession, role: str, unit_id: int | None) -> int:
    unit = await session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None or not unit.active:
        raise DirectoryError("invalid", "unit_id: an active unit")
    wanted = ROLE_UNIT.get(role)
    if wanted is not None and unit.kind != wanted:
        raise DirectoryError("invalid", f"unit_id: a person in role {role} belongs to a unit of kind {wanted}")
    return unit.id


def _role(fields: Mapping[str, Any]) -> str:
    role = _text(fields, "role", required=True)
    if role not in PERSON_ROLES:
        raise DirectoryError("invalid", f"role: one of {', '.join(PERSON_ROLES)}")
    return role


async def add_person(session: AsyncSession, fields: Mapping[str, Any], *, actor: str, now: dt.datetime) -> Person:
    _known(fields, PERSON_FIELDS - {"active"})
    login = _text(fields, "login", required=True)
    if not LOGIN.match(login):
        raise DirectoryError("invalid", "login: 1-64 of A-Z a-z 0-9 _ . @ - (an extension, a login name)")
    if await session.scalar(select(Person.id).where(Person.login == login)) is not None:
        raise DirectoryError("duplicate", f"login: {login!r} exists already")
    role = _role(fields)
    person = Person(login=login, name=_text(fields, "name", required=True), role=role, phone=_text(fields, "phone"),
                    unit_id=await _person_unit(session, role, _id(fields, "unit_id")), active=True)  # fmt: skip
    session.add(person)
    await session.flush()
    await record_change(session, actor=actor, entity="person", entity_id=login, reason="person added", at=now,
                        changes={k: (None, getattr(person, k)) for k in ("name", "role", "unit_id", "phone",
                                                                          "active")})  # fmt: skip
    return person


async def update_person(session: AsyncSession, person_id: int, fields: Mapping[str, Any], *, actor: str,
                        now: dt.datetime, reason: str | None = None) -> Person:  # fmt: skip
    """Rename, change the phone, the role or the unit, (de)activate. Open cases naming a retired
    person keep the name (history); new assignments skip the person."""
    _known(fields, PERSON_FIELDS)
    person = await get_person(session, person_id)
    if "login" in fields and fields["login"] != person.login:
        raise DirectoryError("invalid", "login: a person's login never changes (add a new person instead)")
    new: dict[str, Any] = {k: _text(fields, k, required=k == "name") for k in ("name", "phone") if k in fields}
    role = _role(fields) if "role" in fields else person.role
    if role != person.role:
        new["role"] = role
    if "unit_id" in fields or "role" in new:
        new["unit_id"] = await _person_unit(session, role, _id(fields, "unit_id") if "unit_id" in fields
                                            else person.unit_id)  # fmt: skip
    if "active" in fields:
        new["active"] = _flag(fields, "active")
    changed = {k: (getattr(person, k), v) for k, v in new.items() if getattr(person, k) != v}
    for key, (_, value) in changed.items():
        setattr(person, key, value)
    await record_change(session, actor=actor, entity="person", entity_id=person.login, changes=changed,
                        reason=reason or "person changed", at=now)  # fmt: skip
    return person


async def delete_person(session: AsyncSession, person_id: int, *, actor: str, now: dt.datetime) -> None:
    """Delete a person no case names (one added by mistake); otherwise deactivate them."""
    person = await get_person(session, person_id)
    cases = await session.scalar(select(func.count()).select_from(Case).where(
        or_(Case.responsible_person_id == person.id, Case.office_head_id == person.id)))  # fmt: skip
    if cases:
        raise DirectoryError("in_use", f"person {person.login!r} is named by {cases} case(s): deactivate instead")
    await record_change(session, actor=actor, entity="person", entity_id=person.login, reason="person deleted",
                        at=now, changes={k: (getattr(person, k), None) for k in ("name", "role", "unit_id", "phone",
                                                                                 "active")})  # fmt: skip
    await session.delete(person)
    await session.flush()
