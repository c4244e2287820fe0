"""``callcenter voicemail list|retry``: the transcription jobs, for the operator.

``list`` shows the jobs that need attention (queued, running, failed, unavailable; ``--all``
adds the finished ones): state, attempts, last error, the case and the call. ``retry``
queues failed and unavailable jobs again (all of them, or the JOB_IDs given) with fresh
attempts; a running Transcriber picks them up within seconds. Exit codes: 0 done, 1 no
job matched, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import Config, load_config
from callcenter import audit_keys
from callcenter.db.session import create_engine, require_database, session_factory
from callcenter.transcribe import drafts, jobs
from callcenter.transcribe.models import JOB_STATES

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]
ATTENTION = ("queued", "running", "failed", "unavailable")


def register(subparsers: Any) -> None:
    """Add ``voicemail list`` and ``voicemail retry`` to the ``callcenter`` parser."""
    parser = subparsers.add_parser("voicemail", help="voicemail transcription jobs: list, retry")
    sub = parser.add_subparsers(dest="voicemail_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="jobs that need attention: state, attempts, last error")
    listing.add_argument("--state", action="append", choices=JOB_STATES, help="only this state (repeatable)")
    listing.add_argument("--all", action="store_true", help="include finished (done) jobs")
    listing.add_argument("--limit", type=int, default=100, help="at most this many, newest first (100)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=cmd_list)
    retry = sub.add_parser("retry", help="queue failed and unavailable jobs again")
    retry.add_argument("job_ids", nargs="*", type=int, metavar="JOB_ID", help="only these jobs (default: all)")
    retry.set_defaults(func=cmd_retry)


def _run(work: Callable[[Sessions, Config], Awaitable[T]], env: Mapping[str, str] | None) -> T:
    config = load_config(env)

    async def main() -> T:
        require_database(config.database_url)  # a command never creates an empty database
        engine = create_engine(config.database_url)
        try:
            return await work(session_factory(engine, audit_keys.configured(config)), config)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def cmd_list(args: argparse.Namespace, *, env: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    states = tuple(args.state or ()) or (None if args.all else ATTENTION)

    async def work(sessions: Sessions, config: Config) -> tuple[list[jobs.JobRow], ZoneInfo]:
        async with sessions() as session:
            return await jobs.list_jobs(session, states, max(1, args.limit)), config.tz

    rows, tz = _run(work, env)
    for row in rows:
        if args.json:
            print(json.dumps(_as_dict(row), ensure_ascii=False), file=out)
        else:
            print(_as_line(row, tz), file=out)
    if not rows and not args.json:
        print("no transcription jobs" + ("" if args.all else " need attention"), file=out)
    return 0


def _as_dict(row: jobs.JobRow) -> dict[str, Any]:
    return {
        "job": row.id, "state": row.state, "attempts": row.attempts, "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at.isoformat(), "updated_at": row.updated_at.isoformat(),
        "claimed_by": row.claimed_by, "draft_status": row.draft_status, "case_id": row.case_id,
        "linkedid": row.linkedid, "caller_number": row.caller_number,
    }  # fmt: skip


def _as_line(row: jobs.JobRow, tz: ZoneInfo) -> str:
    updated = row.updated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    caller = _printable(row.caller_number or "-")[:32]
    line = (f"job {row.id:<5} {row.state:<11} attempts {row.attempts:<2} case {row.case_id or '-':<6} "
            f"call {row.linkedid:<20} from {caller:<16} updated {updated}")  # fmt: skip
    if row.state == "queued" and row.attempts:
        line += f"  next {row.next_attempt_at.astimezone(tz).strftime('%H:%M:%S')}"
    if row.last_error:
        line += f"\n    last error: {_printable(row.last_error)[:300]}"
    return line


def _printable(text: str) -> str:
    """Caller-controlled text on a terminal: no control characters (escape sequences)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def cmd_retry(args: argparse.Namespace, *, env: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    ids = list(args.job_ids) or None

    async def work(sessions: Sessions, config: Config) -> int:
        async with sessions() as session, session.begin():
            now = dt.datetime.now(dt.UTC)
            draft_ids = await jobs.requeue(session, now, ids=ids)
            await drafts.mark_transcribing(session, draft_ids, now)
        return len(draft_ids)

    count = _run(work, env)
    if count == 0:
        which = "the given jobs are not" if ids else "no job is"
        print(f"callcenter voicemail retry: {which} failed or unavailable", file=sys.stderr)
        return 1
    print(f"queued {count} job(s) again", file=out)
    return 0
