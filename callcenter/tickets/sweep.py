"""The deadline sweep: claim the clocks that need attention, send reminders, breaches, escalations.

:meth:`Sweeper.run_once` is one iteration (the timer calls it every few seconds):

1. **claim** — one conditional UPDATE per batch sets ``claimed_by``/``claim_until`` on open
   clocks whose ``next_action_at`` has come and that nobody holds (or whose claim lapsed); on
   PostgreSQL the candidates are picked ``FOR UPDATE SKIP LOCKED``, on SQLite the write
   transaction is ``BEGIN IMMEDIATE``. Committed at once: two sweepers never take the same row.
2. **process** — in one transaction per batch: for each clock a pure plan (reminder, breach,
   next escalation level), the notices (outbox, ``ON CONFLICT DO NOTHING`` on their unique
   key), the clocks' new state and the release of the claim commit together. A crash or a
   cancellation before the commit leaves the claim to lapse after ``claim_ttl``: another
   sweeper (or this one, restarted) takes the row again; nothing is lost, nothing doubled.
3. **poison** — a clock whose plan fails (e.g. its rule was removed from rules.toml) is pushed
   back (``attempts``, ``last_error``, ``next_attempt_at`` with backoff) and the rest goes on;
   a batch the database refuses is retried row by row to find the culprit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.claims import claim_ids
from callcenter.tickets import notices
from callcenter.tickets.calendar import DEFAULT_TZ
from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.clocks import EPSILON, ESC, Clockwork, next_action, rule_of
from callcenter.tickets.deadlines import limit_due
from callcenter.tickets.duty import on_duty
from callcenter.tickets.models import Case, CaseDeadline, CaseEvent, Person
from callcenter.tickets.ruleset import RuleBook
from callcenter.tickets.workflow import ESCALATION_ROLES, SYSTEM, TOP_LEVEL

log = logging.getLogger(__name__)
D = CaseDeadline
ROW_KEYS = ("level", "started_at", "due_at", "warned_at", "breached_at", "next_action_at")
MAX_BACKOFF = dt.timedelta(hours=1)


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, … minutes, at most an hour."""
    return min(dt.timedelta(minutes=2 ** min(attempts, 10)), MAX_BACKOFF)


@dataclass
class RowPlan:
    values: dict[str, Any]
    notices: list[dict[str, Any]] = field(default_factory=list)
    escalate_to: int | None = None


def plan_row(row: CaseDeadline, info: notices.CaseInfo, now: dt.datetime, clockwork: Clockwork) -> RowPlan:
    """What to do with one claimed clock at ``now``; pure (raises for an unknown rule)."""
    rule = rule_of(clockwork.book, row.rule_id)
    values = {k: getattr(row, k) for k in ROW_KEYS}
    common = dict(case=info, deadline_id=row.id, title=(rule.title_zh, rule.title_en), now=now,
                  book=clockwork.book, calendar=clockwork.calendar)  # fmt: skip
    overdue = now > row.due_at
    if row.rule_id == ESC:
        if not overdue:
            values["next_action_at"] = row.due_at + EPSILON
            return RowPlan(values)
        if row.level < TOP_LEVEL:
            level = row.level + 1
            due = limit_due(rule.limit, now, clockwork.calendar).astimezone(dt.UTC)
            out = notices.rows_for(key_prefix=notices.deadline_key(row.id, "escalation", level),
                                   kind="escalation", level=level, roles=(ESCALATION_ROLES[level],),
                                   due=due, **common)  # fmt: skip
            values.update(level=level, started_at=now, due_at=due, next_action_at=due + EPSILON)
            return RowPlan(values, out, level)
        out = notices.rows_for(key_prefix=notices.deadline_key(row.id, "breach", row.level), kind="breach",
                               level=row.level, roles=(ESCALATION_ROLES[TOP_LEVEL],), due=row.due_at,
                               **common)  # fmt: skip
        values.update(breached_at=now, next_action_at=None)
        return RowPlan(values, out)
    out = []
    # an urgent clock (D2, D4 minor): everyone at once, day or night, and always the duty person
    urgent = {"at_once": True, "extra_roles": ("duty",)} if rule.urgent else {}
    if overdue and row.breached_at is None:
        out = notices.rows_for(key_prefix=notices.deadline_key(row.id, "breach", 0), kind="breach", level=0,
                               roles=rule.breach_notify, due=row.due_at, **common, **urgent)  # fmt: skip
        values["breached_at"] = now
    elif (not overdue and rule.warn is not None and row.warn_at is not None and row.warn_at <= now
          and row.warned_at is None):  # fmt: skip
        out = notices.rows_for(key_prefix=notices.deadline_key(row.id, "reminder", 0), kind="reminder",
                               level=0, roles=rule.warn.notify, due=row.due_at, **common, **urgent)  # fmt: skip
        values["warned_at"] = now
    values["next_action_at"] = next_action(row.due_at, row.warn_at, values["warned_at"], values["breached_at"])
    return RowPlan(values, out)


class Sweeper:
    """Claims and processes due clocks; safe to run in several processes at once."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        name: str | None = None,
        book: RuleBook | None = None,
        tz: str = DEFAULT_TZ,
        batch: int = 500,
        claim_ttl: dt.timedelta = dt.timedelta(minutes=2),
        max_rows: int = 200_000,
    ) -> None:
        self.sessions = sessions
        self.name = name or instance_name()
        self.book = book
        self.tz = tz
        self.batch = batch
        self.claim_ttl = claim_ttl
        self.max_rows = max_rows
        self.failures = 0

    async def run_once(self, now: dt.datetime) -> int:
        """Process every clock due at ``now``; the number of clocks handled (incl. pushed back)."""
        done = 0
        clockwork: Clockwork | None = None
        while done < self.max_rows:
            ids = await self.claim(now)
            if not ids:
                break
            if clockwork is None:
                async with self.sessions() as session:
                    clockwork = await load_clockwork(session, self.book, self.tz)
            done += await self.process(ids, now, clockwork)
        return done

    async def claim(self, now: dt.datetime) -> list[int]:
        """Claim up to ``batch`` due clocks (committed); their ids."""
        free = or_(D.claimed_by.is_(None), D.claim_until < now)
        due = (D.state == "open", D.next_action_at <= now, free)
        async with self.sessions() as session, session.begin():
            return await claim_ids(session, D, due, [D.next_action_at], self.batch,
                                   {"claimed_by": self.name, "claim_until": now + self.claim_ttl})  # fmt: skip

    async def process(self, ids: Sequence[int], now: dt.datetime, clockwork: Clockwork) -> int:
        try:
            async with self.sessions() as session, session.begin():
                return await self._process_in(session, ids, now, clockwork)
        except Exception as exc:
            if len(ids) == 1:
                await self._push_back(ids[0], exc, now)
                return 1
            log.warning("sweep: batch of %d failed (%s); retrying one by one", len(ids), exc)
            return sum([await self.process([i], now, clockwork) for i in ids])

    async def _process_in(self, session: AsyncSession, ids: Sequence[int], now: dt.datetime,
                          clockwork: Clockwork) -> int:  # fmt: skip
        stmt = select(D, Case).join(Case, Case.id == D.case_id).where(D.id.in_(ids), D.claimed_by == self.name)
        rows = (await session.execute(stmt)).all()
        infos = await _infos(session, [case for _, case in rows], await on_duty(session, now))
        outbox: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        failed: list[tuple[CaseDeadline, Exception]] = []
        escalations: list[tuple[int, int]] = []
        for row, case in rows:
            try:
                plan = plan_row(row, infos[case.id], now, clockwork)
            except Exception as exc:  # poison: recorded below, the others go on
                failed.append((row, exc))
                continue
            outbox.extend(plan.notices)
            updates.append({"b_id": row.id, **plan.values})
            if plan.escalate_to is not None:
                escalations.append((case.id, plan.escalate_to))
        await notices.store(session, outbox)
        if updates:
            table = D.__table__
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({**{k: bindparam(k) for k in ROW_KEYS}, "claimed_by": None, "claim_until": None})
            )
            await session.execute(stmt, updates)
        for case_id, level in escalations:
            await _escalate_case(session, case_id, level, now)
        for row, exc in failed:
            self._record_failure(row, exc, now)
        return len(rows)

    def _record_failure(self, row: CaseDeadline, exc: Exception, now: dt.datetime) -> None:
        self.failures += 1
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        row.next_attempt_at = row.next_action_at = now + backoff(row.attempts)
        row.claimed_by = row.claim_until = None
        log.warning("sweep: clock %d (case %d, %s) failed: %s; retry at %s", row.id, row.case_id,
                    row.rule_id, row.last_error, row.next_attempt_at.isoformat())  # fmt: skip

    async def _push_back(self, deadline_id: int, exc: Exception, now: dt.datetime) -> None:
        try:
            async with self.sessions() as session, session.begin():
                row = await session.get(D, deadline_id)
                if row is not None and row.claimed_by == self.name:
                    self._record_failure(row, exc, now)
        except Exception:  # the database itself is gone: the claim lapses, another try later
            log.exception("sweep: could not record the failure of clock %d", deadline_id)


async def _infos(session: AsyncSession, cases: Sequence[Case], duty: str | None = None) -> dict[int, notices.CaseInfo]:
    ids = {i for c in cases for i in (c.responsible_person_id, c.office_head_id) if i is not None}
    logins: dict[int, str] = {}
    if ids:
        logins = dict((await session.execute(select(Person.id, Person.login).where(Person.id.in_(ids)))).all())
    out = {}
    for c in cases:
        recipients = {"station": logins.get(c.responsible_person_id or 0),
                      "office_head": logins.get(c.office_head_id or 0), "clerk": c.first_responder,
                      "duty": duty}  # fmt: skip
        address = notices.address_of(c.compound, c.building, c.unit_no, c.room)
        out[c.id] = notices.CaseInfo(c.id, c.kind, address, recipients)
    return out


async def _escalate_case(session: AsyncSession, case_id: int, level: int, now: dt.datetime) -> None:
    """逐级上报: raise the case's level (never lower it) and record who (the timer), when, why."""
    result = await session.execute(
        update(Case).where(Case.id == case_id, Case.escalation_level < level)
        .values(escalation_level=level, version=Case.version + 1, updated_at=now)
    )  # fmt: skip
    if result.rowcount == 1:  # type: ignore[attr-defined]
        state = await session.scalar(select(Case.state).where(Case.id == case_id))
        session.add(CaseEvent(case_id=case_id, action="escalate", from_state=state, to_state=state or "",
                              actor="timer", role=SYSTEM, at=now,
                              reason=f"second complaint unresolved within the limit: level {level} "
                                     f"({ESCALATION_ROLES[level]})", data={"level": level}))  # fmt: skip
