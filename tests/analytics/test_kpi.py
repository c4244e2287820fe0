"""Queue and clerk figures over recorded traces replayed through the real listener, against
values counted by hand from the traces' READMEs and timelines (and, for ``load``, Asterisk's
own Master.csv)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.analytics import kpi
from callcenter.analytics.past import PastCache
from callcenter.ami.replay import ReplayServer
from callcenter.db.session import create_engine, session_factory
from callcenter.service import CallLogService
from callcenter.tickets.cases import NewCase, create_case
from tests.ami.harness import service_config, settle
from tests.keys import AUDIT_KEYS

TZ = ZoneInfo("Asia/Shanghai")
SCENARIOS = ["answered_caller_hangs_up", "abandoned_while_ringing", "anonymous_caller", "voicemail",
             "busy_or_unavailable", "blind_transfer", "attended_transfer", "timestamped_answered"]  # fmt: skip


async def _replay(db_url: str, traces: list[Path], calls: int, speed: float = 25, master: Path | None = None) -> None:
    async with ReplayServer(traces, speed=speed, inject_timestamps=True, cdr_out=master) as pbx:
        service = CallLogService(service_config(db_url, pbx.port, cdr_csv=master))
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 180)
            await settle(service, db_url, calls, timeout=60)
        finally:
            await service.stop()


def _around_now() -> kpi.Period:
    today = dt.datetime.now(TZ).date()
    return kpi.Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1))


async def _report(db_url: str, settings: kpi.KpiSettings = kpi.KpiSettings()) -> kpi.Report:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine, AUDIT_KEYS)() as db:
            return await kpi.report(db, _around_now(), TZ, settings)
    finally:
        await engine.dispose()


@pytest.fixture
async def scenarios(migrated: str, traces: Path) -> str:
    await _replay(migrated, [traces / s for s in SCENARIOS], 10)
    return migrated


async def test_every_figure_of_the_eight_scenarios(scenarios: str) -> None:
    """By hand (waits and talk from the READMEs/timelines, rounded as the call log keeps them):
    answered: answered_caller_hangs_up (wait 3.0, talk 10.0, 8001), anonymous_caller (3.0, 6.0, 8001),
    blind_transfer (3.0, 22.0 incl. the station, 8001), attended_transfer (3.0, 17.2, 8001),
    timestamped_answered (2.0, 8.0, 8002); abandoned while ringing after 8.0 s; voicemail after
    the 15 s queue timeout; busy: A (queue retries for 16.0 s), B (plain Dial, 0 s), C (15.0 s)."""
    report = await _report(scenarios)
    t = report.total
    assert (t.offered, t.answered, t.abandoned, t.voicemail, t.busy, t.failed) == (10, 5, 1, 1, 3, 0)
    assert (t.abandoned_ringing, t.abandoned_queue, t.abandoned_voicemail, t.short_abandons) == (1, 0, 0, 0)
    assert t.answered_in_sl == 5 and t.service_level == 50.0  # 5 of 10 answered within 20 s
    assert t.abandon_rate == 10.0
    assert t.asa == 2.8  # (3.01 + 3.01 + 3.01 + 3.01 + 2.01) / 5
    assert t.aht == 12.6  # (10.0 + 6.0 + 22.0 + 17.2 + 8.0) / 5
    assert t.longest_wait is not None and 16.0 <= t.longest_wait <= 16.1  # busy call A
    assert t.waits == [5, 0, 0, 0, 0]
    clerks = {c.extension: c for c in report.clerks}
    assert set(clerks) == {"8001", "8002"}  # the station 8101 answered a transfer, not the queue
    assert (clerks["8001"].answered, round(clerks["8001"].talk)) == (4, 55)
    assert (clerks["8002"].answered, round(clerks["8002"].talk)) == (1, 8)
    # rang and nobody on that phone picked up: the abandoned call and the voicemail call, each
    # on both phones; a phone that stopped ringing because the colleague answered is no miss; the
    # busy calls never rang (486, no answer from the unreachable phones)
    assert (clerks["8001"].missed_rings, clerks["8002"].missed_rings) == (2, 2)
    # every grouping adds up to the total
    for parts in (report.by_hour, report.by_weekday, list(report.by_day.values())):
        assert kpi.merge(parts).as_dict() == t.as_dict()


async def test_thresholds_are_settings(scenarios: str) -> None:
    # the abandoned call waited 8.0 s: a short abandon under a 10 s threshold, out of both rates
    report = await _report(scenarios, kpi.KpiSettings(service_level_seconds=20, short_abandon_seconds=10))
    assert (report.total.short_abandons, report.total.abandon_rate, report.total.service_level) == (1, 0.0, 55.6)
    # answered within 2.5 s: only timestamped_answered (2.01 s); within 3.0 s: the same
    for seconds in (2.5, 3.0):
        report = await _report(scenarios, kpi.KpiSettings(service_level_seconds=seconds))
        assert report.total.answered_in_sl == 1 and report.total.service_level == 10.0


async def test_cases_opened_count_for_their_first_responsible_clerk(scenarios: str) -> None:
    engine = create_engine(scenarios)
    sessions = session_factory(engine, AUDIT_KEYS)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        for responder in ("8001", "8001", "8002"):
            await create_case(sessions, NewCase(kind="complaint", source="phone", caller_phone="13909511234",
                                                first_responder=responder), actor="clerk", role="clerk", now=now,
                              accept=True)  # fmt: skip
        await create_case(sessions, NewCase(kind="repair", source="phone", first_responder="8001"), actor="clerk",
                          role="clerk", now=now, accept=False)  # a draft: not opened  # fmt: skip
        async with sessions() as db:
            figures = await kpi.call_figures(db, *(_around_now().first, _around_now().last), TZ)
    finally:
        await engine.dispose()
    per_clerk = {c["extension"]: c for c in figures["clerks"]}
    assert (per_clerk["8001"]["cases_opened"], per_clerk["8002"]["cases_opened"]) == (2, 1)
    assert (figures["offered"], figures["answered"], figures["service_level"]) == (10, 5, 50.0)


async def test_load_trace_against_asterisks_own_cdr(migrated: str, traces: Path, tmp_path: Path) -> None:
    """300 calls by plain Dial, each answered after ~0.5 s of ringing, 2–3 s of talk (at speed 5:
    before the recorder's fix, 6-26 of them stayed open)."""
    await _replay(migrated, [traces / "load"], 300, speed=5)
    with open(traces / "load" / "cdr.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    per_phone = Counter(r[6].split("/")[1].split("-")[0] for r in rows if r[14] == "ANSWERED")
    billsec = sum(int(r[13]) for r in rows)
    report = await _report(migrated)
    t = report.total
    assert (t.offered, t.answered, t.abandoned, t.voicemail, t.busy) == (300, 300, 0, 0, 0)
    assert t.service_level == 100.0 and t.waits == [300, 0, 0, 0, 0]
    assert t.asa is not None and t.asa < 1.0
    assert t.aht is not None and 2.0 <= t.aht <= 3.2
    assert abs(t.talk - billsec) <= 300  # CDR billsec is whole seconds, truncated
    assert {c.extension: c.answered for c in report.clerks} == dict(per_phone)
    assert all(c.missed_rings == 0 for c in report.clerks)


async def test_period_bounds_are_local_days(migrated: str) -> None:
    """A call at 23:59:59 local is on its day; one at 00:00:00 on the next (Asia/Shanghai)."""
    from tests.web.conftest import add_call

    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    try:
        late = dt.datetime(2026, 11, 20, 23, 59, 59, tzinfo=TZ)
        await add_call(sessions, started_at=late.astimezone(dt.timezone.utc))
        await add_call(sessions, started_at=(late + dt.timedelta(seconds=1)).astimezone(dt.timezone.utc),
                       disposition="abandoned", abandon_stage="queue", answered_by=None, answered_at=None,
                       talk_seconds=0.0, ring_seconds=2.0)  # fmt: skip
        async with sessions() as db:
            one = await kpi.report(db, kpi.Period(dt.date(2026, 11, 20), dt.date(2026, 11, 20)), TZ, kpi.KpiSettings())
            two = await kpi.report(db, kpi.Period(dt.date(2026, 11, 20), dt.date(2026, 11, 21)), TZ, kpi.KpiSettings())
    finally:
        await engine.dispose()
    assert (one.total.offered, one.total.answered) == (1, 1)
    assert one.by_hour[23].answered == 1 and one.by_weekday[4].offered == 1  # a Friday
    assert two.by_day[dt.date(2026, 11, 21)].short_abandons == 1  # 2 s < 5 s
    assert (two.total.abandon_rate, two.total.service_level) == (0.0, 100.0)  # 1 counted call


async def test_past_days_kept_while_unchanged(migrated: str) -> None:
    """The panel keeps the figures of past days (kpi.PastCache) and reads today afresh; a call
    recovered later into a past day, or a past call that changes, is seen at once."""
    from tests.web.conftest import add_call

    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    today = dt.date(2026, 11, 21)
    at = lambda day, hour: dt.datetime(2026, 11, day, hour, tzinfo=TZ).astimezone(dt.timezone.utc)  # noqa: E731
    period, cache, settings = kpi.Period(dt.date(2026, 11, 15), today), PastCache(), kpi.KpiSettings()
    try:
        await add_call(sessions, started_at=at(16, 10))
        await add_call(sessions, started_at=at(21, 9))
        async with sessions() as db:
            first = await kpi.report(db, period, TZ, settings, cache=cache, today=today)
            again = await kpi.report(db, period, TZ, settings, cache=cache, today=today)
        assert (cache.misses, cache.hits) == (1, 1) and first.total.as_dict() == again.total.as_dict()
        await add_call(sessions, started_at=at(21, 10))  # today: always read afresh
        late = await add_call(sessions, started_at=at(17, 11), disposition="busy", answered_by=None,
                              answered_at=None, talk_seconds=0.0)  # recovered into a past day  # fmt: skip
        async with sessions() as db:
            now = await kpi.report(db, period, TZ, settings, cache=cache, today=today)
            plain = await kpi.report(db, period, TZ, settings)
        assert (now.total.offered, now.total.busy, now.by_day[dt.date(2026, 11, 17)].busy) == (4, 1, 1)
        assert now.total.as_dict() == plain.total.as_dict() and cache.misses == 2
        from sqlalchemy import update

        from callcenter.db.models import Call

        async with sessions() as db, db.begin():  # a past call changes in place
            await db.execute(update(Call).where(Call.id == late).values(ring_seconds=40.0))
        async with sessions() as db:
            changed = await kpi.report(db, period, TZ, settings, cache=cache, today=today)
        assert changed.total.longest_wait == 40.0 and cache.misses == 3
    finally:
        await engine.dispose()
