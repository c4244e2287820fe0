"""The running service: database, AMI link, recorder, reconciler; ``callcenter serve``.

``CallLogService`` owns every task it starts and stops them in reverse order: stop
taking events, commit what is pending (bounded), close the link, dispose the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcenter.ami.contract import VOICEMAIL_USER_EVENT
from callcenter.ami.listener import AmiLink
from callcenter.ami.reconcile import Reconciler
from callcenter.ami.recorder import Recorder
from callcenter.config import Config, load_config
from callcenter.db.migrate import upgrade
from callcenter.db.session import create_engine, is_sqlite, session_factory
from callcenter.live import LiveFeed

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
        self.sessions = session_factory(self.engine)
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
        self._scanner: asyncio.Task[None] | None = None
        from callcenter.tickets.repeat import link_many

        self.recorder.tx_hooks.append(link_many)  # repeat callers → their open case

    async def start(self) -> None:
        if self.migrate:
            await upgrade(self.engine)
        await self.recorder.start()
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


async def run_until_signalled(config: Config, roles: tuple[str, ...] = ROLES) -> None:
    """Run the chosen parts in this process until SIGTERM/SIGINT, then stop them in reverse."""
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
    metrics = ServiceMetrics(service.sessions, service=service if "listener" in roles else None)
    ops_runner = None
    runner = None
    timer: TicketTimer | None = None
    transcriber: Transcriber | None = None
    try:
        if "listener" in roles:
            await service.start()
        elif service.migrate:
            await upgrade(service.engine)
        if "web" in roles:
            runner = await start_web(config, service.sessions, service.feed, metrics=metrics)
            log.info("callcenter: panel on http://%s:%s/", config.http_host, config.http_port)
        if "timer" in roles:
            timer = TicketTimer(service.sessions, tz=config.timezone, webhook_url=config.webhook_url,
                                reports_dir=Path(str(config.extra.get("reports_dir", "var/reports"))))  # fmt: skip
            timer.start()
        if "transcriber" in roles:
            transcriber = Transcriber(config, service.sessions, service.feed)
            await transcriber.start()
        ops_runner = await start_ops(config, metrics)
        log.info("callcenter: serving (%s); AMI %s:%s, database %s", ", ".join(roles), config.ami_host,
                 config.ami_port, config.database_url.split("@")[-1])  # fmt: skip
        await stop.wait()
    finally:
        log.info("callcenter: stopping")
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


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser("serve", help="run the service until SIGTERM/SIGINT")
    serve.add_argument(
        "--role", action="append", choices=ROLES, metavar="ROLE",
        help=f"run only this part (repeatable; {', '.join(ROLES)}); default: all in one process",
    )  # fmt: skip
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    roles = tuple(dict.fromkeys(args.role)) if args.role else ROLES
    asyncio.run(run_until_signalled(load_config(), roles))
    return 0
