"""Ledger search benchmark: part of a caller number (and a name) over a large call log.

A fresh database (SQLite file by default; PostgreSQL too when ``CALLCENTER_TEST_DATABASE_URL``
is set or ``--url`` names one: that database is dropped and created afresh) gets ``--calls``
calls by bulk insert, their caller numbers in the forms carriers send (``139…``, ``+86139…``,
``0139…``, 7-digit local, ``0951…``, other areas). Then, per query kind, ``--clients``
concurrent clients (default 50) in a closed loop for ``--seconds``: each runs what the
ledger page (``GET /calls?number=…``) runs for one search, the page of 50 rows and the totals
line (``ledger.fetch_page`` + ``ledger.page_totals``) through the panel's own list readers
(SQLite: ``ThreadReads``, whole statements in threads; PostgreSQL: the asyncpg pool), then
pauses for an exponentially distributed think time of mean ``--think`` seconds (default 1 s:
50 clerks each searching about once a second, far more than a hotline does; ``--think 0``:
back to back, saturation), then searches again. Not over HTTP: ``bench/panel.py`` measures
the panel as deployed (a whole number's search included). Printed per kind: p50, p95, p99 in
ms, the number of searches, and the ratio of p50 to the baseline measured in the same run and
under the same load (the ledger's first page without a filter, an index range scan: the page
only, its totals line counts every call). The issue's target: p95 <= 100 ms at 1 M calls with 50 clients.

Usage: python bench/ledger_search.py [--calls 100000] [--million] [--clients 50] [--think 1]
       [--seconds 10] [--url URL] [--no-sqlite] [--sqlite FILE]
``--million`` loads 1,000,000 calls (SQLite: minutes, row by row through the index triggers
as the service writes them); ``--sqlite FILE`` keeps that database and reuses it when it exists.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
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

from bench.panel import bulk, percentile  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
COLUMNS = ("id", "linkedid", "status", "source", "caller_number", "caller_name", "dialed_number", "started_at",
           "ended_at", "duration_seconds", "talk_seconds", "disposition", "answered_by", "transferred_to",
           "incomplete", "updated_at")  # fmt: skip
SURNAMES = ("Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Ma", "Zhu",
            "Hu", "Guo", "He", "Gao", "Lin", "Luo")  # fmt: skip
GIVEN = ("Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao", "Ming",
         "Chao", "Xiu", "Hua", "Ping", "Gang")  # fmt: skip
# Half the calls carry a caller ID name, one of 2,000 (about 50 calls each at 200,000 calls).
NAMES = tuple(f"{s} {g}{k or ''}" for s in SURNAMES for g in GIVEN for k in range(5))
SCAN_RUNS = 5


def number(rng: random.Random) -> str:
    """A caller number in one of the forms carriers send."""
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    local = f"{rng.randint(2, 9)}{rng.randrange(10**6):06d}"
    form = rng.random()
    if form < 0.55:
        return mobile
    if form < 0.65:
        return "+86" + mobile
    if form < 0.72:
        return "0" + mobile
    if form < 0.88:
        return local
    if form < 0.95:
        return "0951" + local
    return f"0{rng.choice(('10', '21', '953', '952'))}{rng.randint(2, 9)}{rng.randrange(10**6):06d}"


def rows(n: int, numbers: list[str]) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(6085708)
    step = dt.timedelta(days=365) / n
    for i in range(1, n + 1):
        at = NOW - dt.timedelta(days=365) + step * i
        talk = rng.uniform(20, 300)
        name = rng.choice(NAMES) if rng.random() < 0.5 else ""
        yield (i, f"L{i}", "ended", "live", numbers[i - 1], name, "6085708", at,
               at + dt.timedelta(seconds=talk), talk, talk, "answered", f"80{rng.randint(1, 9):02d}", [], False, at)


async def migrated(url: str) -> None:
    """Bring a kept database to the current schema (a later migration's indexes), then ANALYZE."""
    from sqlalchemy import text

    from callcenter.db.migrate import upgrade
    from callcenter.db.session import create_engine

    engine = create_engine(url)
    started = time.perf_counter()
    await upgrade(engine)
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    print(f"migrated and analysed in {time.perf_counter() - started:.1f} s")


async def populate(url: str, n: int) -> list[str]:
    from sqlalchemy import text

    from callcenter.db.migrate import upgrade
    from callcenter.db.session import create_engine

    if url.startswith("postgresql"):
        from bench.deadline_sweep import recreate_pg

        await recreate_pg(url)
    engine = create_engine(url)
    await upgrade(engine)
    rng = random.Random(951)
    numbers = [number(rng) for _ in range(n)]
    started = time.perf_counter()
    await bulk(url, "calls", COLUMNS, rows(n, numbers))
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    print(f"{n} calls loaded in {time.perf_counter() - started:.1f} s")
    return numbers


def queries(numbers: list[str], rng: random.Random) -> dict[str, Callable[[], dict[str, str]]]:
    """Each kind: a function giving the next query's filters (random each time)."""

    def part(size: int) -> dict[str, str]:
        digits = "".join(ch for ch in rng.choice(numbers) if ch.isdigit())
        at = rng.randrange(0, len(digits) - size + 1)
        return {"number": digits[at : at + size]}

    def whole() -> dict[str, str]:
        digits = "".join(ch for ch in rng.choice(numbers) if ch.isdigit())[-11:]
        return {"number": f"+86 {digits}" if len(digits) == 11 and digits[0] == "1" else digits}

    return {
        "first page (baseline)": dict,  # the page only (see the module)
        "7 digits of a number": lambda: part(7),
        "5 digits of a number": lambda: part(5),
        "4 digits of a number": lambda: part(4),
        "a whole number, +86 form": whole,
        "a caller's name": lambda: {"name": rng.choice(NAMES)},
        "a common surname (Zhang)": lambda: {"name": "Zhang"},
        # below a trigram: a common one is walked for, one nobody has reads every name
        "two letters, common (Li)": lambda: {"name": "Li"},
        "two letters, nobody (Qx)": lambda: {"name": "Qx"},
    }


async def measure(run: Callable[[dict[str, str]], Awaitable[None]], make: Callable[[], dict[str, str]],
                  clients: int, seconds: float, think: float) -> list[float]:  # fmt: skip
    took: list[float] = []
    stop = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        await asyncio.sleep(rng.uniform(0, think))  # not all at once
        while time.perf_counter() < stop:
            query = make()
            t = time.perf_counter()
            await run(query)
            took.append((time.perf_counter() - t) * 1000)
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))

    await asyncio.gather(*(client(i) for i in range(clients)))
    return took


async def bench(url: str, numbers: list[str], clients: int, seconds: float, think: float) -> None:
    from sqlalchemy import create_engine as create_sync_engine
    from sqlalchemy import func, select

    from callcenter.db.models import Call
    from callcenter.db.session import create_engine
    from callcenter.web.calls import ledger
    from callcenter.web.calls.schemas import LedgerQuery
    from callcenter.web.list_reads import ThreadReads

    engine = create_engine(url)
    sqlite = url.startswith("sqlite")
    reads: Any = ThreadReads(create_sync_engine(url.replace("+aiosqlite", ""))) if sqlite else engine

    async def run(query: dict[str, str]) -> None:
        filters = LedgerQuery.model_validate(query).filters()
        async with reads.connect() as db:  # as the ledger page: the page, then the totals line
            page = await ledger.fetch_page(db, filters, TZ)
            if query:  # capped as on the page (its 全部统计 link counts them all: not measured here)
                await ledger.page_totals(db, filters, TZ, page, first=True, cap=ledger.TOTALS_CAP)

    rng = random.Random(5708)
    base_p50 = None
    pace = f"think time exponential, mean {think:g} s" if think else "back to back (no think time)"
    print(f"{clients} concurrent clients, closed loop, {pace}; each search = page + totals")
    print(f"{'query':<30}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'runs':>8}{'× baseline':>12}  p95 <= 100 ms")
    for kind, make in queries(numbers, rng).items():
        await run(make())  # warm
        took = await measure(run, make, clients, seconds, think)
        p50, p95, p99 = percentile(took, 50), percentile(took, 95), percentile(took, 99)
        base_p50 = base_p50 or p50
        print(f"{kind:<30}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{len(took):>8}{p50 / base_p50:>12.2f}  "
              f"{'yes' if p95 <= 100 else 'NO'}")  # fmt: skip
    scan = []
    for _ in range(SCAN_RUNS):  # the same search without the index: a full scan
        digits = queries(numbers, rng)["5 digits of a number"]()["number"]
        stmt = select(Call.id).where(func.coalesce(Call.caller_number, "").like(f"%{digits}%"))
        stmt = stmt.order_by(Call.started_at.desc(), Call.id.desc()).limit(51)
        t = time.perf_counter()
        async with reads.connect() as db:
            await db.execute(stmt)
        scan.append((time.perf_counter() - t) * 1000)
    print(f"{'5 digits, LIKE scan (no index)':<30}{percentile(scan, 50):>9.1f}{percentile(scan, 95):>9.1f}"
          f"{percentile(scan, 99):>9.1f}{len(scan):>8}{percentile(scan, 50) / (base_p50 or 1):>12.2f}  (one client)")
    if sqlite:
        reads.close()
    await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            targets.append(("SQLite", f"sqlite+aiosqlite:///{Path(args.sqlite or Path(tmp) / 'ledger.sqlite3').resolve()}"))
        pg = args.url or os.environ.get("CALLCENTER_TEST_DATABASE_URL")
        if pg:
            head, _, _ = pg.replace("postgresql://", "postgresql+asyncpg://", 1).rpartition("/")
            targets.append(("PostgreSQL", f"{head}/cc_bench_ledger"))
        for name, url in targets:
            print(f"\n== {name}: {args.calls} calls, {args.clients} clients, {args.seconds:g} s per query kind")
            if (name == "SQLite" and args.sqlite and Path(args.sqlite).exists()) or (name == "PostgreSQL" and args.reuse):
                rng = random.Random(951)  # the same numbers as the load made
                numbers = [number(rng) for _ in range(args.calls)]
                print(f"reusing the {name} database of an earlier run")
                await migrated(url)
            else:
                numbers = await populate(url, args.calls)
            await bench(url, numbers, args.clients, args.seconds, args.think)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="1,000,000 calls (takes minutes)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a client's searches, s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sqlite", help="keep the SQLite database in this file; reuse it if it exists")
    parser.add_argument("--url", help="a PostgreSQL URL (its database is dropped and created afresh)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: keep the database an earlier run loaded")
    parsed = parser.parse_args()
    if parsed.million:
        parsed.calls = 1_000_000
    asyncio.run(main(parsed))
