"""Several panel processes on one port: ``http_workers`` (``CALLCENTER_HTTP_WORKERS``).

One Python process serves the panel on one core. With ``http_workers = N`` the service's
own process serves it as before, and ``N - 1`` more processes (``callcenter serve --role web
--panel-worker``) listen on the same address: every one binds with ``SO_REUSEPORT`` and the
kernel spreads new connections over them. Logins work in any of them (sessions, CSRF tokens,
login throttling and the key are shared through the database and the key file); the live
feed reaches them through :mod:`callcenter.live.bridge`.

:class:`PanelWorkers` owns the extra processes: starts them, restarts one that dies (with a
growing pause, one log line each time), and stops them all on shutdown (SIGTERM, then SIGKILL
after a bounded wait). A worker never starts workers itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

log = logging.getLogger(__name__)
RESTART_MIN = 1.0
RESTART_MAX = 30.0
STOP_TIMEOUT = 10.0
STEADY = 60.0  # a worker that ran this long is healthy again: its restart pause starts over


def worker_command(log_args: Sequence[str] = ()) -> list[str]:
    """The command line of one extra panel process (same interpreter, same logging)."""
    return [sys.executable, "-m", "callcenter", *log_args, "serve", "--role", "web", "--panel-worker"]


class PanelWorkers:
    def __init__(self, count: int, command: Sequence[str]) -> None:
        self.count = count
        self.command = list(command)
        self.restarts = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._stopping = False

    async def start(self) -> None:
        for n in range(self.count):
            self._tasks.append(asyncio.create_task(self._keep(n), name=f"panel-worker-{n + 1}"))

    async def _keep(self, n: int) -> None:
        """Run worker ``n``; whenever it ends while we are not stopping, start it again."""
        pause = RESTART_MIN
        loop = asyncio.get_running_loop()
        while not self._stopping:
            started = loop.time()
            try:
                proc = await asyncio.create_subprocess_exec(*self.command)
            except OSError as exc:
                log.error("panel worker %d: cannot start (%s); retrying in %.1f s", n + 1, exc, pause)
            else:
                self._procs[n] = proc
                log.info("panel worker %d: started (pid %d)", n + 1, proc.pid)
                code = await proc.wait()
                self._procs.pop(n, None)
                if self._stopping:
                    return
                self.restarts += 1
                if loop.time() - started > STEADY:
                    pause = RESTART_MIN
                log.error("panel worker %d: exited with %s; restarting in %.1f s", n + 1, code, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RESTART_MAX)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values()]

    async def stop(self) -> None:
        self._stopping = True
        for proc in list(self._procs.values()):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        waiting = [asyncio.create_task(p.wait()) for p in list(self._procs.values())]
        if waiting:
            _, late = await asyncio.wait(waiting, timeout=STOP_TIMEOUT)
            for proc in list(self._procs.values()):
                if proc.returncode is None:
                    log.warning("panel worker pid %d: no exit after SIGTERM; killing it", proc.pid)
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
            if late:
                await asyncio.wait(late, timeout=STOP_TIMEOUT)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
