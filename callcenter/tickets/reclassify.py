"""Deadline clocks after a case is reclassified: its kind, severity or flags corrected.

Which rules a case is under follows from its kind, source, flags and severity
(:meth:`RuleBook.applicable`). When one of them is corrected on an accepted case, its clocks
follow the new classification as if the case had been classified so from the start:

* a rule that applies before and after keeps its clock untouched (same rule, same due time);
* a running clock of a rule that no longer applies is cancelled (stopped now, ``cancelled``);
* a rule that applies only now gets the clock it would have had, **replayed** from the case's
  history (``case_events``): started by the last occurrence of its start event that no stop
  event followed, paused over the suspensions since, its due and warning times from the same
  pure functions as every clock (:func:`~callcenter.tickets.clocks.clock_times`, so a later
  calendar change recomputes it like any other). Such a clock can be overdue at once: under
  its true classification the case *is* late, and the sweep reports it as usual.

The replay (:func:`occurrences`, :func:`replay`) is pure; :func:`reclassify_in` applies it in
the caller's transaction (the correction's, guarded by the case version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.tickets import workflow
from callcenter.tickets.clocks import (
    Clockwork,
    cancel_clocks,
    case_flags,
    clock_times,
    next_action,
    running_clocks,
)
from callcenter.tickets.models import Case, CaseDeadline, CaseEvent
from callcenter.tickets.ruleset import Rule

REOPENED_FROM = frozenset({"resolved", "called_back"})


@dataclass(frozen=True)
class Classification:
    """What decides the rules of a case (besides its source, which is not corrected)."""

    kind: str
    severity: str | None
    flags: frozenset[str]


@dataclass(frozen=True)
class Replayed:
    """The clock a rule would have now: when it started, paused time so far, paused since."""

    rule_id: str
    started_at: dt.datetime
    paused_seconds: float
    paused_at: dt.datetime | None


@dataclass(frozen=True)
class Reclocked:
    """What a reclassification did to the running clocks (rule ids, sorted)."""

    before: list[str]
    after: list[str]

    @property
    def changed(self) -> bool:
        return self.before != self.after


def classification(case: Case) -> Classification:
    return Classification(case.kind, case.severity, case_flags(case))


def _emitted(e: CaseEvent, case: Case) -> list[tuple[str, dt.datetime]]:
    """The clock events one history row stands for, with their moments (as ``transition_in``
    and ``create_in`` applied them)."""
    if e.action == "create":
        at = case.department_received_at
        return [("received_by_department", at)] if at is not None else []
    if e.action == "discard":
        return [("closed", e.at)]
    action = workflow.ACTIONS.get(e.action)
    if action is None:  # edits and other records move no clock
        return []
    early = {"accepted": case.received_at, "forwarded_to_hotline": case.received_at} if e.action == "accept" else {}
    out = [(name, early.get(name, e.at)) for name in action.emits]
    if e.from_state in REOPENED_FROM and e.to_state == "assigned":
        out.append(("reopened", e.at))
    return out


def occurrences(events: Sequence[CaseEvent], case: Case) -> list[tuple[str, dt.datetime]]:
    """Every clock event of the case's history, in the order it happened (pure)."""
    return [item for e in sorted(events, key=lambda e: e.id) for item in _emitted(e, case)]


def replay(rule: Rule, history: Sequence[tuple[str, dt.datetime]]) -> Replayed | None:
    """The running clock ``rule`` would have after ``history``; None if it would not run (pure).

    Mirrors :func:`~callcenter.tickets.clocks.apply_events`: a stop event ends the clock, then a
    start event starts it unless it runs; ``suspended``/``resumed`` pause and resume it,
    ``closed`` cancels it, ``reopened`` cancels a clock started by ``resolved``."""
    start: dt.datetime | None = None
    paused, paused_at = 0.0, None
    for event, at in history:
        if event == "suspended":
            paused_at = at if start is not None and paused_at is None else paused_at
        elif event == "resumed":
            if paused_at is not None:
                paused, paused_at = paused + (at - paused_at).total_seconds(), None
        elif event == "closed" or (event == "reopened" and rule.start == "resolved"):
            start, paused_at = None, None
        else:
            if start is not None and event in rule.stop:
                start, paused_at = None, None
            if start is None and event == rule.start:
                start, paused, paused_at = at, 0.0, None
    return None if start is None else Replayed(rule.id, start, paused, paused_at)


def _new_clock(case: Case, found: Replayed, rule: Rule, clockwork: Clockwork) -> CaseDeadline:
    due, warn, overridden = clock_times(rule, found.started_at, clockwork.calendar,
                                        paused_seconds=found.paused_seconds, case_limit=case.property_limit_at)  # fmt: skip
    paused = found.paused_at is not None
    return CaseDeadline(
        case_id=case.id, rule_id=rule.id, state="paused" if paused else "open", started_at=found.started_at,
        due_at=due, warn_at=warn, overridden=overridden, paused_at=found.paused_at,
        paused_seconds=found.paused_seconds, level=0, attempts=0,
        next_action_at=None if paused else next_action(due, warn, None, None),
    )  # fmt: skip


async def reclassify_in(
    session: AsyncSession, case: Case, old: Classification, now: dt.datetime, clockwork: Clockwork
) -> Reclocked:
    """Make the running clocks of ``case`` (already reclassified) follow its new rules."""
    book = clockwork.book
    new = classification(case)
    before = {r.id for r in book.applicable(old.kind, case.source, old.flags, old.severity)}
    after = {r.id for r in book.applicable(new.kind, case.source, new.flags, new.severity)}
    running = await running_clocks(session, case.id)
    was = sorted(row.rule_id for row in running)
    cancel_clocks([row for row in running if row.rule_id in before - after], now)
    still = {row.rule_id for row in running if row.stopped_at is None}
    events = (await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))).all()
    history = occurrences(list(events), case)
    for rule_id in sorted(after - before - still):
        found = replay(book.rules[rule_id], history)
        if found is not None:
            session.add(_new_clock(case, found, book.rules[rule_id], clockwork))
            still.add(rule_id)
    await session.flush()
    return Reclocked(was, sorted(still))
