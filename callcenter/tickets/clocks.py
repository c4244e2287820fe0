"""Deadline clocks of a case: rows of ``case_deadlines`` started and stopped by workflow events.

A transition emits events (``accepted``, ``assigned``, ``resolved`` …, see rules.toml). For
every rule the case is under (:meth:`RuleBook.applicable` on kind, source, flags, severity):

* an event equal to the rule's ``start`` opens a clock: ``due_at``/``warn_at`` from the pure
  :func:`~callcenter.tickets.deadlines.due_at`/``warn_at``; for D6/D7
  (``case_limit_overrides``) the property office's own limit, when the case has one, is the
  due time instead; at most one running clock per rule and case (a partial unique index);
* an event in the rule's ``stop`` stops it: ``met`` at or before the due time, ``late`` after.

Special events: ``suspended`` pauses every running clock; ``resumed`` restarts them and adds the
paused span (wall-clock) to their due and warning times — the user's time is not the
company's, so the time left when the case was suspended is the time left when it resumes
(``paused_seconds`` keeps the total, so a recomputation after a calendar change keeps it);
``closed`` cancels what still runs; ``reopened`` (a resolved case back to work) cancels the
callback clock; ``second_complaint`` opens the escalation clock ``ESC``
(level 1: the office head is told at once; each time it expires unresolved the timer moves
it one level up — department head, then manager — with a fresh window of D5's limit).

``next_action_at`` is the one moment the sweep must look at a clock: its warning while no
reminder went out, else one microsecond past its due time (overdue is strictly after).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets import notices
from callcenter.tickets.calendar import WorkCalendar
from callcenter.tickets.deadlines import due_at, warn_at, warn_moment
from callcenter.tickets.models import Case, CaseDeadline, Person
from callcenter.tickets.ruleset import AppliesTo, Rule, RuleBook
from callcenter.tickets.workflow import ESCALATION_ROLES

ESC = "ESC"
ESC_STOPS = ("resolved", "answered", "closed")
EPSILON = dt.timedelta(microseconds=1)
RUNNING = ("open", "paused")


@dataclass(frozen=True)
class Clockwork:
    """The rule book and the working-day calendar, loaded once per operation."""

    book: RuleBook
    calendar: WorkCalendar


def escalation_rule(book: RuleBook) -> Rule:
    """The 二次投诉 escalation clock: each level gets D5's limit to resolve the case."""
    return Rule(
        id=ESC, group=ESC, title_zh="二次投诉逐级上报，限期解决",
        title_en="Second complaint: resolve within the limit or it goes one level up",
        applies_to=AppliesTo(), start="second_complaint", stop=ESC_STOPS,
        limit=book.rule("D5").limit, warn=None, breach_notify=(),
    )  # fmt: skip


def rule_of(book: RuleBook, rule_id: str) -> Rule:
    return escalation_rule(book) if rule_id == ESC else book.rule(rule_id)


def case_flags(case: Case) -> frozenset[str]:
    return frozenset(f for f, on in (("urgent", case.urgent), ("difficult", case.difficult)) if on)


def rules_started_by(book: RuleBook, case: Case, event: str) -> list[Rule]:
    rules = [
        r for r in book.applicable(case.kind, case.source, case_flags(case), case.severity)
        if r.start == event
    ]  # fmt: skip
    if event == "second_complaint":
        rules.append(escalation_rule(book))
    return rules


def clock_times(
    rule: Rule,
    started_at: dt.datetime,
    calendar: WorkCalendar,
    *,
    paused_seconds: float = 0.0,
    case_limit: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime | None, bool]:
    """(due, warn, overridden) in UTC for a clock started at ``started_at``; pure."""
    overridden = case_limit is not None and rule.case_limit_overrides
    if overridden:
        assert case_limit is not None
        due = calendar.local(case_limit)
        warn = warn_moment(rule.warn, due, calendar) if rule.warn else None
        if warn is not None and not calendar.local(started_at) < warn < due:
            warn = None
    else:
        due = due_at(rule, started_at, calendar)
        warn = warn_at(rule, started_at, calendar)
    shift = dt.timedelta(seconds=paused_seconds)
    return (
        (due + shift).astimezone(dt.UTC),
        None if warn is None else (warn + shift).astimezone(dt.UTC),
        overridden,
    )


def next_action(
    due: dt.datetime, warn: dt.datetime | None, warned_at: dt.datetime | None,
    breached_at: dt.datetime | None,
) -> dt.datetime | None:  # fmt: skip
    if breached_at is not None:
        return None
    if warn is not None and warned_at is None:
        return warn
    return due + EPSILON


async def case_info(session: AsyncSession, case: Case) -> notices.CaseInfo:
    ids = [i for i in (case.responsible_person_id, case.office_head_id) if i is not None]
    logins: dict[int, str] = {}
    if ids:
        rows = await session.execute(select(Person.id, Person.login).where(Person.id.in_(ids)))
        logins = {pid: login for pid, login in rows.all()}
    recipients = {
        "station": logins.get(case.responsible_person_id or 0),
        "office_head": logins.get(case.office_head_id or 0),
        "clerk": case.first_responder,
    }
    address = notices.address_of(case.compound, case.building, case.unit_no, case.room)
    return notices.CaseInfo(case.id, case.kind, address, recipients)


async def _running(session: AsyncSession, case_id: int) -> list[CaseDeadline]:
    stmt = select(CaseDeadline).where(CaseDeadline.case_id == case_id, CaseDeadline.stopped_at.is_(None))
    return list((await session.scalars(stmt)).all())


async def running_clocks(session: AsyncSession, case_id: int) -> list[CaseDeadline]:
    """The case's running (open or paused) clocks."""
    return await _running(session, case_id)


def cancel_clocks(rows: list[CaseDeadline], at: dt.datetime) -> None:
    """Stop ``rows`` as ``cancelled`` at ``at`` (their rule no longer applies to the case)."""
    _stop(rows, lambda rule_id: True, at, cancel=True)


async def apply_events(
    session: AsyncSession,
    case: Case,
    events: Sequence[str],
    at: dt.datetime,
    clockwork: Clockwork,
    *,
    times: Mapping[str, dt.datetime] | None = None,
) -> None:
    """Start, stop, pause, resume or cancel the case's clocks for ``events`` done at ``at``.

    ``times`` gives an earlier moment for an event (``accepted`` counts from the end of the
    call or the time the voicemail was left). Runs inside the caller's transaction.
    """
    times = times or {}
    for event in events:
        when = times.get(event, at)
        running = await _running(session, case.id)
        if event == "suspended":
            _pause(running, when)
        elif event == "resumed":
            _resume(running, when, case, clockwork)
        elif event == "closed":
            _stop(running, lambda rule_id: True, when, cancel=True)
        elif event == "reopened":  # no longer resolved: the callback clock no longer applies
            _stop(running, partial(_started_by, clockwork.book, "resolved"), when, cancel=True)
        else:
            _stop(running, partial(_stopped_by, clockwork.book, event), when)
            await session.flush()
            await _start(session, case, event, when, at, clockwork)
    await session.flush()


def _started_by(book: RuleBook, event: str, rule_id: str) -> bool:
    return rule_of(book, rule_id).start == event


def _stopped_by(book: RuleBook, event: str, rule_id: str) -> bool:
    return event in rule_of(book, rule_id).stop


def _stop(
    rows: list[CaseDeadline], stops: Callable[[str], bool], at: dt.datetime, *, cancel: bool = False
) -> None:
    for row in rows:
        try:
            if not stops(row.rule_id):
                continue
        except KeyError:  # a rule no longer in rules.toml: leave the clock to the sweep's error
            continue
        if row.state == "paused" and row.paused_at is not None:
            row.paused_seconds += (at - row.paused_at).total_seconds()
        row.state = "cancelled" if cancel else ("late" if at > row.due_at else "met")
        row.stopped_at = at
        row.next_action_at = None
        row.claimed_by = row.claim_until = None


def _pause(rows: list[CaseDeadline], at: dt.datetime) -> None:
    for row in rows:
        if row.state == "open":
            row.state, row.paused_at, row.next_action_at = "paused", at, None


def _resume(rows: list[CaseDeadline], at: dt.datetime, case: Case, clockwork: Clockwork) -> None:
    for row in rows:
        if row.state != "paused" or row.paused_at is None:
            continue
        row.paused_seconds += (at - row.paused_at).total_seconds()
        row.paused_at = None
        row.state = "open"
        retime(row, case.property_limit_at, clockwork)


def retime(row: CaseDeadline, case_limit: dt.datetime | None, clockwork: Clockwork) -> bool:
    """Recompute a running clock's due/warn/next action; True if anything changed."""
    rule = rule_of(clockwork.book, row.rule_id)
    due, warn, overridden = clock_times(
        rule, row.started_at, clockwork.calendar, paused_seconds=row.paused_seconds, case_limit=case_limit
    )
    nxt = None if row.state == "paused" else next_action(due, warn, row.warned_at, row.breached_at)
    before = (row.due_at, row.warn_at, row.next_action_at, row.overridden)
    row.due_at, row.warn_at, row.next_action_at, row.overridden = due, warn, nxt, overridden
    return before != (due, warn, nxt, overridden)


async def _start(
    session: AsyncSession, case: Case, event: str, start: dt.datetime, now: dt.datetime,
    clockwork: Clockwork,
) -> None:  # fmt: skip
    running = {row.rule_id for row in await _running(session, case.id)}
    for rule in rules_started_by(clockwork.book, case, event):
        if rule.id in running:
            continue
        due, warn, overridden = clock_times(
            rule, start, clockwork.calendar, case_limit=case.property_limit_at
        )
        level = 1 if rule.id == ESC else 0
        row = CaseDeadline(
            case_id=case.id, rule_id=rule.id, state="open", started_at=start, due_at=due,
            warn_at=warn, overridden=overridden, paused_seconds=0.0, level=level, attempts=0,
            next_action_at=next_action(due, warn, None, None),
        )  # fmt: skip
        session.add(row)
        await session.flush()
        if rule.id == ESC:
            await _tell_office_head(session, case, row, now, clockwork)


async def _tell_office_head(
    session: AsyncSession, case: Case, row: CaseDeadline, now: dt.datetime, clockwork: Clockwork
) -> None:
    info = await case_info(session, case)
    rule = escalation_rule(clockwork.book)
    rows = notices.rows_for(
        key_prefix=notices.deadline_key(row.id, "escalation", 1), kind="escalation", level=1,
        roles=(ESCALATION_ROLES[1],), case=info, deadline_id=row.id,
        title=(rule.title_zh, rule.title_en), due=row.due_at, now=now, book=clockwork.book,
        calendar=clockwork.calendar,
    )  # fmt: skip
    await notices.store(session, rows)


async def recompute_running(
    sessions: async_sessionmaker[AsyncSession], clockwork: Clockwork, *, page: int = 1000
) -> int:
    """Recompute the due times of every running clock (after a calendar change); the number
    changed. Pages by id, one short transaction per page."""
    changed = 0
    last = 0
    while True:
        async with sessions() as session, session.begin():
            stmt = (
                select(CaseDeadline, Case.property_limit_at)
                .join(Case, Case.id == CaseDeadline.case_id)
                .where(CaseDeadline.stopped_at.is_(None), CaseDeadline.id > last)
                .order_by(CaseDeadline.id)
                .limit(page)
            )
            rows = (await session.execute(stmt)).all()
            for row, limit in rows:
                try:
                    changed += retime(row, limit, clockwork)
                except KeyError:
                    continue  # unknown rule: the sweep records the error on the row
        if len(rows) < page:
            return changed
        last = rows[-1][0].id

