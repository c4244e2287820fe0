"""``http_workers = 2``: ``callcenter serve`` (every role) and one extra panel process share the
port. Clerks' connections land on both processes (checked in /proc), a login made through one
is good in the other, every clerk's live page sees the replayed call ring and end whichever
process holds its socket, a killed worker is replaced, and SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from tests.test_cli import cli, free_port
from tests.test_demo import STDERR_PROBLEMS, login
from tests.test_live_processes import PASSWORD, Process, call_changes, service_env, wait_for_panel
from tests.web.test_workers import alive

SOCKETS = 12  # clerks' live pages, each on its own TCP connection
MAX_SOCKETS = 64


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def panel_workers(pid: int) -> list[int]:
    workers = []
    for child in children(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as fh:
                if b"--panel-worker" in fh.read():
                    workers.append(child)
        except OSError:
            continue
    return workers


def established_on(port: int, pid: int) -> int:
    """How many connections to ``port`` (server side, ESTABLISHED) process ``pid`` holds."""
    return sockets_on(port, pid, "01")


def listening_on(port: int, pid: int) -> bool:
    """Whether process ``pid`` holds a listening socket on ``port``."""
    return sockets_on(port, pid, "0A") > 0


def sockets_on(port: int, pid: int, state: str) -> int:
    """How many TCP sockets on local ``port`` in ``state`` (hex, /proc/net/tcp) ``pid`` holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == state and cols[9] in inodes:
                    count += 1
    return count


async def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_two_panel_processes_share_the_port_logins_and_the_live_feed(
    db_url: str, traces: Path, tmp_path: Path
) -> None:
    web_port, ami_port = free_port(), free_port()
    env = dict(service_env(db_url), CALLCENTER_HTTP_PORT=str(web_port), CALLCENTER_HTTP_WORKERS="2",
               CALLCENTER_AMI_PORT=str(ami_port), CALLCENTER_SPOOL_DIR=str(tmp_path / "spool"))  # fmt: skip
    cli("db", "upgrade", env=env)
    subprocess.run([sys.executable, "-m", "callcenter.cli", "user", "add", "wang", "--role", "clerk",
                    "--extension", "8001", "--password-stdin"], input=PASSWORD + "\n", env=env, cwd=tmp_path,
                   capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    base = f"http://127.0.0.1:{web_port}"
    service = Process(["serve"], env, tmp_path, "service")
    pbx = None
    sessions: list[aiohttp.ClientSession] = []
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await wait_for_panel(http, base, service)
            await wait_until(lambda: len(panel_workers(service.proc.pid)) == 1, 30, "the panel worker")
            [worker] = panel_workers(service.proc.pid)
            # the worker binds the port once its app is up: wait for that, not for a guess of time
            await wait_until(lambda: listening_on(web_port, worker), 60, "the panel worker listening")
            await login(http, base, "wang", PASSWORD)
            cookies = http.cookie_jar.filter_cookies(aiohttp.client.URL(base))
            sockets = []
            held = {}
            # the same login, a new connection each time, until both processes hold some (the
            # kernel spreads them by a hash of the client port: with two listeners, 64 connections
            # all on one process has odds 2 ** -63)
            while len(sockets) < SOCKETS or not all(held.values()):
                assert len(sockets) < MAX_SOCKETS, f"every connection on one process: {held}"
                session = aiohttp.ClientSession(cookies={k: m.value for k, m in cookies.items()})
                sessions.append(session)
                ws = await session.ws_connect(f"{base}/ws/live", headers={"Origin": base})
                assert (await asyncio.wait_for(ws.receive_json(), 10))["type"] == "snapshot"
                sockets.append(ws)
                held = {pid: established_on(web_port, pid) for pid in (service.proc.pid, worker)}
            assert sum(held.values()) >= len(sockets), held
            pbx = Process(["replay", str(traces / "answered_caller_hangs_up"), "--port", str(ami_port),
                           "--speed", "20", "--username", "svc", "--secret", "pw"], env, tmp_path, "pbx")  # fmt: skip
            seen = await asyncio.gather(*(call_changes(ws) for ws in sockets))
            for changes in seen:
                kinds = [m["change"] for m in changes]
                assert kinds[0] == "ringing" and kinds[-1] == "ended" and changes[-1]["answered_by"] == "8001"
            for ws in sockets:
                await ws.close()

            os.kill(worker, signal.SIGKILL)
            await wait_until(lambda: panel_workers(service.proc.pid) not in ([], [worker]), 30, "a new worker")
            [replacement] = panel_workers(service.proc.pid)
            await wait_until(lambda: listening_on(web_port, replacement), 60, "the new worker listening")
            for _ in range(SOCKETS):
                async with aiohttp.ClientSession(cookies={k: m.value for k, m in cookies.items()}) as fresh:
                    async with fresh.get(f"{base}/api/me") as response:
                        assert response.status == 200 and (await response.json())["username"] == "wang"
    finally:
        for session in sessions:
            await session.close()
        codes = {p.log_path.stem: p.stop() for p in (service, pbx) if p is not None}
    assert codes["service"] == 0, service.stderr[-3000:]
    assert not alive(replacement), "the panel worker outlived the service"
    assert "panel worker 1: exited with -9; restarting" in service.stderr
    for problem in STDERR_PROBLEMS:
        assert problem not in service.stderr, service.stderr[-3000:]
