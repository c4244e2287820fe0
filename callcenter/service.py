"""The running service: database, AMI link, recorder, reconciler; ``callcenter serve``.

``CallLogService`` owns every task it starts and stops them in reverse order: stop
taking events, commit what is pending (bounded), close the link, dispose the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcenter.live import bridge as live_bridge
from callcenter.ami.clerk_tracker import ClerkTracker
from callcenter.ami.contract import VOICEMAIL_USER_EVENT
from callcenter.ami.listener import AmiLink
from callcenter.ami.reconcile import Reconciler
from callcenter.ami.recorder import Recorder
from callcenter.config import Config, load_config
from callcenter.db.migrate import upgrade
from callcenter import audit_keys
from callcenter.db.session import create_engine, is_sqlite, session_factory
from callcenter.live import LiveFeed
from callcenter.web.workers import PanelWorkers, worker_command

if TYPE_CHECKING:
    from callcenter.tickets.timer import TicketTimer
    from callcenter.transcribe.transcriber import Transcriber

log = logging.getLogger(__name__)
SCAN_INTERVAL = 60.0


class CallLogService:
    def __init__(self, config: Config, *, feed: LiveFeed | None = None, migrate: bool | None = None) -> None:
        self.config = config
        self.feed = feed or LiveFeed()
        self.migrate = is_sqlite(config.database_url) if migrate is None else migrate
        self.engine = create_engine(config.database_url)
        self.audit_keys = audit_keys.configured(config)
        self.sessions = session_factory(self.engine, self.audit_keys)
        self.link = AmiLink(config)
        self.recorder = Recorder(self.sessions, self.link.queue, feed=self.feed, user_event=VOICEMAIL_USER_EVENT)
        self.reconciler = Reconciler(
            self.sessions,
            self.recorder,
            link=self.link,
            cdr_tz=config.cdr_timezone,
            cdr_csv=config.cdr_csv,
            spool_dir=config.spool_dir,
        )
        # The clerk phones' states (the wallboard): follows the recorder's stream.
        self.clerks = ClerkTracker(self.sessions, self.feed, link=self.link, recorder=self.recorder)
        self.recorder.observers.append(self.clerks)
        self._scanner: asyncio.Task[None] | None = None
        from callcenter.tickets.repeat import link_many

        self.recorder.tx_hooks.append(link_many)  # repeat callers → their open case

    async def start(self) -> None:
        if self.migrate:
            await upgrade(self.engine, audit_keys=self.audit_keys)
        await self.recorder.start()
        await self.clerks.start()
        # Calls that ended while the service was down are in Master.csv: recover them now,
        # even if the PBX is unreachable.
        self.link.queue.put_nowait(("scan", None, 0.0))
        await self.link.start()
        self._scanner = asyncio.create_task(self._scan_loop(), name="cdr-scanner")

    async def stop(self) -> None:
        if self._scanner:
            self._scanner.cancel()
            await asyncio.gather(self._scanner, return_exceptions=True)
        await self.link.close()
        await self.recorder.close()
        await self.clerks.close()
        await self.engine.dispose()

    async def _scan_loop(self) -> None:
        while True:
            await asyncio.sleep(SCAN_INTERVAL)
            with contextlib.suppress(asyncio.QueueFull):
                self.link.queue.put_nowait(("scan", None, 0.0))

    def metrics(self) -> dict[str, Any]:
        return {
            "ami_connected": self.link.ready.is_set(),
            "reconnects": self.link.reconnects,
            "login_failures": self.link.login_failures,
            "queue_depth": self.link.queue.qsize(),
            **self.recorder.counters,
            **{f"reconcile_{k}": v for k, v in self.reconciler.stats.items()},
        }


ROLES = ("listener", "web", "timer", "transcriber")


async def run_until_signalled(
    config: Config, roles: tuple[str, ...] = ROLES, *, panel_worker: bool = False, log_args: Sequence[str] = ()
) -> None:
    """Run the chosen parts in this process until SIGTERM/SIGINT, then stop them in reverse.
    ``panel_worker``: one of the extra panel processes of ``http_workers`` (web only, the port
    shared, no ops endpoint, no workers of its own)."""
    from callcenter.tickets.timer import TicketTimer
    from callcenter.transcribe.transcriber import Transcriber
    from callcenter.web.app import start_web, stop as stop_web

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    from callcenter.metrics import ServiceMetrics
    from callcenter.web.ops import start_ops

    service = CallLogService(config)
    # The live feed across processes (None when this process needs no bridge): started once the
    # schema is there, stopped after the publishers so that their last messages are written.
    bridge = live_bridge.for_process(config, roles, service.feed, all_roles=ROLES)
    metrics = ServiceMetrics(service.sessions, service=service if "listener" in roles else None, bridge=bridge)
    ops_runner = None
    runner = None
    workers: PanelWorkers | None = None
    timer: TicketTimer | None = None
    transcriber: Transcriber | None = None
    try:
        if "listener" in roles:
            await service.start()
        elif service.migrate:
            await upgrade(service.engine, audit_keys=service.audit_keys)
        if bridge is not None:
            await bridge.start()
        if "web" in roles:
            shared = panel_worker or config.http_workers > 1
            runner = await start_web(config, service.sessions, service.feed, metrics=metrics, reuse_port=shared)
            log.info("callcenter: panel on http://%s:%s/", config.http_host, config.http_port)
            if shared and not panel_worker:
                workers = PanelWorkers(config.http_workers - 1, worker_command(log_args))
                await workers.start()
        if "timer" in roles:
            timer = TicketTimer(service.sessions, tz=config.timezone, webhook_url=config.webhook_url,
                                reports_dir=Path(str(config.extra.get("reports_dir", "var/reports"))))  # fmt: skip
            timer.start()
        if "transcriber" in roles:
            transcriber = Transcriber(config, service.sessions, service.feed)
            await transcriber.start()
        ops_runner = None if panel_worker else await start_ops(config, metrics)
        log.info("callcenter: serving (%s); AMI %s:%s, database %s", ", ".join(roles), config.ami_host,
                 config.ami_port, config.database_url.split("@")[-1])  # fmt: skip
        # Everything loaded so far (modules, the ORM's and the compiler's caches) lives as long
        # as the process: keep it out of the collector's full passes (shorter pauses).
        gc.freeze()
        await stop.wait()
    finally:
        log.info("callcenter: stopping")
        if workers is not None:
            await workers.stop()
        if ops_runner is not None:
            await ops_runner.cleanup()
        if transcriber is not None:
            await transcriber.stop()
        if timer is not None:
            await timer.stop()
        if runner is not None:
            await stop_web(runner)
        if "listener" in roles:
            await service.stop()
        else:
            await service.engine.dispose()
        if bridge is not None:
            await bridge.stop()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser("serve", help="run the service until SIGTERM/SIGINT")
    serve.add_argument(
        "--role", action="append", choices=ROLES, metavar="ROLE",
        help=f"run only this part (repeatable; {', '.join(ROLES)}); default: all in one process",
    )  # fmt: skip
    # Started by the service itself for http_workers > 1 (callcenter.web.workers), not by hand.
    serve.add_argument("--panel-worker", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    roles = tuple(dict.fromkeys(args.role)) if args.role else ROLES
    if args.panel_worker:
        roles = ("web",)
    log_args = ["--log-format", args.log_format, *(["--verbose"] if args.verbose else [])]
    asyncio.run(run_until_signalled(load_config(), roles, panel_worker=args.panel_worker, log_args=log_args))
    return 0
