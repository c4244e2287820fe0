"""``callcenter demo`` as a user runs it: a subprocess, the printed accounts, the panel over HTTP,
calls appearing, SIGTERM, a clean exit. Once with this environment, once from a fresh virtual
environment with the package installed from a copy of the sources (no repo, no .venv, no var/)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 90.0
CALLS_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
USER = re.compile(r"^demo:\s+user (\S+)\s+role (\S+)\s+password (\S+)$")
PANEL = re.compile(r"^demo: panel on (http://127\.0\.0\.1:\d+)/")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STDERR_PROBLEMS = ("Traceback", "Task exception was never retrieved", "Task was destroyed", "Unclosed", "CRITICAL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict[str, str]:
    """This environment without the service's settings or an import path into the repository."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_") and k not in dropped}


class Demo:
    """A running ``callcenter demo``; threads collect its output so no pipe ever fills."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(argv, cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8", errors="replace")  # fmt: skip
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._drain, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]  # fmt: skip
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line.rstrip("\n"))

    def wait_for_output(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(needle in line for line in self.out):
            if self.proc.poll() is not None:
                raise AssertionError(f"demo exited with {self.proc.returncode}:\n" + "\n".join(self.err[-40:]))
            if time.monotonic() > deadline:
                raise AssertionError(f"no {needle!r} within {timeout:g} s:\n" + "\n".join(self.out + self.err[-40:]))
            time.sleep(0.1)

    def stop(self) -> int:
        """SIGTERM, then the exit code (SIGKILL and a failure after STOP_TIMEOUT)."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"demo did not stop within {STOP_TIMEOUT:g} s of SIGTERM") from None
        finally:
            for reader in self._readers:
                reader.join(5)
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


async def login(http: aiohttp.ClientSession, base: str, username: str, password: str) -> None:
    async with http.get(f"{base}/login") as response:
        match = CSRF.search(await response.text())
    assert match, "no CSRF token on the login page"
    form = {"username": username, "password": password, "csrf_token": match.group(1), "next": "/"}
    async with http.post(f"{base}/login", data=form, headers={"Origin": base}, allow_redirects=False) as response:
        assert response.status == 302, f"login as {username} failed: {response.status}"


async def wait_for_calls(http: aiohttp.ClientSession, base: str, at_least: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + CALLS_TIMEOUT
    while True:
        async with http.get(f"{base}/api/calls") as response:
            assert response.status == 200, await response.text()
            items = (await response.json())["items"]
        if len(items) >= at_least:
            return items
        assert time.monotonic() < deadline, f"only {len(items)} calls after {CALLS_TIMEOUT:g} s"
        await aiohttp.client.asyncio.sleep(0.5)


async def exercise(demo: Demo) -> None:
    """Log in with a printed account, see calls arrive, stop with SIGTERM, expect a clean exit."""
    try:
        demo.wait_for_output("demo: panel on", STARTUP_TIMEOUT)
        demo.wait_for_output("demo: fake PBX", STARTUP_TIMEOUT)
        users = {m.group(1): (m.group(2), m.group(3)) for m in map(USER.match, demo.out) if m}
        assert {"clerk", "supervisor", "admin"} <= set(users), demo.out
        base = next(m.group(1) for m in map(PANEL.match, demo.out) if m)
        clerk = next(name for name, (role, _) in users.items() if role == "clerk")
        # The session cookie is Secure; browsers (and this jar) send it to http://127.0.0.1 all the same.
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            await login(http, base, clerk, users[clerk][1])
            calls = await wait_for_calls(http, base, at_least=3)
        assert {"linkedid", "disposition", "started_at"} <= set(calls[0])
    finally:
        code = demo.stop()
    stderr = "\n".join(demo.err)
    assert code == 0, stderr[-4000:]
    for problem in STDERR_PROBLEMS:
        assert problem not in stderr, stderr[-4000:]


async def test_demo_subprocess(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "callcenter"
    work, state = tmp_path / "cwd", tmp_path / "state"
    work.mkdir()
    demo = Demo([str(script), "demo", "--port", str(free_port()), "--var", str(state), "--speed", "10"], cwd=work)
    await exercise(demo)
    assert (state / "callcenter.sqlite3").is_file()
    assert not any(work.iterdir()), f"the demo wrote into its working directory: {sorted(work.iterdir())}"


def copy_sources(target: Path) -> Path:
    """What a release of the package contains: pyproject, README and the package, nothing else."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "callcenter", target / "callcenter", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


async def test_demo_from_a_fresh_virtualenv(tmp_path: Path, traces: Path) -> None:
    """python -m venv + pip install (the index configured on this machine) + the demo, from an empty folder."""
    source = copy_sources(tmp_path / "src")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=clean_env())
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(source)], cwd=tmp_path,
                             env=clean_env(), capture_output=True, text=True, timeout=900)  # fmt: skip
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(python), "-c", "import callcenter; print(callcenter.__file__)"], cwd=empty,
                           env=clean_env(), capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # not the repository's copy
    state = tmp_path / "state"
    demo = Demo([str(venv / "bin" / "callcenter"), "demo", "--port", str(free_port()), "--var", str(state),
                 "--speed", "10", "--traces", str(traces)], cwd=empty)  # fmt: skip
    await exercise(demo)
    assert not any(empty.iterdir()), f"the demo wrote into its working directory: {sorted(empty.iterdir())}"


def test_demo_output_ends_with_the_accounts_and_the_url(tmp_path: Path, traces: Path) -> None:
    """This tree's demo (``python -m callcenter``), stdout and stderr in one stream as a terminal
    shows them: no library INFO (Alembic, APScheduler), no ERROR for the model the demo does
    not have, and the start-up logs before the accounts and the URL, which come last."""
    env = {**clean_env(), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "callcenter", "demo", "--port", str(free_port()), "--var", str(tmp_path / "state"),
            "--traces", str(traces)]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace")  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=Demo._drain, args=(proc.stdout, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not any("demo: stop with Ctrl+C" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "\n".join(lines[-40:])
            time.sleep(0.1)
        time.sleep(6)  # past one 5 s tick of the deadline sweep
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(STOP_TIMEOUT)
        reader.join(5)
        proc.stdout.close()  # type: ignore[union-attr]
    output = "\n".join(lines)
    assert proc.returncode == 0, output[-4000:]
    assert not [line for line in lines if "alembic" in line or "apscheduler" in line], output[-4000:]
    assert not [line for line in lines if " ERROR " in line], output[-4000:]
    model = next(i for i, line in enumerate(lines) if "transcription unavailable" in line)
    assert " INFO callcenter.transcribe" in lines[model]
    first_account = next(i for i, line in enumerate(lines) if USER.match(line))
    url = next(i for i, line in enumerate(lines) if PANEL.match(line))
    schema = next(i for i, line in enumerate(lines) if "database schema at heads" in line)
    assert schema < model < first_account < url
    calendar = [i for i, line in enumerate(lines) if "no holiday data for" in line]
    assert all(i < first_account for i in calendar), output[-4000:]  # the first report run's warning too
    banner = lines[first_account : url + 1]
    assert all(line.startswith("demo: ") for line in banner), banner  # no log line inside the block
    assert sum(bool(USER.match(line)) for line in banner) == 6
