"""The demo's seeded cases (issue 10 point 12): every state, some overdue, some due soon, a
second complaint, chasing, notices, a duty shift; idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from callcenter.tickets.demo_cases import CALLERS, seed_cases
from callcenter.tickets.models import Case, CaseDeadline, CaseEvent, Outbox
from tests.tickets.conftest import at

NOW = at("2026-11-25 10:00")  # a Wednesday


async def test_the_demo_seeds_a_realistic_set(sessions) -> None:
    assert await seed_cases(sessions, NOW) == 11
    async with sessions() as db:
        cases = (await db.scalars(select(Case))).all()
        clocks = (await db.scalars(select(CaseDeadline))).all()
        notices = (await db.scalars(select(Outbox))).all()
        actions = Counter((await db.scalars(select(CaseEvent.action))).all())
    states = Counter(c.state for c in cases)
    assert {"accepted", "assigned", "feedback_received", "resolved", "closed", "suspended"} <= set(states)
    assert len({c.caller_phone for c in cases}) == len(CALLERS)
    running = [d for d in clocks if d.stopped_at is None and d.state == "open"]
    assert any(d.due_at < NOW for d in running) and any(NOW < d.due_at < NOW + timedelta(hours=24) for d in running)
    assert {d.rule_id for d in running if d.due_at < NOW} >= {"D2", "D5"}
    assert actions["second_complaint"] == 1 and actions["chase"] == 1
    kinds = Counter(n.kind for n in notices)
    assert kinds["breach"] and kinds["instruction"] and kinds["chase"] and kinds["escalation"]
    assert any(n.recipient_role == "duty" and n.recipient == "clerk" for n in notices)  # the shift's clerk
    assert max(c.escalation_level for c in cases) >= 1
    assert await seed_cases(sessions, NOW) == 0  # idempotent


def test_the_demo_replay_varies_the_callers(traces, monkeypatch) -> None:
    """Issue 10 point 12: the replayed calls come from several numbers, not one."""
    from itertools import islice

    from callcenter.ami.playlist import timeline
    from callcenter.ami.replay import ReplayServer
    from callcenter.demo import DEMO_TRACES, VariedCallers

    seen: list[str] = []
    monkeypatch.setattr(ReplayServer, "run_step", lambda self, step: seen.extend(
        v for k, v in (step.message.headers if step.message else ()) if k == "CallerIDNum"))
    server = VariedCallers([traces / name for name in DEMO_TRACES], loop=True)
    for step in islice(timeline(server.traces, loop=True), 4000):
        server.run_step(step)
    callers = {v for v in seen if v.isdigit() and len(v) == 11}
    assert len(callers) >= 4 and callers <= set(CALLERS)
    assert any(not (v.isdigit() and len(v) == 11) for v in seen)  # extensions and "anonymous" stay
