"""Panel benchmark: the call log, a number search and the case list under 50 concurrent clients.

A fresh database (SQLite file by default, ``--url`` for PostgreSQL: dropped and created afresh)
gets a year of traffic by bulk insert: 1,000,000 calls (5 % with notes) and 100,000 cases with
their deadline clocks (most archived, the recent ones open, some overdue). The panel then runs
as deployed (``callcenter serve --role web``, ``--workers`` processes on the port: http_workers,
default one per core) on loopback; ``--clients`` clients
each log in (their own session) and, for ``--seconds``, request back to back, in turn:
``GET /api/calls`` (the ledger's first page), ``GET /api/calls?number=…`` (a caller's calls)
and ``GET /api/cases`` (the open cases with their clocks). Prints p50/p95 per request and
whether p95 <= 100 ms.

Usage: python bench/panel.py [--url URL] [--calls 1000000] [--cases 100000] [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
YEAR = dt.timedelta(days=365)
CHUNK = 20_000
CALLERS = 300_000
PASSWORD = "bench password 6085708"
TARGET_MS = 100.0
KINDS = (("complaint", 40), ("repair", 25), ("temperature", 20), ("supervision", 8), ("consultation", 5),
         ("application", 2))  # fmt: skip
OPEN = ("accepted", "assigned", "feedback_received", "resolved", "suspended")


def caller(rng: random.Random) -> str:
    """A caller number; a few call very often (the cube skews towards low indices)."""
    return f"139{int(CALLERS * rng.random() ** 3):08d}"


# ------------------------------------------------------------------------- bulk insert


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


async def bulk(url: str, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order): COPY on PostgreSQL, executemany on SQLite."""
    count = 0
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row))
                if len(batch) == CHUNK:
                    await conn.copy_records_to_table(table, records=batch, columns=list(columns))
                    count, batch = count + len(batch), []
            if batch:
                await conn.copy_records_to_table(table, records=batch, columns=list(columns))
                count += len(batch)
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        finally:
            await conn.close()
        return count
    db = sqlite3.connect(url.split("///", 1)[1])
    try:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with db:
            for row in rows:
                db.execute(sql, tuple(_sqlite_value(v) for v in row))
                count += 1
    finally:
        db.close()
    return count


CALL_COLUMNS = ("id", "linkedid", "status", "source", "caller_number", "caller_name", "dialed_number", "started_at",
                "answered_at", "ended_at", "ring_seconds", "talk_seconds", "duration_seconds", "disposition",
                "answered_by", "transferred_to", "incomplete", "updated_at")  # fmt: skip


def call_rows(n: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(6085708)
    step = YEAR / n
    start = NOW - YEAR
    for i in range(1, n + 1):
        at = start + step * i
        outcome = rng.choices(("answered", "abandoned", "voicemail", "busy"), (70, 15, 10, 5))[0]
        talk = rng.uniform(30, 400) if outcome == "answered" else 0.0
        ring = rng.uniform(2, 25)
        yield (i, f"{at.timestamp():.0f}.{i}", "ended", "live", caller(rng), "", "6085708", at,
               at + dt.timedelta(seconds=ring) if outcome == "answered" else None,
               at + dt.timedelta(seconds=ring + talk), ring, talk, ring + talk, outcome,
               f"80{rng.randint(1, 10):02d}" if outcome == "answered" else None, [], False, at)  # fmt: skip


def note_rows(n: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(5708)
    for k, call_id in enumerate(sorted(rng.sample(range(1, n + 1), n // 20)), start=1):
        yield (k, call_id, "张伟", "湖滨花园 3号楼 2单元 501", "暖气不热，要求测温", "temperature", None, None, NOW,
               "clerk", 1)  # fmt: skip


NOTE_COLUMNS = ("id", "call_id", "caller_name", "address", "summary", "category", "called_back_at", "called_back_by",
                "updated_at", "updated_by", "version")  # fmt: skip
CASE_COLUMNS = ("id", "kind", "source", "state", "version", "category", "region", "urgent", "difficult", "caller_name",
                "caller_phone", "compound", "building", "unit_no", "room", "problem", "damage", "station_id",
                "responsible_person_id", "office_head_id", "first_responder", "created_by", "received_at",
                "created_at", "updated_at", "accepted_at", "resolved_at", "closed_at", "reopen_count",
                "second_complaints", "escalation_level")  # fmt: skip
CLOCK_COLUMNS = ("id", "case_id", "rule_id", "state", "started_at", "due_at", "stopped_at", "overridden",
                 "paused_seconds", "level", "attempts", "next_action_at")  # fmt: skip


Rows = list[tuple[Any, ...]]


def case_rows(n: int, stations: list[tuple[int, int | None, int | None]]) -> tuple[Rows, Rows]:
    """Cases spread over the year (most archived; the last two weeks open) and their clocks."""
    rng = random.Random(100_000)
    kinds, weights = zip(*KINDS, strict=True)
    cases: Rows = []
    clocks: Rows = []
    step = YEAR / n
    for i in range(1, n + 1):
        at = NOW - YEAR + step * i
        recent = NOW - at < dt.timedelta(days=14)
        state = rng.choice(OPEN) if recent or rng.random() < 0.02 else "closed"
        station, person, head = rng.choice(stations)
        done = state in ("resolved", "closed")
        cases.append((i, rng.choices(kinds, weights)[0], "phone", state, 3, "", "", False, False, "张伟", caller(rng),
                      "湖滨花园", str(rng.randint(1, 30)), "2", "501", "暖气不热", "", station, person, head, "8001",
                      "clerk", at, at, at, at, at + dt.timedelta(days=1) if done else None,
                      at + dt.timedelta(days=3) if state == "closed" else None, 0, 0, 0))  # fmt: skip
        due = at + dt.timedelta(days=2)
        stopped = None if not done and state != "closed" else at + dt.timedelta(days=1)
        running = stopped is None
        clocks.append((len(clocks) + 1, i, "D5", ("paused" if state == "suspended" else "open") if running else "met",
                       at, due, stopped, False, 0.0, 0, 0, due if running else None))  # fmt: skip
    return cases, clocks


async def populate(url: str, calls: int, cases: int) -> None:
    from sqlalchemy import select

    from callcenter.db.session import create_engine, session_factory
    from callcenter.tickets.directory import assignment_for, seed_demo
    from callcenter.tickets.models import Unit
    from callcenter.web.auth.accounts import HASHER, add_user

    engine = create_engine(url)
    sessions = session_factory(engine)
    await seed_demo(sessions)
    async with sessions() as db, db.begin():
        await add_user(db, username="bench", role="clerk", password_hash=HASHER.hash(PASSWORD), now=NOW,
                       display_name="压测专线员", extension="8001")  # fmt: skip
        units = (await db.scalars(select(Unit.id).where(Unit.kind == "station"))).all()
        found = [await assignment_for(db, u) for u in units]
    await engine.dispose()
    stations = [(a.station_id, a.responsible_person_id, a.office_head_id) for a in found]
    t = time.perf_counter()
    await bulk(url, "calls", CALL_COLUMNS, call_rows(calls))
    await bulk(url, "call_notes", NOTE_COLUMNS, note_rows(calls))
    case_list, clock_list = case_rows(cases, stations)
    await bulk(url, "cases", CASE_COLUMNS, iter(case_list))
    await bulk(url, "case_deadlines", CLOCK_COLUMNS, iter(clock_list))
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        await conn.execute("VACUUM ANALYZE")
        await conn.close()
    else:
        raw = sqlite3.connect(url.split("///", 1)[1])
        raw.execute("ANALYZE")
        raw.close()
    print(f"populated: {calls} calls, {calls // 20} notes, {cases} cases, {len(clock_list)} clocks "
          f"in {time.perf_counter() - t:.0f} s")  # fmt: skip


# ------------------------------------------------------------------------- server and clients


def start_panel(url: str, port: int, workers: int, log: Any) -> subprocess.Popen[bytes]:
    """``callcenter serve --role web`` as deployed: its own process(es), ``workers`` of them on
    the port (http_workers), a fresh session key, logs to ``log``."""
    from cryptography.fernet import Fernet

    env = {**os.environ, "CALLCENTER_DATABASE_URL": url, "CALLCENTER_HTTP_HOST": "127.0.0.1",
           "CALLCENTER_HTTP_PORT": str(port), "CALLCENTER_HTTP_WORKERS": str(workers),
           "CALLCENTER_SESSION_KEY": Fernet.generate_key().decode(), "CALLCENTER_COOKIE_SECURE": "0",
           "CALLCENTER_CONFIG": "", "CALLCENTER_OPS_PORT": ""}  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "callcenter", "serve", "--role", "web"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


async def wait_ready(base: str, server: subprocess.Popen[bytes], workers: int) -> None:
    """Until the login page answers, then long enough for every worker process to listen."""
    import aiohttp

    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the panel exited with {server.returncode}")
            try:
                async with http.get(base + "/login") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the panel did not start in 60 s")
            await asyncio.sleep(0.2)
    if workers > 1:
        await asyncio.sleep(3.0)


async def login(http: Any) -> None:
    page = await (await http.get("/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on /login"
    form = {"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    async with http.post("/login", data=form, allow_redirects=False) as response:
        assert response.status == 302, f"login failed: {response.status}"


class Connection:
    """A lean HTTP/1.1 keep-alive client: the load generator shares the machine's two cores
    with the panel, so it must cost as little as possible (an aiohttp client took a third
    of a core at 270 requests/s). GET only; every response must carry Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        self.reader, self.writer, self.head = reader, writer, head

    @classmethod
    async def open(cls, base: str, cookie: str) -> Connection:
        host, _, port = base.removeprefix("http://").rstrip("/").partition(":")
        reader, writer = await asyncio.open_connection(host, int(port or 80))
        return cls(reader, writer, f"Host: {host}:{port}\r\nCookie: {cookie}\r\n\r\n".encode())

    async def get(self, path: str) -> tuple[int, bytes]:
        self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.head)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = re.search(rb"\r\ncontent-length: *(\d+)", header, re.IGNORECASE)
        if length is None:
            raise RuntimeError(f"{path}: no Content-Length in {header[:200]!r}")
        return status, await self.reader.readexactly(int(length.group(1)))

    def close(self) -> None:
        self.writer.close()


async def session_cookie(base: str) -> str:
    """Log in through the form (aiohttp, once per client); the session cookie for the loop."""
    import aiohttp

    async with aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await login(http)
        cookies = http.cookie_jar.filter_cookies(http._base_url)  # type: ignore[attr-defined]
        return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())


async def client(base: str, go: asyncio.Event, window: list[float], think: float, numbers: list[str],
                 out: dict[str, list[float]], ready: list[int]) -> None:  # fmt: skip
    """Log in, wait for everyone, then request in turn until the window ends (``think``: mean
    pause between requests, 0 = back to back)."""
    rng = random.Random()
    conn = await Connection.open(base, await session_cookie(base))
    try:
        ready.append(1)
        await go.wait()
        kinds = ["calls", "number", "cases"]
        rng.shuffle(kinds)
        n = 0
        while (now := time.perf_counter()) < window[1]:
            kind = kinds[n % 3]
            n += 1
            path = {"calls": "/api/calls", "number": f"/api/calls?number={rng.choice(numbers)}",
                    "cases": "/api/cases"}[kind]  # fmt: skip
            t = time.perf_counter()
            status, _ = await conn.get(path)
            assert status == 200, f"{path}: {status}"
            if now >= window[0]:
                out[kind].append((time.perf_counter() - t) * 1000)
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
    finally:
        conn.close()


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by process ``root`` and its children (Linux
    /proc): the panel's cost per request, which unlike latency does not depend on what else
    the shared machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(used.get(pid, 0.0) for pid in tree)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def load(base: str, clients: int, seconds: float, think: float, server: int | None = None) -> bool:
    rng = random.Random(1)
    numbers = [caller(rng) for _ in range(2000)]
    out: dict[str, list[float]] = {"calls": [], "number": [], "cases": []}
    go, ready = asyncio.Event(), list[int]()
    window = [0.0, 0.0]
    tasks = [asyncio.create_task(client(base, go, window, think, numbers, out, ready)) for _ in range(clients)]
    while len(ready) < clients:  # every client logged in (argon2 is not what is measured)
        await asyncio.sleep(0.05)
    start = time.perf_counter()
    window[:] = [start + 3.0, start + 3.0 + seconds]
    go.set()
    await asyncio.sleep(3.0)
    cpu = tree_cpu_seconds(server) if server else 0.0
    await asyncio.gather(*tasks)
    cpu = tree_cpu_seconds(server) - cpu if server else 0.0
    ok = True
    total = sum(len(v) for v in out.values())
    pace = f"a pause of {think:.1f} s on average between requests" if think else "back to back (no pause)"
    print(f"{clients} logged-in clients, {pace}; {seconds:.0f} s after a 3 s warm-up: {total} requests, "
          f"{total / seconds:.0f}/s" + (f"; the panel used {cpu / max(1, total) * 1000:.2f} ms of CPU per request"
                                       if server else ""))  # fmt: skip
    labels = {"calls": "call log (GET /api/calls)", "number": "number search (?number=)",
              "cases": "case list (GET /api/cases)"}  # fmt: skip
    for kind, values in out.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        ok &= p95 <= TARGET_MS
        print(f"  {labels[kind]:<30} n={len(values):>6}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
              f"max {max(values):6.1f} ms")  # fmt: skip
    print(f"  target p95 <= {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return ok


async def main(args: argparse.Namespace, url: str) -> int:
    from callcenter.db.migrate import upgrade
    from callcenter.db.session import create_engine

    if url.startswith("postgresql"):
        from bench.deadline_sweep import recreate_pg

        await recreate_pg(url)
    reuse = args.sqlite_file is not None and args.sqlite_file.exists()
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    if reuse:
        print(f"reusing {args.sqlite_file} (populated by an earlier run)")
    else:
        await populate(url, args.calls, args.cases)
    port, base = args.port, f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryFile() as log:
        server = start_panel(url, port, args.workers, log)
        try:
            await wait_ready(base, server, args.workers)
            name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            print(f"database: {name}; panel: callcenter serve --role web, http_workers={args.workers} "
                  f"(process(es) on one port), on {base}/")  # fmt: skip
            results = [await load(base, args.clients, args.seconds, think, server.pid) for think in args.think]
            return 0 if results[0] else 1
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            if server.returncode not in (0, -signal.SIGTERM):
                log.seek(0)
                print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=18089)
    parser.add_argument("--think", type=float, nargs="+", default=[1.0, 0.0],
                        help="mean pause between a client's requests, s; one run each (default: 1 and 0)")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite database here; reuse it if it exists")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="panel processes on the port (http_workers; default: one per core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = args.url or f"sqlite+aiosqlite:///{args.sqlite_file or Path(tmp) / 'bench.sqlite3'}"
        sys.exit(asyncio.run(main(args, target)))
