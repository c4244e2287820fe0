"""A clerk's notes on a call and the "called back" mark: validated, versioned, audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Call
from callcenter.web.audit.record import record_change
from callcenter.web.errors import BadRequest, Conflict, NotFound
from callcenter.web.models import CallNote

# 投诉 督办件 报修 咨询 业务申请 测温 其他 (hotline-rules.md "Kinds of case")
CATEGORIES = ("complaint", "supervision", "repair", "consultation", "application", "temperature", "other")
MISSED = ("abandoned", "busy", "voicemail")
LIMITS = {"caller_name": 128, "address": 256, "summary": 4000, "category": 32}
FIELDS = tuple(LIMITS)
ENTITY = "call"


@dataclass(frozen=True)
class Saved:
    """The notes as saved now (what a stale edit conflicts with)."""

    values: dict[str, str]
    version: int
    updated_by: str | None
    updated_at: datetime | None


class NotesConflict(Conflict):
    """A save from a stale version whose input differs from what is saved now.

    ``fields``: the fields where the clerk's input and the saved notes differ and both sides
    changed them (the clerk decides); ``merged``: the clerk's input with the fields only
    the other side changed taken from the saved notes (the form to show again); ``taken``: those
    fields. Nothing was written.
    """

    def __init__(self, saved: Saved, fields: list[str], merged: dict[str, str], taken: list[str]) -> None:
        super().__init__(f"someone else saved these notes (now version {saved.version}) after the version you "
                         f"edited; fields in conflict: {', '.join(fields) or 'none'}; nothing was saved",
                         current_version=saved.version)  # fmt: skip
        self.saved, self.fields, self.merged, self.taken = saved, fields, merged, taken


def merge(saved: Saved, mine: Mapping[str, str], base: Mapping[str, str] | None) -> NotesConflict:
    """Compare the clerk's input with the saved notes; ``base``: the values the clerk's form
    was opened with (then a field only the other side changed is taken from the saved notes)."""
    fields: list[str] = []
    merged: dict[str, str] = {}
    taken: list[str] = []
    for name in FIELDS:
        if name not in mine:
            continue
        theirs, ours = saved.values.get(name, ""), mine[name]
        if ours == theirs or (base is not None and base.get(name) == theirs):
            merged[name] = ours  # the same, or only the clerk changed it
        elif base is not None and name in base and base[name] == ours:
            merged[name] = theirs  # the clerk left it as it was: the other side's change stands
            taken.append(name)
        else:
            merged[name] = ours
            fields.append(name)
    return NotesConflict(saved, fields, merged, taken)


def clean_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """The editable fields present in ``data``, trimmed and checked."""
    fields: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if name not in data:
            continue
        value = data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise BadRequest(f"{name}: expected text", field=name)
        value = value.replace("\r\n", "\n").strip()  # a browser's form sends CRLF
        if len(value) > limit:
            raise BadRequest(f"{name}: at most {limit} characters", field=name)
        if name == "category" and value and value not in CATEGORIES:
            raise BadRequest(f"category: one of {', '.join(CATEGORIES)}", field=name)
        fields[name] = value
    return fields


def parse_version(raw: Any) -> int:
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise BadRequest("version: the version of the notes you edited (0 if none)", field="version") from None
    if version < 0:
        raise BadRequest("version: not negative", field="version")
    return version


async def _current(session: AsyncSession, call_id: int) -> CallNote | None:
    if await session.scalar(select(Call.id).where(Call.id == call_id)) is None:
        raise NotFound("no such call")
    return await session.scalar(select(CallNote).where(CallNote.call_id == call_id))


async def _write(
    session: AsyncSession, call_id: int, note: CallNote | None, version: int, values: dict[str, Any]
) -> int:
    """Insert (version 0) or update (claiming ``version``); returns the new version."""
    if note is None:
        if version != 0:
            raise Conflict("the notes were deleted or never existed", current_version=0)
        try:
            async with session.begin_nested():
                await session.execute(insert(CallNote).values(call_id=call_id, version=1, **values))
        except IntegrityError:
            raise Conflict("someone else saved notes on this call first") from None
        return 1
    result = await session.execute(
        update(CallNote)
        .where(CallNote.call_id == call_id, CallNote.version == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # changed between our read and this write
        raise Conflict("someone else saved these notes at this very moment; nothing was saved: save again",
                       current_version=note.version)  # fmt: skip
    return version + 1


def saved_of(note: CallNote | None) -> Saved:
    if note is None:
        return Saved({name: "" for name in FIELDS}, 0, None, None)
    return Saved({name: getattr(note, name) or "" for name in FIELDS}, note.version, note.updated_by, note.updated_at)


async def save_notes(
    session: AsyncSession, call_id: int, *, actor: str, data: Mapping[str, Any], version: int, now: datetime,
    base: Mapping[str, Any] | None = None,
) -> int:  # fmt: skip
    """Apply the changed fields of ``data``; returns the new version (unchanged if nothing changed).

    From a stale ``version``: input equal to what is saved now is no change; any other input is a
    :class:`NotesConflict` carrying both versions (nothing is written). ``base``: the values the
    clerk's form showed (see :func:`merge`)."""
    fields = clean_fields(data)
    note = await _current(session, call_id)
    before = {name: getattr(note, name) if note else "" for name in fields}
    changes = {name: (before[name], value) for name, value in fields.items() if before[name] != value}
    if note is not None and note.version != version and changes:
        raise merge(saved_of(note), fields, clean_fields(base) if base is not None else None)
    if not changes:
        return note.version if note else 0
    values = {name: after for name, (_, after) in changes.items()}
    new_version = await _write(session, call_id, note, version, {**values, "updated_at": now, "updated_by": actor})
    await record_change(session, actor=actor, entity=ENTITY, entity_id=call_id, changes=changes, at=now)
    return new_version


async def mark_called_back(session: AsyncSession, call_id: int, *, actor: str, now: datetime) -> bool:
    """Record that ``actor`` called the caller back now; False if someone marked it already.

    Claims the mark with a conditional UPDATE and leaves the notes' version alone (a clerk
    editing the notes meanwhile is not disturbed). A notes row created here has version 0,
    which still means "no notes saved yet".
    """
    note = await _current(session, call_id)
    if await session.scalar(select(Call.disposition).where(Call.id == call_id)) not in MISSED:
        raise BadRequest("only a missed call (abandoned, busy, voicemail) is called back")
    if note is None:
        try:
            async with session.begin_nested():
                await session.execute(insert(CallNote).values(call_id=call_id, version=0, updated_at=now, updated_by=actor))
        except IntegrityError:
            pass  # created concurrently: fine, claim below
    claimed = await session.execute(
        update(CallNote)
        .where(CallNote.call_id == call_id, CallNote.called_back_at.is_(None))
        .values(called_back_at=now, called_back_by=actor)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await record_change(
        session, actor=actor, entity=ENTITY, entity_id=call_id,
        changes={"called_back_at": (None, now), "called_back_by": (None, actor)}, at=now,
    )  # fmt: skip
    return True
