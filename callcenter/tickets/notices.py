"""Notifications of the tickets area: rows of the ``outbox`` table (pure builders + one insert).

Every notice has a unique ``key`` — ``d<deadline>:<kind>:<level>:<role>`` for a clock's
reminder (催办), breach (超期) and escalation (逐级上报), ``c<case>:e<event>:<role>`` for a
transition's instruction — inserted with ON CONFLICT DO NOTHING: a notice cannot be doubled,
whoever tries twice (two sweepers, a restart, a retried transaction).

``deliver_at`` is when the notice may be shown and sent: office roles (clerk, office head,
department head, manager, property office) get it at the next business moment, so a breach at
night is told the next working morning; round-the-clock roles (station, duty) at once. An urgent
clock (rules.toml ``urgent = true``: D2, D4 minor) tells every role at once and always the person
on duty (``recipient``: the duty rota's person at that moment, :mod:`callcenter.tickets.duty`).

Every notice reaches the panel's inbox (:mod:`callcenter.web.notices`) at ``deliver_at``; the
webhook, when configured, is an extra channel (``sent_at``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.tickets.calendar import WorkCalendar
from callcenter.tickets.deadlines import notice_time
from callcenter.tickets.models import Outbox
from callcenter.tickets.ruleset import RuleBook
from callcenter.tickets.workflow import KIND_ZH

KIND_TEXT = {
    "reminder": ("催办", "Reminder"),
    "breach": ("超期", "Overdue"),
    "escalation": ("二次投诉逐级上报", "Second complaint escalated"),
    "instruction": ("交办", "Instruction"),
    "copy": ("抄送", "Copy"),
    "chase": ("催办", "Chase"),
}


@dataclass(frozen=True)
class CaseInfo:
    """What a notice needs to know about its case."""

    id: int
    kind: str
    address: str
    recipients: Mapping[str, str | None]  # role → person login (station, office_head, clerk)


def case_label(case_id: int) -> str:
    return f"#{case_id}"


def address_of(compound: str, building: str, unit_no: str, room: str) -> str:
    parts = [compound, f"{building}号楼" if building else "", f"{unit_no}单元" if unit_no else "", room]
    return "".join(p for p in parts if p)


def _local(moment: dt.datetime, calendar: WorkCalendar) -> str:
    return calendar.local(moment).strftime("%Y-%m-%d %H:%M")


def texts(kind: str, case: CaseInfo, title: tuple[str, str], due: dt.datetime | None,
          calendar: WorkCalendar, level: int = 0) -> tuple[str, str]:  # fmt: skip
    """(zh, en) text of a notice."""
    zh_kind, en_kind = KIND_TEXT.get(kind, (kind, kind))
    label = case_label(case.id)
    where = f"（{case.address}）" if case.address else ""
    when = f"，期限 {_local(due, calendar)}" if due else ""
    when_en = f", due {_local(due, calendar)}" if due else ""
    lvl = f" 第{level}级" if kind == "escalation" else ""
    lvl_en = f" level {level}" if kind == "escalation" else ""
    zh = f"【{zh_kind}{lvl}】{KIND_ZH.get(case.kind, case.kind)}{label}{where}：{title[0]}{when}"
    en = f"[{en_kind}{lvl_en}] {case.kind} case {label}: {title[1]}{when_en}"
    return zh, en


def rows_for(
    *,
    key_prefix: str,
    kind: str,
    level: int,
    roles: Iterable[str],
    case: CaseInfo,
    deadline_id: int | None,
    title: tuple[str, str],
    due: dt.datetime | None,
    now: dt.datetime,
    book: RuleBook,
    calendar: WorkCalendar,
    at_once: bool = False,
    extra_roles: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Outbox rows, one per role; pure. ``at_once``: every role now, not held to office hours
    (an urgent clock); ``extra_roles``: told as well (the duty person of an urgent clock)."""
    zh, en = texts(kind, case, title, due, calendar, level)
    out = []
    for role in dict.fromkeys([*roles, *extra_roles]):
        deliver = now if at_once or role not in book.roles else notice_time(book, role, now, calendar)
        out.append(
            {
                "key": f"{key_prefix}:{role}",
                "case_id": case.id,
                "deadline_id": deadline_id,
                "kind": kind,
                "level": level,
                "recipient_role": role,
                "recipient": case.recipients.get(role),
                "text_zh": zh,
                "text_en": en,
                "created_at": now,
                "deliver_at": deliver.astimezone(dt.UTC),
                "attempts": 0,
            }
        )
    return out


def deadline_key(deadline_id: int, kind: str, level: int) -> str:
    return f"d{deadline_id}:{kind}:{level}"


def dialect_insert(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_nothing``)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert outbox rows; a key already there is left alone (never doubled)."""
    if not rows:
        return
    insert = dialect_insert(session)
    stmt = insert(Outbox).on_conflict_do_nothing(index_elements=["key"])
    await session.execute(stmt, list(rows))

