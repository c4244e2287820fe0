"""AMI ingest benchmark: the full pipeline vs bare panoramisk on the same bytes.

Phase 1 (throughput): the load trace (300 real calls) is scaled up by rewriting its
uniqueids/linkedids to N copies (default 334 → 100,200 calls) and streamed over loopback
TCP as fast as the reader takes it, from a separate process. Measured in the same run:
  - bare panoramisk: Manager + one callback on "*" doing nothing (receive + dispatch);
  - the full pipeline: CallLogService (listener → recorder → SQLite) until every call is
    committed.
Phase 2 (latency): the load trace paced at 10x the hotline's peak (2,000 calls/h →
20,000 calls/h = 5.6 calls/s) through the full pipeline; hangup → commit latency p50/p99.

Usage: python bench/ami_ingest.py [--copies N] [--latency-seconds S]
The last line reads ``ratio: X`` (full pipeline events/s ÷ bare panoramisk events/s).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing as mp
import re
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOAD = ROOT.parent / "shared" / "ami-traces" / "load"
ID = re.compile(rb"\b(1\d{9})\.(\d+)\b")
LOGIN_OK = b"Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n"


def load_messages() -> tuple[list[bytes], list[float]]:
    """The recorded messages (without banner, login response, first FullyBooted) + offsets."""
    import json

    raw = gzip.open(LOAD / "ami.raw.gz").read()
    body = raw.split(b"\r\n", 1)[1]
    messages = [m + b"\r\n\r\n" for m in body.split(b"\r\n\r\n") if m.strip()][2:]
    times = [json.loads(line)["t"] for line in gzip.open(LOAD / "ami.jsonl.gz", "rt")][2:]
    assert len(times) == len(messages), (len(times), len(messages))
    return messages, times


def template(blob: bytes) -> tuple[list[bytes], list[tuple[int, bytes]]]:
    """Split ``blob`` around every id so copies can be rendered by a fast join."""
    parts, ids, last = [], [], 0
    for m in ID.finditer(blob):
        parts.append(blob[last : m.start()])
        ids.append((int(m.group(1)), m.group(2)))
        last = m.end()
    parts.append(blob[last:])
    return parts, ids


def render(parts: list[bytes], ids: list[tuple[int, bytes]], k: int) -> bytes:
    out = [parts[0]]
    shift = k * 1000
    for (epoch, seq), part in zip(ids, parts[1:]):
        out.append(b"%d.%s" % (epoch + shift, seq))
        out.append(part)
    return b"".join(out)


def _answer_actions(conn: socket.socket, stop: list[bool]) -> None:
    buf = b""
    while not stop[0]:
        try:
            data = conn.recv(65536)
        except OSError:
            return
        if not data:
            return
        buf += data
        while b"\r\n\r\n" in buf:
            block, buf = buf.split(b"\r\n\r\n", 1)
            headers = dict(ln.split(b": ", 1) for ln in block.split(b"\r\n") if b": " in ln)
            aid = headers.get(b"ActionID", b"")
            if headers.get(b"Action", b"").lower() == b"coreshowchannels":
                reply = (b"Response: Success\r\nActionID: " + aid + b"\r\nEventList: start\r\n\r\n"
                         b"Event: CoreShowChannelsComplete\r\nActionID: " + aid
                         + b"\r\nEventList: Complete\r\nListItems: 0\r\n\r\n")  # fmt: skip
            elif headers.get(b"Action", b"").lower() == b"login":
                reply = LOGIN_OK % aid
            else:
                reply = b"Response: Success\r\nActionID: " + aid + b"\r\nPing: Pong\r\n\r\n"
            conn.sendall(reply)


def pbx_process(port_q: mp.Queue, copies: int, paced_rate: float, paced_seconds: float) -> None:
    """A fake PBX in its own process: login, then the stream (flat out, or paced)."""
    import threading

    messages, times = load_messages()
    srv = socket.create_server(("127.0.0.1", 0))
    port_q.put(srv.getsockname()[1])
    conn, _ = srv.accept()
    conn.sendall(b"Asterisk Call Manager/9.0.0\r\n")
    stop = [False]
    threading.Thread(target=_answer_actions, args=(conn, stop), daemon=True).start()
    time.sleep(0.3)  # login answered by the thread
    if paced_rate <= 0:
        parts, ids = template(b"".join(messages))
        for k in range(copies):
            conn.sendall(render(parts, ids, k))
    else:
        # 300 calls in ~60 s recorded (5 calls/s): play at paced_rate calls/s.
        speed = paced_rate / 5.0
        start = time.monotonic()
        k = 0
        while time.monotonic() - start < paced_seconds:
            base = time.monotonic()
            for msg, t in zip(messages, times):
                delay = base + t / speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                conn.sendall(render(*template(msg), k) if k else msg)
                if time.monotonic() - start > paced_seconds:
                    break
            k += 1
    port_q.put("sent")
    conn.recv(1)  # until the client closes
    stop[0] = True


def start_pbx(copies: int, rate: float = 0.0, seconds: float = 0.0) -> tuple[mp.Process, mp.Queue, int]:
    q: mp.Queue = mp.Queue()
    proc = mp.Process(target=pbx_process, args=(q, copies, rate, seconds), daemon=True)
    proc.start()
    return proc, q, q.get(timeout=60)


async def bare_panoramisk(copies: int, expected_messages: int) -> float:
    from panoramisk import Manager

    proc, q, port = start_pbx(copies)
    seen = 0
    done = asyncio.Event()
    t0 = 0.0

    def on_event(_m: object, _msg: object) -> None:
        nonlocal seen, t0
        if seen == 0:
            t0 = time.perf_counter()
        seen += 1
        if seen >= expected_messages:
            done.set()

    manager = Manager(host="127.0.0.1", port=port, username="callcenter", secret="x", ping_delay=10**6)
    manager.register_event("*", on_event)
    manager.connect()
    await asyncio.wait_for(done.wait(), 3600)
    elapsed = time.perf_counter() - t0
    manager.close()
    proc.terminate()
    return seen / elapsed


async def full_pipeline(copies: int, expected_messages: int, calls: int) -> tuple[float, dict]:
    from callcenter.config import load_config
    from callcenter.service import CallLogService
    from tests.ami.harness import counts

    tmp = tempfile.mkdtemp()
    url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
    proc, q, port = start_pbx(copies)
    service = CallLogService(load_config(env={}, database_url=url, ami_port=port, ami_ping_interval=3600.0))
    await service.start()
    t0 = None
    while True:
        await asyncio.sleep(0.01)
        if t0 is None and service.link.received:
            t0 = time.perf_counter() - 0.005
        if service.recorder.counters["calls_logged"] >= calls:
            break
    elapsed = time.perf_counter() - (t0 or 0)
    ended, _ = await counts(url)
    await service.stop()
    proc.terminate()
    return service.link.received / elapsed, {"calls": ended, "seconds": elapsed}


async def latency(seconds: float) -> list[float]:
    from callcenter.config import load_config
    from callcenter.service import CallLogService

    tmp = tempfile.mkdtemp()
    url = f"sqlite+aiosqlite:///{tmp}/latency.sqlite3"
    proc, q, port = start_pbx(1, rate=20_000 / 3600, seconds=seconds)
    service = CallLogService(load_config(env={}, database_url=url, ami_port=port, ami_ping_interval=3600.0))
    await service.start()
    await asyncio.get_running_loop().run_in_executor(None, q.get)  # "sent"
    await asyncio.sleep(2)
    await service.stop()
    proc.terminate()
    return service.recorder.latencies


def timed(fn):  # type: ignore[no-untyped-def]
    """(fn(), CPU seconds this process spent in it, all threads)."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    result = fn()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return result, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=334, help="copies of the 300-call trace")
    parser.add_argument("--latency-seconds", type=float, default=60.0)
    args = parser.parse_args()
    messages, _ = load_messages()
    total = len(messages) * args.copies
    calls = 300 * args.copies
    print(f"stream: {args.copies} x {len(messages)} messages = {total:,} messages, {calls:,} calls", flush=True)
    # The machine is shared: the baseline is measured before AND after the pipeline, and
    # CPU time (this process, all threads) is reported beside wall time.
    before, cpu_before = timed(lambda: asyncio.run(bare_panoramisk(args.copies, total)))
    print(f"bare panoramisk receive+dispatch (before): {before:,.0f} events/s, "
          f"{total / cpu_before:,.0f} events per CPU-second", flush=True)  # fmt: skip
    (full, info), cpu_full = timed(lambda: asyncio.run(full_pipeline(args.copies, total, calls)))
    print(f"full pipeline (listener+state machine+SQLite): {full:,.0f} events/s, "
          f"{total / cpu_full:,.0f} events per CPU-second; "
          f"{info['calls']:,} calls committed in {info['seconds']:.1f} s", flush=True)  # fmt: skip
    after, cpu_after = timed(lambda: asyncio.run(bare_panoramisk(args.copies, total)))
    print(f"bare panoramisk receive+dispatch (after): {after:,.0f} events/s, "
          f"{total / cpu_after:,.0f} events per CPU-second", flush=True)  # fmt: skip
    bare = (before + after) / 2
    print(f"ratio by CPU time: {(total / cpu_full) / (2 * total / (cpu_before + cpu_after)):.2f}")
    lat = sorted(asyncio.run(latency(args.latency_seconds)))
    if lat:
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        print(f"hangup->commit at 20,000 calls/h ({len(lat)} calls): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"ratio: {full / bare:.2f}")


if __name__ == "__main__":
    main()
