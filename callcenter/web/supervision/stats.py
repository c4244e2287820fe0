"""Figures of the supervision charts: calls per hour and day, outcome shares, on-time and
callback rates per week. Grouped in the database (local day/hour, Asia/Shanghai), read-only.

Definitions follow the reports (:mod:`callcenter.tickets.report_build`): a resolved case is on
time when none of its clocks other than the callback (D8) and the escalation (ESC) was late or
past due when it was resolved; the callback rate is, of the resolved cases whose kind needs a
callback, the share called back.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Call
from callcenter.tickets.clocks import ESC
from callcenter.tickets.models import Case, CaseDeadline
from callcenter.tickets.workflow import CALLBACK_KINDS
from callcenter.web.errors import BadRequest

OUTCOMES = ("answered", "abandoned", "voicemail", "busy", "failed")
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # inclusive

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        lo = dt.datetime.combine(self.first, dt.time(), tz)
        hi = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tz)
        return lo, hi

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def parse_period(query: Mapping[str, str], today: dt.date, default_days: int = 14) -> Period:
    """``from``/``to`` (local dates, inclusive) of the query; default: the last ``default_days`` days."""
    try:
        last = dt.date.fromisoformat(query.get("to", "").strip() or today.isoformat())
        start = query.get("from", "").strip() or (last - dt.timedelta(days=default_days - 1)).isoformat()
        first = dt.date.fromisoformat(start)
    except ValueError:
        raise BadRequest("from/to: expected YYYY-MM-DD") from None
    if first > last:
        raise BadRequest("from: must not be after to", field="from")
    if (last - first).days >= MAX_DAYS:
        raise BadRequest(f"period: at most {MAX_DAYS} days", field="from")
    return Period(first, last)


@dataclass
class CallStats:
    by_day: dict[dt.date, Counter[str]] = field(default_factory=dict)
    by_hour: list[Counter[str]] = field(default_factory=lambda: [Counter() for _ in range(24)])
    totals: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class WeekRates:
    week: dt.date  # Monday
    resolved: int
    on_time: int
    need_callback: int
    called_back: int

    @property
    def on_time_rate(self) -> float | None:
        return None if not self.resolved else round(100.0 * self.on_time / self.resolved, 1)

    @property
    def callback_rate(self) -> float | None:
        return None if not self.need_callback else round(100.0 * self.called_back / self.need_callback, 1)


def local_part(session: AsyncSession, column: Any, part: str, tz: ZoneInfo, at: dt.datetime) -> ColumnElement[str]:
    """The local day (``YYYY-MM-DD``) or hour (``HH``) of ``column``, in SQL of the dialect."""
    if session.get_bind().dialect.name == "postgresql":
        fmt = "YYYY-MM-DD" if part == "day" else "HH24"
        return func.to_char(func.timezone(tz.key, column), fmt)
    offset = at.astimezone(tz).utcoffset() or dt.timedelta()  # a zone without DST (Asia/Shanghai)
    modifier = f"{int(offset.total_seconds()) // 60:+d} minutes"
    return func.strftime("%Y-%m-%d" if part == "day" else "%H", column, modifier)


async def call_stats(session: AsyncSession, period: Period, tz: ZoneInfo) -> CallStats:
    lo, hi = period.bounds(tz)
    stats = CallStats(by_day={d: Counter() for d in period.days()})
    outcome = func.coalesce(Call.disposition, "open")
    for part in ("day", "hour"):
        bucket = local_part(session, Call.started_at, part, tz, lo)
        rows = await session.execute(
            select(bucket, outcome, func.count()).where(Call.started_at >= lo, Call.started_at < hi)
            .group_by(bucket, outcome)
        )  # fmt: skip
        for key, disposition, count in rows.all():
            if part == "day":
                stats.by_day.setdefault(dt.date.fromisoformat(key), Counter())[disposition] += count
                stats.totals[disposition] += count
            else:
                stats.by_hour[int(key)][disposition] += count
    return stats


def _late_at_resolution() -> ColumnElement[bool]:
    """A clock (not D8/ESC) of the case was late, or running past due, when it was resolved."""
    d = CaseDeadline
    return exists().where(
        d.case_id == Case.id, d.rule_id.notin_(("D8", ESC)),
        or_(d.state == "late", and_(or_(d.stopped_at.is_(None), d.stopped_at > Case.resolved_at),
                                    d.due_at < Case.resolved_at)),
    )  # fmt: skip


async def week_rates(session: AsyncSession, period: Period, tz: ZoneInfo) -> list[WeekRates]:
    lo, hi = period.bounds(tz)
    rows = await session.execute(
        select(Case.resolved_at, Case.kind, Case.callback_at, _late_at_resolution())
        .where(Case.resolved_at >= lo, Case.resolved_at < hi)
    )  # fmt: skip
    weeks: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    monday = period.first - dt.timedelta(days=period.first.weekday())
    while monday <= period.last:
        weeks[monday]  # every week of the period, even an empty one
        monday += dt.timedelta(days=7)
    for resolved_at, kind, callback_at, late in rows.all():
        assert resolved_at is not None  # the query asks for resolved cases
        day = resolved_at.astimezone(tz).date()
        w = weeks[day - dt.timedelta(days=day.weekday())]
        w[0] += 1
        w[1] += 0 if late else 1
        if kind in CALLBACK_KINDS:
            w[2] += 1
            w[3] += callback_at is not None
    return [WeekRates(k, *v) for k, v in sorted(weeks.items())]
