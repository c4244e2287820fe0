"""PanelWorkers: the extra panel processes are started, restarted when they die, and stopped
(SIGTERM, then SIGKILL for one that ignores it). Real child processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import pytest

from callcenter.web import workers
from callcenter.web.workers import PanelWorkers, worker_command

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
STUBBORN = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_the_worker_command_runs_the_panel_only() -> None:
    command = worker_command(["--log-format", "json"])
    assert command[:3] == [sys.executable, "-m", "callcenter"]
    assert command[3:] == ["--log-format", "json", "serve", "--role", "web", "--panel-worker"]


async def test_workers_are_started_restarted_and_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "RESTART_MIN", 0.1)
    pool = PanelWorkers(2, SLEEPER)
    await pool.start()
    try:
        await wait_for(lambda: len(pool.pids) == 2)
        first, second = pool.pids
        os.kill(first, signal.SIGKILL)
        await wait_for(lambda: len(pool.pids) == 2 and first not in pool.pids)
        assert second in pool.pids and pool.restarts == 1
    finally:
        pids = pool.pids
        await pool.stop()
    assert pids and not any(alive(pid) for pid in pids)


async def test_a_worker_that_ignores_sigterm_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "STOP_TIMEOUT", 0.5)
    pool = PanelWorkers(1, STUBBORN)
    await pool.start()
    await wait_for(lambda: len(pool.pids) == 1)
    await asyncio.sleep(0.3)  # let it install its handler
    [pid] = pool.pids
    started = time.monotonic()
    await pool.stop()
    assert not alive(pid) and time.monotonic() - started < 5


async def test_a_worker_that_cannot_start_is_retried_with_a_growing_pause(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(workers, "RESTART_MIN", 0.1)
    pool = PanelWorkers(1, [sys.executable, "-c", "raise SystemExit(3)"])
    await pool.start()
    try:
        await wait_for(lambda: pool.restarts >= 3)
    finally:
        await pool.stop()
    pauses = [float(r.getMessage().rsplit("restarting in ", 1)[1].split()[0]) for r in caplog.records
              if "panel worker 1: exited with 3" in r.getMessage()]  # fmt: skip
    assert pauses[:3] == [0.1, 0.2, 0.4]
