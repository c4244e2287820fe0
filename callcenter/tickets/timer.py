"""The tickets timer: APScheduler 3 as an alarm clock only; the state lives in the database.

* ``sweep`` — every ``interval`` seconds: :meth:`Sweeper.run_once` (reminders, breaches,
  escalations from ``case_deadlines``);
* ``deliver`` — when ``webhook_url`` is set: :meth:`Deliverer.run_once` (outbox → webhook);
* ``reports`` — a one-shot job at the next moment reports.py names (a report's reminder or due
  time), rescheduling itself: reminds the clerk (outbox) to prepare R1/R2/R3 and, with
  ``reports_dir``, writes the draft workbook. It also runs at start, catching up what fell due
  while the service was down (notices have unique keys: running it twice changes nothing).

In-memory job store (never shared between processes), ``coalesce=True``, ``max_instances=1``
and a generous ``misfire_grace_time``: a late sweep still runs; a restart loses nothing because
every job reads the database. Job callables are module-level coroutine functions. APScheduler
keeps real time; the injected ``clock`` only tells the jobs what "now" is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets import notices
from callcenter.tickets.calendar import DEFAULT_TZ
from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.clocks import Clockwork
from callcenter.tickets.deadlines import notice_time
from callcenter.tickets.delivery import Deliverer, Post
from callcenter.tickets.report_build import build_report, write_report
from callcenter.tickets.reports import next_report_due, report_period, report_warn_at
from callcenter.tickets.rulefile import load_rules
from callcenter.tickets.ruleset import RuleBook
from callcenter.tickets.sweep import Sweeper

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def sweep_job(sweeper: Sweeper, clock: Clock) -> None:
    try:
        handled = await sweeper.run_once(clock())
        if handled:
            log.info("sweep: %d clocks handled", handled)
    except Exception:
        log.exception("sweep failed; next run in a few seconds")


async def deliver_job(deliverer: Deliverer, clock: Clock) -> None:
    try:
        await deliverer.run_once(clock())
    except Exception:
        log.exception("outbox delivery failed; next run in a few seconds")


async def report_job(timer: TicketTimer) -> None:
    try:
        await timer.reports_once(timer.clock())
    except Exception:
        log.exception("report job failed")
    finally:
        timer.schedule_reports()
        timer.reports_checked.set()


class TicketTimer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        tz: str = DEFAULT_TZ,
        webhook_url: str | None = None,
        reports_dir: Path | None = None,
        clock: Clock = utcnow,
        interval: float = 5.0,
        book: RuleBook | None = None,
        post: Post | None = None,
    ) -> None:
        self.sessions = sessions
        self.tz = tz
        self.clock = clock
        self.interval = interval
        self.book = book or load_rules()
        self.reports_dir = reports_dir
        self.sweeper = Sweeper(sessions, book=self.book, tz=tz)
        self.deliverer = Deliverer(sessions, webhook_url, post=post) if webhook_url else None
        self.scheduler: AsyncIOScheduler | None = None
        self.next_report_at: dt.datetime | None = None
        # Set once the reports have been looked at after start (the demo prints its banner after that).
        self.reports_checked = asyncio.Event()

    def start(self) -> None:
        """Start the scheduler (inside the running event loop)."""
        self.scheduler = AsyncIOScheduler(timezone=self.tz, job_defaults=JOB_DEFAULTS)
        self.scheduler.add_job(sweep_job, "interval", seconds=self.interval, args=[self.sweeper, self.clock],
                               id="sweep", next_run_time=utcnow())  # fmt: skip
        if self.deliverer is not None:
            self.scheduler.add_job(deliver_job, "interval", seconds=self.interval,
                                   args=[self.deliverer, self.clock], id="deliver")  # fmt: skip
        self.scheduler.add_job(report_job, "date", run_date=utcnow(), args=[self], id="reports")
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.deliverer is not None:
            await self.deliverer.close()

    def schedule_reports(self) -> None:
        if self.scheduler is None or not self.scheduler.running or self.next_report_at is None:
            return
        # APScheduler runs on the real clock; the injected clock only decides what is due.
        delay = max(self.next_report_at - self.clock(), dt.timedelta(0))
        self.scheduler.add_job(report_job, "date", run_date=utcnow() + delay, args=[self], id="reports",
                               replace_existing=True)  # fmt: skip

    async def reports_once(self, now: dt.datetime) -> int:
        """Remind of every report instance whose reminder time has come; write drafts.
        Sets :attr:`next_report_at`. Returns the number of reminders stored (new or not)."""
        async with self.sessions() as session:
            clockwork = await load_clockwork(session, self.book, self.tz)
        cal = clockwork.calendar
        rows: list[dict[str, Any]] = []
        upcoming: list[dt.datetime] = []
        for report in self.book.reports.values():
            anchor, due = next_report_due(report, now, cal)
            warn = report_warn_at(report, anchor, cal)
            if warn is None or now < warn:
                upcoming.append(warn or due)
                continue
            later, later_due = next_report_due(report, due + dt.timedelta(seconds=1), cal)
            upcoming.append(report_warn_at(report, later, cal) or later_due)
            rows.extend(_report_notices(report.id, report.title_zh, report.title_en, report_period(report, anchor),
                                        due, report.warn.notify if report.warn else (), now, clockwork))  # fmt: skip
            await self._draft(report.id, anchor, now)
        async with self.sessions() as session, session.begin():
            await notices.store(session, rows)
        future = [u for u in upcoming if u > now]
        self.next_report_at = min(future) if future else now + dt.timedelta(hours=1)
        return len(rows)

    async def _draft(self, report_id: str, anchor: dt.date, now: dt.datetime) -> None:
        if self.reports_dir is None:
            return
        first, last = report_period(self.book.reports[report_id], anchor)
        path = self.reports_dir / f"{report_id}_{first}_{last}.xlsx"  # as the panel's download is named
        if not path.exists():
            doc = await build_report(self.sessions, report_id, anchor, now=now, book=self.book, tz=self.tz)
            write_report(doc, path)
            log.info("report %s: draft written to %s", report_id, path)


def _report_notices(report_id: str, title_zh: str, title_en: str, period: tuple[dt.date, dt.date],
                    due: dt.datetime, roles: tuple[str, ...], now: dt.datetime,
                    clockwork: Clockwork) -> list[dict[str, Any]]:  # fmt: skip
    """The reminders of one report instance, keyed by the period it covers."""
    when = clockwork.calendar.local(due).strftime("%Y-%m-%d %H:%M")
    first, last = period
    out = []
    for role in roles:
        out.append({
            "key": f"r:{report_id}:{first}_{last}:reminder:{role}", "case_id": None,
            "deadline_id": None, "kind": "report_reminder", "level": 0, "recipient_role": role,
            "recipient": None, "text_zh": f"【报表催办】{report_id} {title_zh}（{first} 至 {last}），期限 {when}",
            "text_en": f"[Report reminder] {report_id} {title_en} ({first} to {last}), due {when}", "created_at": now,
            "deliver_at": notice_time(clockwork.book, role, now, clockwork.calendar).astimezone(dt.UTC),
            "attempts": 0,
        })  # fmt: skip
    return out
