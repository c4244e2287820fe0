"""Database sub-commands: ``calendar``, ``report``, ``directory seed`` (``audit``: :mod:`callcenter.audit_commands`).

Each opens the configured database (``CALLCENTER_DATABASE_URL``), does one thing in short
transactions and exits: 0 on success, 2 on bad
input.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import load_config
from callcenter import audit_keys
from callcenter.db.session import create_engine, require_database, session_factory
from callcenter.tickets import calendar_store, directory
from callcenter.analytics.kpi import settings_of
from callcenter.tickets.report_build import NAMES, build_report, write_report
from callcenter.tickets.reports import default_anchor, report_period
from callcenter.tickets.rulefile import load_rules

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


def _run(work: Callable[[Sessions, Any], Awaitable[T]]) -> T:
    """Run ``work(sessions, config)`` against the configured database."""
    config = load_config()

    async def main() -> T:
        require_database(config.database_url)  # a command never creates an empty database
        engine = create_engine(config.database_url)
        try:
            return await work(session_factory(engine, audit_keys.configured(config)), config)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _actor(args: argparse.Namespace) -> str:
    return args.actor or f"cli:{getpass.getuser()}"


def register(sub: Any) -> None:
    cal = sub.add_parser("calendar", help="the working-day table (holidays, adjusted working days)")
    cal_sub = cal.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    p = cal_sub.add_parser("list", help="list a year's entries and the calendar warnings")
    p.add_argument("year", type=int, nargs="?", default=None)
    p.set_defaults(func=cmd_calendar_list)
    for name, help_ in (("set", "make DATE a working day (--workday) or a day off (--off)"),
                        ("unset", "remove DATE's entry")):  # fmt: skip
        p = cal_sub.add_parser(name, help=help_)
        p.add_argument("date", type=dt.date.fromisoformat, metavar="DATE")
        if name == "set":
            group = p.add_mutually_exclusive_group(required=True)
            group.add_argument("--workday", dest="is_workday", action="store_true")
            group.add_argument("--off", dest="is_workday", action="store_false")
            p.add_argument("--note", default="")
        _who(p)
        p.set_defaults(func=cmd_calendar_set if name == "set" else cmd_calendar_unset)
    p = cal_sub.add_parser("seed", help="fill the table from chinese-calendar")
    this_year = dt.date.today().year
    p.add_argument("--from", dest="year_from", type=int, default=this_year - 1)
    p.add_argument("--to", dest="year_to", type=int, default=this_year + 1)
    _who(p)
    p.set_defaults(func=cmd_calendar_seed)
    p = cal_sub.add_parser("confirm", help="mark YEAR's entries complete (silences its warning)")
    p.add_argument("year", type=int)
    _who(p)
    p.set_defaults(func=cmd_calendar_confirm)
    p = cal_sub.add_parser("hours", help="set business hours, e.g. 08:30 17:30")
    p.add_argument("opens", type=dt.time.fromisoformat)
    p.add_argument("closes", type=dt.time.fromisoformat)
    _who(p)
    p.set_defaults(func=cmd_calendar_hours)

    rep = sub.add_parser("report", help="write report R1 (weekly), R2 (monthly), R3 (property office)")
    rep.add_argument("which", choices=[*sorted(set(NAMES.values())), *sorted(NAMES)], metavar="REPORT",
                     help="R1 or weekly, R2 or monthly, R3 or property-office")
    rep.add_argument("--period", help="weekly: a date in the week or 2026-W40; monthly: the month covered, "
                     "2026-09 (default: this week; the month the report due this month covers)")
    rep.add_argument("--out", type=Path, help="FILE.xlsx or FILE.csv (default: R2_2026-10-01_2026-10-31.xlsx)")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh", help="the report's language (default: zh)")
    rep.set_defaults(func=cmd_report)

    dire = sub.add_parser("directory", help="stations, offices and people cases refer to")
    dire_sub = dire.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    dire_sub.add_parser("seed", help="load the demo organisation (idempotent)").set_defaults(func=cmd_directory_seed)


def _who(p: argparse.ArgumentParser) -> None:
    p.add_argument("--actor", help="who makes the change (default: cli:<user>)")
    p.add_argument("--reason", help="why (kept in the audit trail)")


def cmd_calendar_list(args: argparse.Namespace) -> int:
    year = args.year or dt.date.today().year

    async def work(sessions: Sessions, config: Any) -> int:
        async with sessions() as session:
            days = await calendar_store.list_days(session, year)
            warnings = await calendar_store.calendar_warnings(session, _now())
            opens, closes = await calendar_store.business_hours(session)
        print(f"business hours {opens:%H:%M}-{closes:%H:%M} {config.timezone}")
        for d in days:
            kind = "workday" if d.is_workday else "off"
            print(f"{d.day.isoformat()} {d.day:%a} {kind:7} {d.source:5} {d.note}")
        for w in warnings:
            print(f"warning: {w.text_en}", file=sys.stderr)
        return 0

    return _run(work)


def cmd_calendar_set(args: argparse.Namespace) -> int:
    async def work(sessions: Sessions, config: Any) -> int:
        moved = await calendar_store.set_day(sessions, args.date, args.is_workday, actor=_actor(args),
                                             now=_now(), note=args.note, reason=args.reason)  # fmt: skip
        print(f"{args.date}: {'workday' if args.is_workday else 'off'}; {moved} due times recomputed")
        return 0

    return _run(work)


def cmd_calendar_unset(args: argparse.Namespace) -> int:
    async def work(sessions: Sessions, config: Any) -> int:
        moved = await calendar_store.unset_day(sessions, args.date, actor=_actor(args), now=_now(),
                                               reason=args.reason)  # fmt: skip
        print(f"{args.date}: entry removed; {moved} due times recomputed")
        return 0

    return _run(work)


def cmd_calendar_seed(args: argparse.Namespace) -> int:
    async def work(sessions: Sessions, config: Any) -> int:
        added, unknown = await calendar_store.seed_calendar(sessions, args.year_from, args.year_to,
                                                            actor=_actor(args), now=_now())  # fmt: skip
        print(f"{added} days added for {args.year_from}-{args.year_to}")
        for year in unknown:
            print(f"warning: chinese-calendar does not know {year}: counted Monday-Friday; "
                  f"enter its holidays with 'callcenter calendar set' and confirm it", file=sys.stderr)  # fmt: skip
        return 0

    return _run(work)


def cmd_calendar_confirm(args: argparse.Namespace) -> int:
    async def work(sessions: Sessions, config: Any) -> int:
        moved = await calendar_store.confirm_year(sessions, args.year, actor=_actor(args), now=_now(),
                                                  reason=args.reason)  # fmt: skip
        print(f"{args.year}: confirmed; {moved} due times recomputed")
        return 0

    return _run(work)


def cmd_calendar_hours(args: argparse.Namespace) -> int:
    async def work(sessions: Sessions, config: Any) -> int:
        try:
            moved = await calendar_store.set_business_hours(sessions, args.opens, args.closes,
                                                            actor=_actor(args), now=_now(), reason=args.reason)  # fmt: skip
        except ValueError as exc:
            print(f"callcenter calendar hours: {exc}", file=sys.stderr)
            return 2
        print(f"business hours {args.opens:%H:%M}-{args.closes:%H:%M}; {moved} due times recomputed")
        return 0

    return _run(work)


def parse_period(report_id: str, text: str | None, today: dt.date) -> dt.date:
    """The anchor of the report instance named by ``--period``: a day of the period it covers
    (weekly: a date or 2026-W40; monthly: the month reported on, 2026-09, or a day of it).
    Without ``--period``: the current week, or the month the report due this month covers."""
    book = load_rules()
    report = book.reports[report_id]
    if not text:
        return default_anchor(report, today)
    text = text.strip()
    if report.every == "week":
        if "-W" in text.upper():
            year, week = text.upper().split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 1)
        return dt.date.fromisoformat(text)
    return dt.date.fromisoformat(text + "-01") if len(text) == 7 else dt.date.fromisoformat(text).replace(day=1)


def cmd_report(args: argparse.Namespace) -> int:
    report_id = NAMES.get(args.which, args.which)
    try:
        anchor = parse_period(report_id, args.period, dt.date.today())
    except ValueError:
        print(f"callcenter report: --period: cannot read {args.period!r}", file=sys.stderr)
        return 2
    first, last = report_period(load_rules().reports[report_id], anchor)
    out = args.out or Path(f"{report_id}_{first}_{last}.xlsx")
    if out.suffix.lower() not in (".xlsx", ".csv"):
        print(f"callcenter report: --out: use a .xlsx or .csv file, not {out}", file=sys.stderr)
        return 2

    async def work(sessions: Sessions, config: Any) -> int:
        doc = await build_report(sessions, report_id, anchor, now=_now(), tz=config.timezone, lang=args.lang,
                                 kpi_settings=settings_of(config))  # fmt: skip
        write_report(doc, out)
        print(f"{report_id} {doc.period[0]}..{doc.period[1]} written to {out}")
        return 0

    return _run(work)


def cmd_directory_seed(args: argparse.Namespace) -> int:
    async def work(sessions: Sessions, config: Any) -> int:
        added = await directory.seed_demo(sessions)
        print(f"{added} directory rows added")
        return 0

    return _run(work)
