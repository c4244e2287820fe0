"""A case's life as one timeline: its calls, transitions, notifications, callbacks and edits.

Sources: ``case_calls`` (+ the calls and their call-back marks), ``case_events`` (every
transition, with who and why), the ``outbox`` (notifications the timer and the workflow sent),
and the audit trail of the case. An audit group (one actor, one moment) that belongs to a
transition is attached to it as its field changes; the others are edits of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import audit
from callcenter.db.models import Call
from callcenter.tickets.models import AuditEntry, CaseCall, CaseEvent, Outbox
from callcenter.web.models import CallNote

CALLBACK_ACTIONS = frozenset({"callback_satisfied", "callback_unsatisfied"})
# Fields a transition stamps with its own moment or says by its name: not repeated under it.
STAMPS = frozenset({"accepted_at", "handled_at", "resolved_at", "closed_at", "callback_at", "reported_upward_at",
                    "manager_signed_at", "manager_signed_by", "callback_result", "second_complaints"})


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass
class Entry:
    at: dt.datetime
    kind: str  # call | create | transition | callback | notice | edit
    name: str  # the action, call link reason, notice kind or "edit"
    actor: str = ""
    text: str = ""
    from_state: str | None = None
    to_state: str | None = None
    call_id: int | None = None
    changes: list[Change] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


async def _calls(session: AsyncSession, case_id: int) -> list[Entry]:
    rows = await session.execute(
        select(CaseCall, Call, CallNote.called_back_at, CallNote.called_back_by)
        .join(Call, Call.id == CaseCall.call_id).outerjoin(CallNote, CallNote.call_id == Call.id)
        .where(CaseCall.case_id == case_id).order_by(Call.started_at)
    )  # fmt: skip
    out: list[Entry] = []
    for link, call, back_at, back_by in rows.all():
        out.append(Entry(call.started_at, "call", link.reason, actor=call.answered_by or "", call_id=call.id,
                         text=call.caller_number, extra={"disposition": call.disposition}))  # fmt: skip
        if back_at is not None:
            out.append(Entry(back_at, "callback", "called_back", actor=back_by or "", call_id=call.id))
    return out


def _events(events: list[CaseEvent]) -> list[Entry]:
    out = []
    for e in events:
        kind = "create" if e.action == "create" else "callback" if e.action in CALLBACK_ACTIONS else "transition"
        out.append(Entry(e.at, kind, e.action, actor=e.actor, text=e.reason or "", from_state=e.from_state,
                         to_state=e.to_state, extra={"role": e.role, "data": e.data or {}}))  # fmt: skip
    return out


def _notices(rows: list[Outbox]) -> list[Entry]:
    return [
        Entry(n.created_at, "notice", n.kind, actor=n.recipient or n.recipient_role,
              text=n.text_zh, extra={"text_en": n.text_en, "role": n.recipient_role, "level": n.level,
                                     "deliver_at": n.deliver_at, "sent_at": n.sent_at})
        for n in rows
    ]  # fmt: skip


def _audit_key(e: Entry) -> tuple[dt.datetime, str, str]:
    """How a transition's audit rows are recognised: same moment, same actor, and the reason
    :func:`callcenter.tickets.cases.transition_in` writes (the given reason, else the action)."""
    if e.kind == "create":
        return (e.at, e.actor, "created")
    return (e.at, e.actor, e.text or e.name)


def _attach_audit(entries: list[Entry], rows: list[AuditEntry]) -> list[Entry]:
    """Field changes joined to their transition; the rest as edits of their own."""
    owners = {_audit_key(e): e for e in entries if e.kind in ("create", "transition", "callback")}
    edits: dict[tuple[dt.datetime, str, str], Entry] = {}
    for row in rows:
        key = (row.at, row.actor, row.reason or "")
        owner = owners.get(key)
        if owner is None:
            owner = edits.setdefault(key, Entry(row.at, "edit", "edit", actor=row.actor, text=row.reason or ""))
        if owner.kind == "edit" or row.field not in STAMPS | {"state"}:
            owner.changes.append(Change(row.field, audit.decoded(row.before), audit.decoded(row.after)))
    return list(edits.values())


async def case_timeline(session: AsyncSession, case_id: int, events: list[CaseEvent]) -> list[Entry]:
    """Everything that happened to the case, oldest first."""
    entries = await _calls(session, case_id)
    entries += _events(events)
    outbox = (await session.scalars(select(Outbox).where(Outbox.case_id == case_id).order_by(Outbox.id))).all()
    entries += _notices(list(outbox))
    entries += _attach_audit(entries, await audit.history(session, "case", case_id))
    order = {"call": 0, "create": 1, "transition": 2, "callback": 2, "edit": 3, "notice": 4}
    entries.sort(key=lambda e: (e.at, order.get(e.kind, 9)))
    return entries
