"""The live feed with the service split over processes: ``serve --role listener`` and
``serve --role web`` share one database, and a clerk logged in to the web process sees the
listener's calls ring and end on /ws/live (through callcenter.live.bridge)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import aiohttp
from cryptography.fernet import Fernet

from tests.test_cli import cli, free_port
from tests.test_demo import STDERR_PROBLEMS, login

LINKEDID = "1795898248.0"  # the call of the answered_caller_hangs_up trace
PASSWORD = "correct horse battery"


class Process:
    """``callcenter ...`` in a subprocess; its stderr goes to a file (no pipe to fill)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> None:
        self.log_path = cwd / f"{name}.log"
        self._log: IO[str] = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "callcenter.cli", *args], env=env, cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=self._log)  # fmt: skip

    @property
    def stderr(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.log_path.stem} did not stop on SIGTERM:\n{self.stderr[-3000:]}") from None
        finally:
            self._log.close()


def service_env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env.update(CALLCENTER_DATABASE_URL=db_url, CALLCENTER_SESSION_KEY=Fernet.generate_key().decode(),
               CALLCENTER_COOKIE_SECURE="false", CALLCENTER_AMI_USERNAME="svc", CALLCENTER_AMI_SECRET="pw",
               CALLCENTER_AMI_RECONNECT_MIN="0.1")  # fmt: skip
    return env


async def wait_for_panel(http: aiohttp.ClientSession, base: str, web: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert web.proc.poll() is None, f"the web process exited:\n{web.stderr[-3000:]}"
        try:
            async with http.get(f"{base}/login") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        assert time.monotonic() < deadline, f"no panel within {timeout:g} s:\n{web.stderr[-3000:]}"
        await asyncio.sleep(0.2)


async def call_changes(ws: aiohttp.ClientWebSocketResponse, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The socket's call messages for LINKEDID, up to and including "ended"."""
    changes: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not changes or changes[-1]["change"] != "ended":
        try:
            msg = await asyncio.wait_for(ws.receive(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise AssertionError(f"no ended call within {timeout:g} s; got {changes}") from None
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        message = msg.json()
        if message.get("type") == "call" and message.get("linkedid") == LINKEDID:
            changes.append(message)
    return changes


async def test_the_web_process_shows_the_listener_process_calls(db_url: str, traces: Path, tmp_path: Path) -> None:
    env = service_env(db_url)
    cli("db", "upgrade", env=env)
    subprocess.run([sys.executable, "-m", "callcenter.cli", "user", "add", "wang", "--role", "clerk",
                    "--extension", "8001", "--password-stdin"], input=PASSWORD + "\n", env=env, cwd=tmp_path,
                   capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    web_port, ami_port = free_port(), free_port()
    base = f"http://127.0.0.1:{web_port}"
    web = Process(["serve", "--role", "web"], dict(env, CALLCENTER_HTTP_PORT=str(web_port)), tmp_path, "web")
    pbx = listener = None
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await wait_for_panel(http, base, web)
            await login(http, base, "wang", PASSWORD)
            async with http.ws_connect(f"{base}/ws/live", headers={"Origin": base}) as ws:
                first = await asyncio.wait_for(ws.receive_json(), 10)
                assert first["type"] == "snapshot"
                pbx = Process(["replay", str(traces / "answered_caller_hangs_up"), "--port", str(ami_port),
                               "--speed", "20", "--username", "svc", "--secret", "pw"], env, tmp_path, "pbx")  # fmt: skip
                listener = Process(["serve", "--role", "listener"], dict(env, CALLCENTER_AMI_PORT=str(ami_port),
                                   CALLCENTER_HTTP_PORT=str(free_port())), tmp_path, "listener")  # fmt: skip
                changes = await call_changes(ws)
    finally:
        codes = {p.log_path.stem: p.stop() for p in (listener, web, pbx) if p is not None}
    kinds = [m["change"] for m in changes]
    assert kinds[0] == "ringing" and kinds[-1] == "ended", kinds
    assert changes[0]["ringing_names"] and changes[-1]["answered_by"] == "8001"
    assert changes[-1]["disposition"] == "answered" and changes[-1]["started_at"].endswith("+08:00")
    assert codes["web"] == 0 and codes["listener"] == 0, codes
    assert "live bridge: reading" in web.stderr and "live bridge: writing" in listener.stderr  # type: ignore[union-attr]
    for process in (web, listener):
        for problem in STDERR_PROBLEMS:
            assert problem not in process.stderr, process.stderr[-3000:]  # type: ignore[union-attr]
