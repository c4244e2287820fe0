"""Sub-commands of the tickets package.

``callcenter deadline RULE --start ISO_TIME`` (reads the working-day table and business hours
from the configured database, like every other computation of a due time), and the database ones: ``calendar
list|set|unset|seed|confirm|hours``, ``report weekly|monthly|property-office``, ``audit verify``,
``directory seed`` (in :mod:`callcenter.tickets.admin_commands`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.tickets.calendar import WorkCalendar
from callcenter.tickets.deadlines import due_at
from callcenter.tickets.rulefile import load_rules
from callcenter.tickets.ruleset import Rule, RuleBook


def register(subparsers: Any) -> None:
    """Add ``deadline``, ``calendar``, ``report``, ``audit`` and ``directory`` to the CLI."""
    from callcenter.tickets import admin_commands

    _register_deadline(subparsers)
    admin_commands.register(subparsers)


def _register_deadline(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deadline",
        help="print when a deadline rule expires",
        description="Print the due time (ISO 8601, +08:00) of rule RULE for a clock started at "
        "--start. Working days and business hours come from the working-day table in the "
        "database (CALLCENTER_DATABASE_URL; edit it with 'callcenter calendar'); a year the "
        "table does not know is counted Monday-Friday with a warning.",
    )
    parser.add_argument(
        "rule", metavar="RULE", help="D1 … D9; D4 needs a variant: D4.minor, D4.medium, D4.major"
    )
    parser.add_argument(
        "--start",
        required=True,
        metavar="ISO_TIME",
        help="when the clock started, e.g. 2026-09-30T16:00:00+08:00 (no offset: Asia/Shanghai)",
    )
    parser.add_argument(
        "--rules", type=Path, default=None, metavar="FILE", help="rules file (default: packaged)"
    )
    parser.set_defaults(func=run_deadline)


class CalendarUnavailable(Exception):
    """The working-day table cannot be read (no database, not migrated)."""


def db_calendar() -> WorkCalendar:
    """The calendar the service uses: the working-day table of the configured database."""
    import asyncio

    from sqlalchemy.exc import SQLAlchemyError

    from callcenter.config import load_config
    from callcenter.db.session import create_engine, session_factory
    from callcenter.tickets.calendar_store import load_calendar

    config = load_config()

    async def read() -> WorkCalendar:
        engine = create_engine(config.database_url)
        try:
            async with session_factory(engine)() as session:
                return await load_calendar(session, config.timezone)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(read())
    except (SQLAlchemyError, OSError) as exc:
        raise CalendarUnavailable(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc


def parse_start(text: str, tz: ZoneInfo) -> dt.datetime:
    """An ISO 8601 time; a naive one is taken in ``tz``. Raises ``ValueError``."""
    moment = dt.datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def find_rule(book: RuleBook, name: str) -> Rule:
    """Look ``name`` up case-insensitively (``d4.major`` finds ``D4.major``)."""
    wanted = name.strip().casefold()
    for key in (*book.rules, *book.groups):
        if key.casefold() == wanted:
            return book.rule(key)
    return book.rule(name)


def run_deadline(args: argparse.Namespace, calendar: WorkCalendar | None = None) -> int:
    book = load_rules(args.rules)
    try:
        rule = find_rule(book, args.rule)
    except KeyError as exc:
        print(f"callcenter deadline: {exc.args[0]}", file=sys.stderr)
        return 2
    if calendar is None:
        try:
            calendar = db_calendar()
        except CalendarUnavailable as exc:
            print(f"callcenter deadline: cannot read the working-day table ({exc}); "
                  "run 'callcenter db upgrade' and 'callcenter calendar seed' first", file=sys.stderr)  # fmt: skip
            return 2
    try:
        start = parse_start(args.start, calendar.tz)
    except ValueError:
        print(f"callcenter deadline: --start: not an ISO 8601 time: {args.start!r}", file=sys.stderr)
        return 2
    due = due_at(rule, start, calendar)
    print(due.isoformat())
    for year in sorted(calendar.unknown_years):
        print(
            f"callcenter deadline: warning: no holiday data for {year}; "
            "counted Monday-Friday only, check the working-day table",
            file=sys.stderr,
        )
    return 0
