"""``callcenter calls export``: the call log as JSON lines or CSV (stable contract)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import ConfigError, load_config
from callcenter.db.models import Call
from callcenter.db.session import create_engine, session_factory, require_database

COLUMNS = (
    "linkedid", "caller_number", "caller_name", "dialed_number", "started_at", "answered_at",
    "ended_at", "ring_seconds", "talk_seconds", "duration_seconds", "disposition",
    "abandon_stage", "answered_by", "transferred_to", "voicemail", "source", "status", "incomplete",
)  # fmt: skip
PAGE = 1000


def _iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def call_to_dict(call: Call, tz: ZoneInfo) -> dict[str, Any]:
    voicemail = None
    if call.voicemail_path:
        voicemail = {
            "mailbox": call.voicemail_mailbox,
            "path": call.voicemail_path,
            "duration_seconds": call.voicemail_duration,
        }
    return {
        "linkedid": call.linkedid,
        "caller_number": call.caller_number,
        "caller_name": call.caller_name,
        "dialed_number": call.dialed_number,
        "started_at": _iso(call.started_at, tz),
        "answered_at": _iso(call.answered_at, tz),
        "ended_at": _iso(call.ended_at, tz),
        "ring_seconds": _seconds(call.ring_seconds),
        "talk_seconds": _seconds(call.talk_seconds),
        "duration_seconds": _seconds(call.duration_seconds),
        "disposition": call.disposition,
        "abandon_stage": call.abandon_stage,
        "answered_by": call.answered_by,
        "transferred_to": list(call.transferred_to or []),
        "voicemail": voicemail,
        "source": call.source,
        "status": call.status,
        "incomplete": bool(call.incomplete),
    }


async def iter_calls(
    sessions: async_sessionmaker[AsyncSession], since: datetime | None = None
) -> AsyncIterator[Call]:
    """All calls in start order, paged by keyset (fast at any size)."""
    last: tuple[datetime, int] | None = None
    while True:
        stmt = select(Call).order_by(Call.started_at, Call.id).limit(PAGE)
        if since is not None:
            stmt = stmt.where(Call.started_at >= since)
        if last is not None:
            stmt = stmt.where((Call.started_at > last[0]) | ((Call.started_at == last[0]) & (Call.id > last[1])))
        async with sessions() as session:
            page = (await session.scalars(stmt)).all()
        for call in page:
            yield call
        if len(page) < PAGE:
            return
        last = (page[-1].started_at, page[-1].id)


async def export(url: str, tz: ZoneInfo, out: TextIO, fmt: str, since: datetime | None) -> int:
    require_database(url)  # a wrong setting must not create (and export) an empty database
    engine = create_engine(url)
    count = 0
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    try:
        async for call in iter_calls(session_factory(engine), since):
            row = call_to_dict(call, tz)
            if writer:
                row["transferred_to"] = " ".join(row["transferred_to"])
                row["voicemail"] = row["voicemail"]["path"] if row["voicemail"] else ""
                writer.writerow(row)
            else:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    finally:
        await engine.dispose()
    return count


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    calls = sub.add_parser("calls", help="the call log")
    calls_sub = calls.add_subparsers(dest="calls_command", metavar="ACTION", required=True)
    exp = calls_sub.add_parser("export", help="print the call log")
    exp.add_argument("--since", help="only calls started at or after this ISO 8601 time")
    exp.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    exp.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    config = load_config()
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise ConfigError(f"--since: not an ISO 8601 time: {args.since!r}") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=config.tz)
    asyncio.run(export(config.database_url, config.tz, sys.stdout, args.format, since))
    return 0
