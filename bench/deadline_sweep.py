"""Deadline sweep benchmark: 100k open cases, of which 10k are overdue.

Measures, on a fresh database (SQLite file by default, or ``--url`` for PostgreSQL):
  - idle sweep: ``Sweeper.run_once(now)`` when no clock is due (median of 20 runs; target ≤ 50 ms);
  - the overdue burst: one ``run_once`` that claims the 10k overdue clocks and writes their breach
    notices (2 per clock) and new clock state (target ≤ 5 s).

Usage: python bench/deadline_sweep.py [--url URL] [--cases 100000] [--overdue 10000]
A PostgreSQL URL names a database that is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TZ = ZoneInfo("Asia/Shanghai")
CHUNK = 5000


async def recreate_pg(url: str, *, keep: bool = False) -> None:
    """Drop and create the database of ``url``; ``keep``: only create it when it is missing."""
    import asyncpg

    head, _, name = url.replace("postgresql+asyncpg://", "postgresql://").rpartition("/")
    conn = await asyncpg.connect(f"{head}/postgres")
    try:
        if keep and await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def populate(sessions, cases: int, overdue: int, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert, select

    from callcenter.tickets.calendar import WorkCalendar
    from callcenter.tickets.clocks import clock_times, next_action
    from callcenter.tickets.directory import seed_demo
    from callcenter.tickets.models import Case, CaseDeadline, Person, Unit
    from callcenter.tickets.rulefile import load_rules

    await seed_demo(sessions)
    async with sessions() as session:
        station = await session.scalar(select(Unit.id).where(Unit.code == "hubin"))
        person = await session.scalar(select(Person.id).where(Person.login == "station-hubin"))
        head = await session.scalar(select(Person.id).where(Person.login == "head-office1"))
    d5 = load_rules().rule("D5")
    cal = WorkCalendar()
    fresh, late = now - dt.timedelta(hours=1), now - dt.timedelta(days=7)
    times = {s: clock_times(d5, s, cal) for s in (fresh, late)}
    for first in range(0, cases, CHUNK):
        ids = range(first + 1, min(first + CHUNK, cases) + 1)
        start = {i: late if i <= overdue else fresh for i in ids}
        case_rows = [dict(id=i, kind="complaint", source="phone", state="assigned", version=1,
                          caller_phone=f"139{i:08d}", compound="湖滨小区", building=str(i % 40),
                          station_id=station, responsible_person_id=person, office_head_id=head,
                          first_responder="8001", created_by="8001", received_at=start[i],
                          created_at=start[i], updated_at=start[i], accepted_at=start[i])
                     for i in ids]  # fmt: skip
        clock_rows = []
        for i in ids:
            due, warn, _ = times[start[i]]
            clock_rows.append(dict(case_id=i, rule_id="D5", state="open", started_at=start[i], due_at=due,
                                   warn_at=warn, next_action_at=next_action(due, warn, None, None)))  # fmt: skip
        async with sessions() as session, session.begin():
            await session.execute(insert(Case), case_rows)
            await session.execute(insert(CaseDeadline), clock_rows)


async def main(url: str, cases: int, overdue: int) -> None:
    from sqlalchemy import func, select, text

    from callcenter.db.migrate import upgrade
    from callcenter.db.session import create_engine, session_factory
    from callcenter.tickets.models import Outbox
    from callcenter.tickets.sweep import Sweeper

    if url.startswith("postgresql"):
        await recreate_pg(url)
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    now = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # a Tuesday
    t0 = time.perf_counter()
    await populate(sessions, cases, overdue, now)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
    print(f"database: {engine.dialect.name}; {cases} open cases, {overdue} overdue "
          f"(populated in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
    sweeper = Sweeper(sessions, name="bench")
    idle_at = now - dt.timedelta(days=8)  # before any clock is due
    idle = []
    for _ in range(20):
        t = time.perf_counter()
        assert await sweeper.run_once(idle_at) == 0
        idle.append(time.perf_counter() - t)
    print(f"idle sweep: median {statistics.median(idle) * 1000:.1f} ms, max {max(idle) * 1000:.1f} ms "
          "(target <= 50 ms)")  # fmt: skip
    t = time.perf_counter()
    handled = await sweeper.run_once(now)
    burst = time.perf_counter() - t
    async with sessions() as session:
        notices = await session.scalar(select(func.count()).select_from(Outbox))
    print(f"overdue burst: {handled} clocks claimed and escalated, {notices} notices, in {burst:.2f} s "
          "(target <= 5 s)")  # fmt: skip
    t = time.perf_counter()
    assert await sweeper.run_once(now + dt.timedelta(seconds=5)) == 0
    print(f"idle sweep after the burst: {(time.perf_counter() - t) * 1000:.1f} ms")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        asyncio.run(main(target, args.cases, args.overdue))
