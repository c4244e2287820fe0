"""``callcenter demo``: the whole service on its embedded defaults, with a fake PBX.

SQLite under ``./var/demo``, the AMI replay server playing the recorded hotline traces
in a loop (answered calls, queue waits, abandoned calls, transfers, a voicemail with its
real recording, busy clerks, an anonymous caller; fresh call ids and varied callers on every
loop) and writing Master.csv as Asterisk would, and the service listening to it. The database
starts with example cases in every state (:mod:`callcenter.tickets.demo_cases`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import shutil
import signal
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami.replay import ReplayServer
from callcenter.config import load_config
from callcenter.service import CallLogService
from callcenter.tickets.demo_cases import CALLERS

log = logging.getLogger(__name__)

DEMO_TRACES = (
    "answered_caller_hangs_up", "abandoned_while_ringing", "voicemail", "blind_transfer",
    "anonymous_caller", "attended_transfer", "busy_or_unavailable", "timestamped_answered",
)  # fmt: skip


STARTUP_LOG_WAIT = 5.0  # seconds the banner waits for the timer's first run at most

# One account per role: (username, role, station, display name, extension).
DEMO_USERS = (
    ("clerk", "clerk", None, "王敏", "8001"),
    ("station", "station", "hubin", "湖滨供热站", "8101"),
    ("officehead", "office_head", None, "马文", None),
    ("supervisor", "supervisor", None, "刘建国", None),
    ("manager", "manager", None, "陈志远", None),
    ("admin", "admin", None, "管理员", None),
)
DEMO_PASSWORD = "rexian-6085708"  # 热线 (hotline) + the number
# The office-head account heads the first heating management office (马文, head-office1).
DEMO_OFFICES = {"officehead": "office1"}


async def seed_users(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; one password for all (printed at start):
    the password policy refuses one containing the username."""
    from callcenter.web.auth.accounts import add_user, find_user, hash_password

    made = []
    async with sessions() as session, session.begin():
        now = datetime.now(timezone.utc)
        for name, role, station, display, extension in DEMO_USERS:
            password = DEMO_PASSWORD
            if await find_user(session, name) is None:
                await add_user(session, username=name, role=role, password_hash=hash_password(password), now=now,
                               station_code=station, display_name=display, extension=extension,
                               office_code=DEMO_OFFICES.get(name))  # fmt: skip
            made.append((name, role, password))
    return made


class VariedCallers(ReplayServer):
    """The replay with the callers' numbers varied: each recorded call, in each pass, comes from
    one of the demo's callers (callcenter.tickets.demo_cases.CALLERS), so the call log, the
    repeat-call links and the pop-up show several people, not one number over and over."""

    def run_step(self, step: Any) -> None:
        if step.message is not None:
            index = next((i for i, t in enumerate(self.traces) if t is step.trace), 0)
            number = CALLERS[(step.iteration * len(self.traces) + index) % len(CALLERS)]
            headers = tuple((k, number if k in VARIED and _external(v) else v) for k, v in step.message.headers)
            step = dataclasses.replace(step, message=dataclasses.replace(step.message, headers=headers))
        super().run_step(step)


VARIED = frozenset({"CallerIDNum", "ConnectedLineNum"})


def _external(value: str) -> bool:
    """A caller's mobile number (not an extension, the hotline or "anonymous")."""
    return value.isdigit() and len(value) == 11


def find_traces(explicit: Path | None) -> Path:
    candidates = [explicit] if explicit else []
    here = Path(__file__).resolve()
    candidates += [Path.cwd() / "../shared/ami-traces", here.parents[2] / "shared" / "ami-traces"]
    for path in candidates:
        if path and (path / "answered_caller_hangs_up").is_dir():
            return path.resolve()
    raise SystemExit("demo: recorded traces not found; pass --traces DIR (../shared/ami-traces)")


async def run_demo(args: argparse.Namespace) -> None:
    traces = find_traces(args.traces)
    var = Path(args.var).resolve()
    var.mkdir(parents=True, exist_ok=True)
    spool = var / "spool"
    if not spool.exists():
        shutil.copytree(traces / "voicemail" / "spool", spool)
    master = var / "Master.csv"
    pbx = VariedCallers(
        [traces / name for name in DEMO_TRACES],
        loop=True,
        speed=args.speed,
        inject_timestamps=True,
        cdr_out=master,
    )
    await pbx.start()
    config = load_config(
        database_url=f"sqlite+aiosqlite:///{var / 'callcenter.sqlite3'}",
        ami_host="127.0.0.1",
        ami_port=pbx.port,
        spool_dir=spool,
        cdr_csv=master,
        http_port=args.port,
        audit_key_file=var / "audit.key",
        **({"vosk_model": args.model} if args.model else {}),
    )
    service = CallLogService(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    from callcenter.web.app import start_web, stop as stop_web

    from callcenter.tickets.directory import seed_demo
    from callcenter.tickets.timer import TicketTimer

    users = await seed_users(service.sessions)
    await seed_demo(service.sessions)
    from callcenter.tickets.demo_cases import seed_cases

    seeded = await seed_cases(service.sessions, datetime.now(timezone.utc))
    from callcenter.web.settings import key_file, load_web_settings

    settings = load_web_settings(config, session_key=key_file(var / "session.key"))
    from callcenter.metrics import ServiceMetrics

    metrics = ServiceMetrics(service.sessions, service=service)
    runner = await start_web(config, service.sessions, service.feed, settings=settings, metrics=metrics)
    timer = TicketTimer(service.sessions, tz=config.timezone, reports_dir=var / "reports")
    timer.start()
    from callcenter.transcribe.transcriber import Transcriber

    transcriber = Transcriber(config, service.sessions, service.feed, model_optional=True)
    await transcriber.prepare()  # its start-up log line (no model, say) before the banner below
    await transcriber.start()
    with contextlib.suppress(TimeoutError):  # the first report run's log lines (a calendar warning) too
        await asyncio.wait_for(timer.reports_checked.wait(), STARTUP_LOG_WAIT)
    print_banner(f"http://{config.http_host}:{config.http_port}/", users, seeded=seeded, pbx_port=pbx.port,
                 var=var)  # fmt: skip
    try:
        await stop.wait()
    finally:
        await transcriber.stop()
        await timer.stop()
        await stop_web(runner)
        await service.stop()
        await pbx.close()


def print_banner(url: str, users: list[tuple[str, str, str]], *, seeded: int, pbx_port: int, var: Path) -> None:
    """What a newcomer needs, printed last so it is not buried under start-up logs: the details
    first, then the accounts, then the URL and how to stop."""
    database = var / "callcenter.sqlite3"
    lines = [
        f"demo: fake PBX (replay of {len(DEMO_TRACES)} recorded scenarios) on 127.0.0.1:{pbx_port}",
        f"demo: database {database}; export with: CALLCENTER_DATABASE_URL="
        f"sqlite+aiosqlite:///{database} callcenter calls export",
        f"demo: {seeded} example cases seeded (every state, some overdue, notices, a duty shift)"
        if seeded else "demo: example cases already there",
        "demo: " + "=" * 70,
        "demo: accounts (one password for all):",
        *(f"demo:   user {name:<11} role {role:<12} password {password}" for name, role, password in users),
        f"demo: panel on {url}  (Simplified Chinese; English in the header)",
        f"demo: stop with Ctrl+C; to start afresh, stop and delete {var}",
        "demo: " + "=" * 70,
    ]  # fmt: skip
    print("\n".join(lines), flush=True)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="run the service with a fake PBX playing recorded calls")
    demo.add_argument("--port", type=int, default=8080, help="panel port (default 8080)")
    demo.add_argument("--var", default="var/demo", help="state folder (default var/demo)")
    demo.add_argument("--speed", type=float, default=1.0, help="replay speed (default 1)")
    demo.add_argument("--traces", type=Path, help="folder of recorded traces (../shared/ami-traces)")
    demo.add_argument("--model", type=Path, help="a Vosk model folder (optional; else CALLCENTER_VOSK_MODEL)")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    asyncio.run(run_demo(args))
    return 0
