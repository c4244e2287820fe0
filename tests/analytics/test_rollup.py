"""The KPI rollup (callcenter.analytics.rollup, migration 0013) gives exactly the figures computed
from the call log: on a mixed data set over several days (every disposition and abandon stage,
waits on the bucket edges, missed rings, a ring attempt across UTC midnight), after late changes
of old days (a recovered call, a changed call, a ring attempt written later, a deleted call),
after the migration's backfill, and for other thresholds than the configured ones."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from callcenter.analytics import kpi, rollup
from callcenter.analytics.past import KpiRollupDay, PastCache
from callcenter.db.models import Call, CallLeg
from callcenter.db.session import create_engine, session_factory
from tests.keys import AUDIT_KEYS
from tests.web.conftest import add_call

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 21)
PERIOD = kpi.Period(dt.date(2026, 11, 14), TODAY)


def at(day: int, hour: int, minute: int = 0, second: float = 0) -> dt.datetime:
    local = dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ) + dt.timedelta(seconds=second)
    return local.astimezone(dt.UTC)


def figures(report: kpi.Report) -> dict[str, Any]:
    return {"total": report.total.as_dict(), "days": {d.isoformat(): f.as_dict() for d, f in report.by_day.items()},
            "hours": [f.as_dict() for f in report.by_hour], "weekdays": [f.as_dict() for f in report.by_weekday],
            "clerks": [c.as_dict() for c in report.clerks]}  # fmt: skip


async def missed_leg(sessions: Any, call_id: int, ext: str, rang: dt.datetime, up: dt.datetime | None = None) -> None:
    async with sessions() as db, db.begin():
        db.add(CallLeg(call_id=call_id, uniqueid=f"{call_id}.{ext}", channel=f"SIP/{ext}-1", role="agent",
                       extension=ext, created_at=rang, rang_at=rang, up_at=up, ended_at=rang + dt.timedelta(seconds=9),
                       dial_status="ANSWER" if up else "NOANSWER"))  # fmt: skip


async def mixed(sessions: Any) -> dict[str, int]:
    """Calls over a week, both sides of local and UTC midnight; returns some ids by name."""
    ids: dict[str, int] = {}
    no_answer = {"answered_by": None, "answered_at": None, "talk_seconds": 0.0}
    for day in range(14, 22):
        for hour, ring in ((0, 4.99), (7, 5.0), (8, 10.0), (15, 15.0), (23, 30.0)):
            await add_call(sessions, started_at=at(day, hour, 10), ring_seconds=ring, talk_seconds=60.0 + day,
                           answered_by="8001" if hour % 2 else "8002")  # fmt: skip
        await add_call(sessions, started_at=at(day, 9), disposition="abandoned", abandon_stage="queue",
                       ring_seconds=2.0, **no_answer)  # a short abandon  # fmt: skip
        ab = await add_call(sessions, started_at=at(day, 10), disposition="abandoned", abandon_stage="ringing",
                            ring_seconds=25.0, **no_answer)  # fmt: skip
        await missed_leg(sessions, ab, "8003", at(day, 10, 0, 1))
        await add_call(sessions, started_at=at(day, 11), disposition="abandoned", abandon_stage="voicemail",
                       ring_seconds=12.0, **no_answer)  # fmt: skip
        await add_call(sessions, started_at=at(day, 12), disposition="voicemail", ring_seconds=21.0, **no_answer)
        await add_call(sessions, started_at=at(day, 13), disposition="busy", ring_seconds=None, **no_answer)
        await add_call(sessions, started_at=at(day, 14), disposition="failed", ring_seconds=1.0, **no_answer)
        ring_all = await add_call(sessions, started_at=at(day, 16), ring_seconds=8.0, answered_by="8002")
        await missed_leg(sessions, ring_all, "8004", at(day, 16, 0, 1))  # a colleague answered: not missed
    # a call started a second before UTC midnight (08:00 local) whose phone rang after it
    ids["midnight"] = await add_call(sessions, started_at=at(18, 7, 59, 59), disposition="abandoned",
                                     abandon_stage="ringing", ring_seconds=9.0, **no_answer)  # fmt: skip
    await missed_leg(sessions, ids["midnight"], "8005", at(18, 8, 0, 3))
    ids["old"] = await add_call(sessions, started_at=at(15, 20), ring_seconds=3.0)
    return ids


def reader(sessions: Any) -> Any:
    """Sessions for reading as the panel has them (SQLite: without the writers' BEGIN IMMEDIATE)."""
    bind = sessions.kw["bind"]
    if bind.dialect.name != "sqlite":
        return sessions
    return async_sessionmaker(create_async_engine(bind.url), expire_on_commit=False)


async def both(sessions: Any, settings: kpi.KpiSettings = kpi.KpiSettings(), period: kpi.Period = PERIOD,
               **extra: Any) -> tuple[dict, dict]:  # fmt: skip
    reads = reader(sessions)
    async with reads() as db:
        rolled = await kpi.report(db, period, TZ, settings, today=TODAY, rollup=True, store=sessions, **extra)
    if reads is not sessions:
        await reads.kw["bind"].dispose()
    async with sessions() as db:
        direct = await kpi.report(db, period, TZ, settings)
    return figures(rolled), figures(direct)


async def stale(sessions: Any, settings: kpi.KpiSettings = kpi.KpiSettings()) -> list[str]:
    lo, hi = kpi.Period(PERIOD.first, TODAY - dt.timedelta(days=1)).bounds(TZ)
    async with sessions() as db:
        return [d.isoformat() for d in await rollup.stale_days(db, rollup._utc_days(lo, hi), settings)]


async def test_rollup_agrees_with_the_call_log_after_late_changes(migrated: str) -> None:
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    try:
        ids = await mixed(sessions)
        rolled, direct = await both(sessions)
        assert rolled == direct
        assert direct["total"]["offered"] > 80 and direct["total"]["short_abandons"] == 8
        assert {c["extension"]: c["missed_rings"] for c in direct["clerks"]}["8005"] == 1
        assert await stale(sessions) == []  # all rolled up now
        for first, last in ((20, 21), (19, 21), (15, 18), (17, 17)):  # short periods, one ending before today
            short = kpi.Period(dt.date(2026, 11, first), dt.date(2026, 11, last))
            rolled, direct = await both(sessions, period=short)
            assert rolled == direct and direct["total"]["offered"] > 0
        async with sessions() as db:
            assert await db.scalar(select(func.count()).select_from(KpiRollupDay)) >= 7

        # a call recovered later into an old day: that day only is stale, then agrees again
        await add_call(sessions, started_at=at(16, 11), disposition="busy", answered_by=None, answered_at=None,
                       talk_seconds=0.0, ring_seconds=None)  # fmt: skip
        assert await stale(sessions) == ["2026-11-16"]
        rolled, direct = await both(sessions)
        assert rolled == direct and await stale(sessions) == []
        # an old call changes in place (a longer wait)
        async with sessions() as db, db.begin():
            await db.execute(update(Call).where(Call.id == ids["old"]).values(ring_seconds=61.0))
        assert await stale(sessions) == ["2026-11-15"]
        rolled, direct = await both(sessions)
        assert rolled == direct and rolled["total"]["longest_wait"] == 61.0
        # the ring attempt across UTC midnight is picked up after all: the day it rang changes
        async with sessions() as db, db.begin():
            await db.execute(update(CallLeg).where(CallLeg.call_id == ids["midnight"], CallLeg.extension == "8005")
                             .values(up_at=at(18, 8, 0, 5)))  # fmt: skip
        assert await stale(sessions) == ["2026-11-18"]
        rolled, direct = await both(sessions)
        assert rolled == direct and "8005" not in {c["extension"] for c in rolled["clerks"]}
        # the call answered later (re-read from the PBX's CDR): its start day and its legs' days
        async with sessions() as db, db.begin():
            await db.execute(update(Call).where(Call.id == ids["midnight"])
                             .values(disposition="answered", answered_by="8005", talk_seconds=30.0))  # fmt: skip
        assert await stale(sessions) == ["2026-11-17", "2026-11-18"]
        rolled, direct = await both(sessions)
        assert rolled == direct
        # a deleted call
        async with sessions() as db, db.begin():
            await db.execute(delete(Call).where(Call.id == ids["old"]))
        assert "2026-11-15" in await stale(sessions)
        rolled, direct = await both(sessions, cache=PastCache())
        assert rolled == direct
    finally:
        await engine.dispose()


async def test_backfill_and_other_thresholds_agree(migrated: str) -> None:
    from alembic import command

    from callcenter.db.migrate import alembic_config, upgrade

    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    try:
        await mixed(sessions)
        async with engine.begin() as conn:  # down and up again: the backfill of migration 0013
            await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0009_notice_inbox_duty_rota"))
        await upgrade(engine)
        assert await stale(sessions) == []  # every day backfilled at its counter
        rolled, direct = await both(sessions)
        assert rolled == direct and direct["total"]["answered"] > 40
        other = kpi.KpiSettings(service_level_seconds=10.0, short_abandon_seconds=3.0)
        assert len(await stale(sessions, other)) == 8  # not rolled up for these thresholds yet
        default = direct["total"]
        rolled, direct = await both(sessions, other)
        assert rolled == direct and rolled["total"]["answered_in_sl"] < default["answered_in_sl"]
        assert rolled["total"]["short_abandons"] == default["short_abandons"]  # 2 s: short under both
    finally:
        await engine.dispose()
