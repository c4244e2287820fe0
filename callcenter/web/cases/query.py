"""Read-only queries of cases for the panel: the filtered list, names, running clocks.

Newest first by id, paged by keyset (``before`` = the last id seen). Every query takes the
user's :class:`~callcenter.web.scope.Scope`, so a station account never gets another station's
case from any of them. The clock shown for a case is its earliest running deadline (the one that
expires first); ``overdue`` means a running clock is past its due time now.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from callcenter.tickets.cases import normalize_phone
from callcenter.tickets.models import Case, CaseDeadline
from callcenter.tickets.repeat import COMPLAINT_KINDS, SECOND_STATES
from callcenter.tickets.workflow import KINDS, OPEN_STATES, STATES
from callcenter.web.errors import BadRequest
from callcenter.web.list_reads import Reader
from callcenter.web.scope import Scope

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# "open" (the default): everything in the workflow that is not a draft and not archived.
STATE_CHOICES = ("open", "all", *STATES)
# What the list shows of a case: read as plain rows (no ORM objects), it stays cheap at 50 a page.
LIST_COLUMNS = (Case.id, Case.kind, Case.source, Case.state, Case.version, Case.category, Case.urgent,
                Case.difficult, Case.caller_name, Case.caller_phone, Case.compound, Case.building, Case.unit_no,
                Case.room, Case.problem, Case.station_id, Case.responsible_person_id, Case.first_responder,
                Case.received_at, Case.accepted_at, Case.resolved_at, Case.reopen_count, Case.second_complaints,
                Case.escalation_level)  # fmt: skip
WORKING = tuple(s for s in STATES if s not in ("draft", "closed"))


@dataclass(frozen=True)
class CaseFilters:
    state: str = "open"
    kind: str | None = None
    station_id: int | None = None
    phone: str | None = None
    overdue: bool = False
    limit: int = DEFAULT_LIMIT
    before: int | None = None

    def query_args(self) -> dict[str, str]:
        args = {"state": self.state if self.state != "open" else "", "kind": self.kind or "",
                "station": str(self.station_id) if self.station_id else "", "phone": self.phone or "",
                "overdue": "1" if self.overdue else ""}  # fmt: skip
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True)
class Clock:
    """A running deadline as the list shows it."""

    rule_id: str
    due_at: dt.datetime
    state: str  # open | paused
    overdue: bool


@dataclass
class CaseRow:
    case: Any  # a Case, or a Row of LIST_COLUMNS (attribute access alike)
    clock: Clock | None = None
    clocks: list[Clock] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return any(c.overdue for c in self.clocks)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_before: int | None


def int_arg(query: Mapping[str, str], key: str) -> int | None:
    """A whole-number query argument (None when absent; a clear 400 when not a number)."""
    raw = query.get(key, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{key}: a number", field=key) from None


def parse_case_filters(query: Mapping[str, str]) -> CaseFilters:
    state = query.get("state", "").strip() or "open"
    if state not in STATE_CHOICES:
        raise BadRequest(f"state: one of {', '.join(STATE_CHOICES)}", field="state")
    kind = query.get("kind", "").strip() or None
    if kind is not None and kind not in KINDS:
        raise BadRequest(f"kind: one of {', '.join(KINDS)}", field="kind")
    limit = int_arg(query, "limit") or DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit: 1..{MAX_LIMIT}", field="limit")
    raw_phone = query.get("phone", "").strip()[:64]
    phone = (normalize_phone(raw_phone) or raw_phone) or None
    overdue = query.get("overdue", "").strip().lower() in ("1", "true", "yes", "on")
    return CaseFilters(state=state, kind=kind, station_id=int_arg(query, "station"), phone=phone,
                       overdue=overdue, limit=limit, before=int_arg(query, "before"))  # fmt: skip


async def fetch_cases(
    session: AsyncSession | AsyncConnection | Reader, filters: CaseFilters, scope: Scope, now: dt.datetime
) -> CasePage:
    values: dict[str, Any] = {"now": now} if filters.overdue else {}
    if filters.state not in ("open", "all"):
        values["state"] = filters.state
    if filters.kind:
        values["kind"] = filters.kind
    if filters.station_id is not None:
        values["station_id"] = filters.station_id
    if filters.phone:
        values["phone"] = filters.phone
    if filters.before is not None:
        values["before"] = filters.before
    stmt = _cases_shape(frozenset(values), filters.state == "open", filters.limit + 1)
    if scope != Scope():  # a station's or an office's part (rare: not worth a cached shape)
        stmt = stmt.where(scope.clause())
    cases = list((await session.execute(stmt, values)).all())
    more = len(cases) > filters.limit
    cases = cases[: filters.limit]
    rows = await with_clocks(session, cases, now)
    return CasePage(rows, cases[-1].id if more and cases else None)


@functools.lru_cache(maxsize=256)
def _cases_shape(given: frozenset[str], working: bool, limit: int) -> Select[Any]:
    """The list's query for one combination of filters, built once (see ledger.statement)."""
    stmt = select(*LIST_COLUMNS).order_by(Case.id.desc()).limit(limit)
    if working:
        stmt = stmt.where(Case.state.in_(WORKING))
    for name, column in (("state", Case.state), ("kind", Case.kind), ("station_id", Case.station_id),
                         ("phone", Case.caller_phone)):  # fmt: skip
        if name in given:
            stmt = stmt.where(column == bindparam(name, value=None))
    if "now" in given:
        late = select(CaseDeadline.case_id).where(
            CaseDeadline.stopped_at.is_(None), CaseDeadline.state == "open",
            CaseDeadline.due_at < bindparam("now", value=None, type_=CaseDeadline.due_at.type),
        )  # fmt: skip
        stmt = stmt.where(Case.id.in_(late))
    if "before" in given:
        stmt = stmt.where(Case.id < bindparam("before", value=None))
    return stmt


_CLOCKS = (
    select(CaseDeadline.case_id, CaseDeadline.rule_id, CaseDeadline.due_at, CaseDeadline.state)
    .where(CaseDeadline.case_id.in_(bindparam("ids", expanding=True)), CaseDeadline.stopped_at.is_(None))
    .order_by(CaseDeadline.due_at)
)  # fmt: skip


async def with_clocks(
    session: AsyncSession | AsyncConnection | Reader, cases: Sequence[Any], now: dt.datetime
) -> list[CaseRow]:
    """Each case with its running clocks, the earliest first."""
    rows = {c.id: CaseRow(c) for c in cases}
    if rows:
        found = await session.execute(_CLOCKS, {"ids": list(rows)})
        for case_id, rule_id, due_at, state in found.all():
            rows[case_id].clocks.append(Clock(rule_id, due_at, state, state == "open" and due_at < now))
        for row in rows.values():
            row.clock = row.clocks[0] if row.clocks else None
    return [rows[c.id] for c in cases]


async def open_cases_for(session: AsyncSession, number: str, scope: Scope, limit: int = 10) -> list[Case]:
    """The caller's open cases (drafts included), newest first: the pop-up's list."""
    phone = normalize_phone(number)
    if not phone:
        return []
    stmt = (
        select(Case).where(Case.caller_phone == phone, Case.state.in_(OPEN_STATES), scope.clause())
        .order_by(Case.id.desc()).limit(limit)
    )  # fmt: skip
    return list((await session.scalars(stmt)).all())


def second_complaint_risk(case: Any) -> bool:
    """A new complaint about this case now would be a 二次投诉 (an unfinished, accepted complaint)."""
    return case.kind in COMPLAINT_KINDS and case.state in SECOND_STATES and case.accepted_at is not None
