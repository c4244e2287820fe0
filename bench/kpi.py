"""Wallboard and queue-figure (KPI) queries over a big call log, on SQLite or PostgreSQL.

A fresh database (SQLite file by default; ``--url`` for PostgreSQL: dropped and created afresh)
gets a year of traffic by bulk insert: ``--calls`` calls (default 100,000; ``--calls 1000000``
for the issue's figure), each with a ring-attempt leg (a second, missed one for a third of the
unanswered calls), 5 % with notes. The rollup of past days (callcenter.analytics.rollup,
migration 0013) is then built once for the whole year (what the migration's backfill does for
an existing call log; its time is printed). One client, queries in turn, each ``--repeat``
times; printed: p50/p95/p99 in ms and the ratio of p50 to a baseline measured in the same run,
``SELECT count(*)`` over the same period's calls through the same index (the least any
figure of the period can cost). Per period (day, week, month, year, all ending today):

- *report (warm)*: as the panel serves it, past days kept per process (kpi.PastCache) over
  the rollup, today from the call log;
- *first view*: a process that has kept nothing (a new PastCache each time): past days summed
  from the rollup, today from the call log;
- *after a change*: a first view right after a call of an old day (mid-period) changed: that
  day is computed again from the call log, then summed (time of the report only);
- *from calls (old)*: the same figures computed from the call log alone, as before the rollup
  (a few runs; the month and year only, it takes seconds).

The wallboard: today's board (kpi figures of today, callers waiting, clerks, missed calls not
called back) as every panel process computes it. The issue's target: p95 <= 200 ms.

Usage: python bench/kpi.py [--url URL] [--calls 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.panel import CALL_COLUMNS, NOTE_COLUMNS, bulk, caller, note_rows, percentile  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
YEAR = dt.timedelta(days=365)
TARGET_MS = 200.0
COLUMNS = (*CALL_COLUMNS, "abandon_stage")
LEG_COLUMNS = ("id", "call_id", "uniqueid", "channel", "role", "extension", "created_at", "rang_at", "up_at",
               "bridged_at", "ended_at", "hangup_cause", "dial_status")  # fmt: skip


def rows(n: int) -> tuple[Iterator[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Calls (as bench/panel.py makes them, plus the abandon stage) and their ring-attempt legs."""
    rng = random.Random(6085708)
    legs: list[tuple[Any, ...]] = []

    def calls() -> Iterator[tuple[Any, ...]]:
        step, start = YEAR / n, NOW - YEAR
        for i in range(1, n + 1):
            at = start + step * i
            outcome = rng.choices(("answered", "abandoned", "voicemail", "busy"), (70, 15, 10, 5))[0]
            talk = rng.uniform(30, 400) if outcome == "answered" else 0.0
            ring = rng.uniform(1, 40)
            ext = f"80{rng.randint(1, 10):02d}"
            answered = at + dt.timedelta(seconds=ring) if outcome == "answered" else None
            end = at + dt.timedelta(seconds=ring + talk)
            stage = rng.choice(("queue", "ringing", "voicemail")) if outcome == "abandoned" else None
            if outcome != "busy":
                legs.append((len(legs) + 1, i, f"{i}.1", f"SIP/{ext}-{i:08x}", "agent", ext, at,
                             at + dt.timedelta(seconds=0.5), answered, answered, end, "16",
                             "ANSWER" if answered else "CANCEL"))  # fmt: skip
                if outcome != "answered" and i % 3 == 0:
                    other = f"80{rng.randint(1, 10):02d}"
                    legs.append((len(legs) + 1, i, f"{i}.2", f"SIP/{other}-{i:08x}", "agent", other, at,
                                 at + dt.timedelta(seconds=0.5), None, None, end, "0", "NOANSWER"))  # fmt: skip
            yield (i, f"{at.timestamp():.0f}.{i}", "ended", "live", caller(rng), "", "6085708", at, answered, end,
                   ring, talk, ring + talk, outcome, ext if answered else None, [], False, at, stage)  # fmt: skip

    return calls(), legs


async def populate(url: str, n: int) -> None:
    t = time.perf_counter()
    calls, legs = rows(n)
    await bulk(url, "calls", COLUMNS, calls)  # fills ``legs`` as it goes
    await bulk(url, "call_legs", LEG_COLUMNS, iter(legs))
    await bulk(url, "call_notes", NOTE_COLUMNS, note_rows(n))
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        await conn.execute("VACUUM ANALYZE")
        await conn.close()
    else:
        import sqlite3

        raw = sqlite3.connect(url.split("///", 1)[1])
        raw.execute("ANALYZE")
        raw.close()
    print(f"populated: {n} calls, {len(legs)} legs, {n // 20} notes in {time.perf_counter() - t:.0f} s")


async def measure(name: str, repeat: int, run: Callable[[], Awaitable[Any]]) -> list[float]:
    await run()  # warm the caches (and the compiled statements)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        await run()
        times.append((time.perf_counter() - t) * 1000)
    return times


async def main(args: argparse.Namespace, url: str) -> int:
    from sqlalchemy import func, select, update
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from callcenter.analytics import kpi, rollup
    from callcenter.analytics.past import PastCache
    from callcenter.db.migrate import upgrade
    from callcenter.db.models import Call
    from callcenter.db.session import create_engine, session_factory
    from callcenter.web.wallboard import board

    if url.startswith("postgresql"):
        from bench.deadline_sweep import recreate_pg

        await recreate_pg(url, keep=args.reuse)
    engine = create_engine(url)
    t = time.perf_counter()
    await upgrade(engine)
    print(f"migrations: {time.perf_counter() - t:.1f} s (an existing call log: 0013 fills the rollup)")
    async with engine.connect() as conn:
        loaded = await conn.scalar(select(func.count()).select_from(Call)) if args.reuse else 0
    await engine.dispose()
    if loaded:
        print(f"reused: {loaded} calls")
    else:
        await populate(url, args.calls)
    engine = create_engine(url)
    writers = session_factory(engine)
    # the panel's read sessions (SQLite: a second engine without the writers' BEGIN IMMEDIATE)
    reader = create_async_engine(url) if url.startswith("sqlite") else engine
    reads = async_sessionmaker(reader, expire_on_commit=False)
    settings = kpi.KpiSettings()
    today = NOW.astimezone(TZ).date()
    t = time.perf_counter()
    async with writers() as db, db.begin():
        built = await rollup.refresh(db, [today - dt.timedelta(days=d) for d in range(400, 0, -1)], settings)
    print(f"rollup built: {built} days in {time.perf_counter() - t:.1f} s (the migration's backfill does this once)")
    periods = {"day": 1, "week": 7, "month": 30, "year": 365}
    print(f"{'query':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'baseline p50':>14}{'ratio':>8}  p95 <= {TARGET_MS:.0f} ms")
    ok = True
    results = []
    try:
        async with reads() as db:
            async def wallboard() -> Any:
                return await board.build(db, NOW, TZ, settings, {})

            async def today_count() -> Any:
                lo, hi = kpi.Period(today, today, until=NOW).bounds(TZ)
                return await db.scalar(select(func.count()).select_from(Call).where(Call.started_at >= lo, Call.started_at < hi))

            results.append(("wallboard (today)", await measure("wallboard", args.repeat, wallboard),
                            await measure("baseline", args.repeat, today_count)))  # fmt: skip
            for label, days in periods.items():
                period = kpi.Period(today - dt.timedelta(days=days - 1), today)
                lo, hi = period.bounds(TZ)
                cache = PastCache()

                async def report(period: kpi.Period = period) -> Any:
                    return await kpi.report(db, period, TZ, settings, cache=cache, today=today, rollup=True,
                                            store=writers)  # fmt: skip

                async def first(period: kpi.Period = period) -> Any:  # nothing kept in the process
                    return await kpi.report(db, period, TZ, settings, cache=PastCache(), today=today, rollup=True,
                                            store=writers)  # fmt: skip

                middle = NOW - dt.timedelta(days=days / 2)

                async def changed(period: kpi.Period = period, middle: dt.datetime = middle) -> Any:
                    async with writers() as w, w.begin():  # not timed: a call of an old day changes
                        ident = await w.scalar(select(Call.id).where(Call.started_at >= middle).order_by(Call.started_at).limit(1))
                        await w.execute(update(Call).where(Call.id == ident).values(ring_seconds=Call.ring_seconds + 0.5))
                    t = time.perf_counter()
                    await first(period)
                    return time.perf_counter() - t

                async def direct(period: kpi.Period = period) -> Any:  # the figures from the call log alone
                    return await kpi.report(db, period, TZ, settings)

                async def count(lo: dt.datetime = lo, hi: dt.datetime = hi) -> Any:
                    return await db.scalar(select(func.count()).select_from(Call).where(Call.started_at >= lo, Call.started_at < hi))

                base = await measure("baseline", args.repeat, count)
                results.append((f"KPI report, {label} ({days} d), warm", await measure(label, args.repeat, report), base))
                results.append(("  first view", await measure(label, args.repeat, first), base))
                if days > 1:
                    await changed()
                    took = [await changed() * 1000 for _ in range(max(3, args.repeat // 3))]
                    results.append(("  first view after a change", took, base))
                if days >= 30:
                    results.append(("  from calls (old, no rollup)", await measure(label, 3, direct), base))
    finally:
        await engine.dispose()
        if reader is not engine:
            await reader.dispose()
    for label, times, base in results:
        p50, p95, p99, b50 = (percentile(times, 50), percentile(times, 95), percentile(times, 99), percentile(base, 50))
        good = p95 <= TARGET_MS
        ok &= good or "old" in label
        print(f"{label:<34}{p50:9.1f}{p95:9.1f}{p99:9.1f}{b50:14.1f}{p50 / max(b50, 0.01):8.1f}  "
              f"{'-' if 'old' in label else 'yes' if good else 'NO'}")  # fmt: skip
    return 0 if ok else 1


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="PostgreSQL URL (a database of that name is dropped and created)")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sqlite", help="an SQLite file to use instead of a temporary one")
    parser.add_argument("--reuse", action="store_true", help="keep the database's calls if it has some")
    args = parser.parse_args()
    if args.sqlite:
        return asyncio.run(main(args, f"sqlite+aiosqlite:///{Path(args.sqlite).resolve()}"))
    if args.url:
        url = args.url.replace("postgresql://", "postgresql+asyncpg://", 1)
        return asyncio.run(main(args, url))
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as folder:
        return asyncio.run(main(args, f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"))


if __name__ == "__main__":
    sys.exit(cli())
