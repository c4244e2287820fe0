"""Queue and clerk figures: every definition written down once, here (and in docs/supervisors.md).

A *call* is a row of the call log (``calls``) with ``status = 'ended'``, counted in the period
its caller started (``started_at``, local days of the panel's time zone). Its *wait* is the
call log's ``ring_seconds``: from the caller's first event until a clerk was bridged with the
caller (answered), or until the voicemail took the call, or until the caller hung up.

- **offered**: calls that reached the hotline (a queue, a clerk's phone or the voicemail):
  answered + abandoned + voicemail + busy. ``failed`` calls (never reached any of them) are
  counted apart and are not offered.
- **answered**: a clerk was bridged with the caller (``disposition = 'answered'``).
- **abandoned**, by stage: the caller hung up in the queue (``queue``), while a clerk's phone
  rang (``ringing``) or during the voicemail greeting without leaving a message (``voicemail``).
- **short abandon**: an abandoned call whose wait was under ``short_abandon_seconds`` (default
  5 s): a misdial or a caller who changed their mind. Counted apart, left out of the abandon
  rate and of the service level.
- **voicemail**: a message was stored. **busy**: no clerk's phone rang and every attempt failed
  (busy, unreachable, no clerk available).
- **service level (SL %)**: answered with a wait ≤ ``service_level_seconds`` (default 20 s),
  divided by offered minus short abandons.
- **abandon rate**: abandoned minus short abandons, divided by offered minus short abandons.
- **ASA** (average speed of answer): mean wait of the answered calls.
- **AHT** (average handle time) = average talk time: mean ``talk_seconds`` of the answered calls
  (the call log has no after-call work, so handle time is talk time).
- **longest wait**: the longest wait of any offered call.
- **wait distribution**: answered calls by wait, 0–5, 5–10, 10–15, 15–30 and over 30 s (a wait
  of exactly 5 s is in 5–10).
- per clerk (an extension): **answered** calls and their **talk time** (the clerk who answered,
  the first responsible person, keeps the call through transfers); **missed rings**: the clerk's
  phone rang (a ring-attempt leg with a ringing time) and that leg was never picked up, except
  when a colleague answered the call meanwhile (ring-all: the other phones stop ringing); counted
  in the period the phone rang. **cases opened**: cases whose first responsible person
  (``first_responder``) is the clerk, accepted in the period.

A value with nothing to divide by (no offered or no answered call) is ``None`` (shown as "–").
Grouping: the database sums by UTC hour; hours are then placed on local days, hours and
weekdays here, so every grouping adds up to the same totals (exact for whole-hour offsets,
as Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, literal_column, not_, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Call, CallLeg
from callcenter.tickets.models import Case

DISPOSITIONS = ("answered", "abandoned", "voicemail", "busy", "failed")
STAGES = ("queue", "ringing", "voicemail")
WAIT_EDGES = (5.0, 10.0, 15.0, 30.0)  # buckets: [0,5) [5,10) [10,15) [15,30) [30,∞)
WAIT_LABELS = ("0-5", "5-10", "10-15", "15-30", ">30")
MAX_DAYS = 366


@dataclass(frozen=True)
class KpiSettings:
    service_level_seconds: float = 20.0
    short_abandon_seconds: float = 5.0


@dataclass(frozen=True)
class Period:
    """Local days ``first`` … ``last`` (inclusive); ``until`` cuts the last day short (today)."""

    first: dt.date
    last: dt.date
    until: dt.datetime | None = None

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        lo = dt.datetime.combine(self.first, dt.time(), tz)
        hi = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tz)
        if self.until is not None:
            hi = min(hi, self.until)
        return lo.astimezone(dt.timezone.utc), hi.astimezone(dt.timezone.utc)

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass
class Figures:
    """Additive counts and sums of a set of calls; the rates are derived (see the module)."""

    offered: int = 0
    answered: int = 0
    abandoned_queue: int = 0
    abandoned_ringing: int = 0
    abandoned_voicemail: int = 0
    short_abandons: int = 0
    voicemail: int = 0
    busy: int = 0
    failed: int = 0
    answered_in_sl: int = 0
    wait_answered: float = 0.0  # sum of the answered calls' waits
    talk: float = 0.0  # sum of the answered calls' talk time
    longest_wait: float | None = None
    waits: list[int] = field(default_factory=lambda: [0] * len(WAIT_LABELS))

    def add(self, other: Figures) -> None:
        for name in _ADDITIVE:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.waits = [a + b for a, b in zip(self.waits, other.waits)]
        if other.longest_wait is not None and (self.longest_wait is None or other.longest_wait > self.longest_wait):
            self.longest_wait = other.longest_wait

    @property
    def abandoned(self) -> int:
        return self.abandoned_queue + self.abandoned_ringing + self.abandoned_voicemail

    @property
    def counted(self) -> int:
        """Offered minus short abandons: the base of the service level and the abandon rate."""
        return self.offered - self.short_abandons

    @property
    def service_level(self) -> float | None:
        return _pct(self.answered_in_sl, self.counted)

    @property
    def abandon_rate(self) -> float | None:
        return _pct(self.abandoned - self.short_abandons, self.counted)

    @property
    def asa(self) -> float | None:
        return round(self.wait_answered / self.answered, 1) if self.answered else None

    @property
    def aht(self) -> float | None:
        return round(self.talk / self.answered, 1) if self.answered else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "offered": self.offered, "answered": self.answered, "abandoned": self.abandoned,
            "abandoned_queue": self.abandoned_queue, "abandoned_ringing": self.abandoned_ringing,
            "abandoned_voicemail": self.abandoned_voicemail, "short_abandons": self.short_abandons,
            "voicemail": self.voicemail, "busy": self.busy, "failed": self.failed,
            "answered_in_sl": self.answered_in_sl, "service_level": self.service_level,
            "abandon_rate": self.abandon_rate, "asa": self.asa, "aht": self.aht,
            "talk_seconds": round(self.talk, 1),
            "longest_wait": None if self.longest_wait is None else round(self.longest_wait, 1),
            "waits": dict(zip(WAIT_LABELS, self.waits)),
        }  # fmt: skip


_ADDITIVE = tuple(f.name for f in fields(Figures) if f.name not in ("waits", "longest_wait"))


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


@dataclass
class ClerkFigures:
    extension: str
    answered: int = 0
    talk: float = 0.0
    missed_rings: int = 0
    cases_opened: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"extension": self.extension, "answered": self.answered, "talk_seconds": round(self.talk, 1),
                "aht": round(self.talk / self.answered, 1) if self.answered else None,
                "missed_rings": self.missed_rings, "cases_opened": self.cases_opened}  # fmt: skip


@dataclass
class Report:
    period: Period
    settings: KpiSettings
    total: Figures
    by_day: dict[dt.date, Figures]
    by_hour: list[Figures]  # 24 local hours
    by_weekday: list[Figures]  # Monday = 0
    clerks: list[ClerkFigures]


# ---------------------------------------------------------------------------------- queries


def _utc_hour(dialect: str, column: Any = Call.started_at) -> Any:
    """The UTC hour of a call's start (or of ``column``) as 'YYYY-MM-DD HH' (SQLite stores naive UTC text)."""
    if dialect == "sqlite":
        return func.substr(column, 1, 13)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def _local_day(dialect: str, offset: int) -> Any:
    """The local day 'YYYY-MM-DD' of a call's start, for a zone ``offset`` seconds from UTC."""
    if dialect == "sqlite":
        return func.date(Call.started_at, f"{offset:+d} seconds")
    shifted = func.timezone("UTC", Call.started_at) + literal_column(f"interval '{int(offset)} seconds'")
    return func.to_char(shifted, "YYYY-MM-DD")


def _utc_hour_of_day(dialect: str) -> Any:
    if dialect == "sqlite":
        return func.substr(Call.started_at, 12, 2)
    return func.to_char(func.timezone("UTC", Call.started_at), "HH24")


def fixed_offset(tz: ZoneInfo, lo: dt.datetime, hi: dt.datetime) -> int | None:
    """The zone's offset from UTC in seconds if it is the same whole number of hours over the
    whole period (Asia/Shanghai: always +8 h), else None (the figures are then grouped by UTC hour)."""
    offsets = {tz.utcoffset(lo + dt.timedelta(hours=h)) for h in range(0, int((hi - lo).total_seconds() // 3600) + 1, 6)}
    offsets.add(tz.utcoffset(hi))
    if len(offsets) != 1:
        return None
    seconds = int(next(iter(offsets)).total_seconds())  # type: ignore[union-attr]
    return seconds if seconds % 3600 == 0 else None


def _in_period(lo: dt.datetime, hi: dt.datetime) -> Any:
    return and_(Call.started_at >= lo, Call.started_at < hi, Call.status == "ended")


async def hourly(session: AsyncSession, lo: dt.datetime, hi: dt.datetime, settings: KpiSettings) -> dict[str, Figures]:
    """Figures per UTC hour ('YYYY-MM-DD HH') of the calls started in [lo, hi)."""
    return await grouped(session, lo, hi, settings, _utc_hour(session.bind.dialect.name))


async def grouped(session: AsyncSession, lo: dt.datetime, hi: dt.datetime, settings: KpiSettings,
                  key: Any) -> dict[str, Figures]:  # fmt: skip
    """Figures of the calls started in [lo, hi) per value of ``key`` (an SQL expression): one
    grouped scan (of the covering index ``ix_calls_kpi``), one row per key."""
    hour = key.label("hour")
    wait = func.coalesce(Call.ring_seconds, 0.0)
    disposition = Call.disposition
    answered = disposition == "answered"
    abandoned = disposition == "abandoned"
    reached = disposition.in_(("answered", "abandoned", "voicemail", "busy"))

    def count_if(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    def sum_if(value: Any, *conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), value), else_=0.0))

    buckets = [count_if(answered, wait < WAIT_EDGES[0])]
    buckets += [count_if(answered, wait >= a, wait < b) for a, b in zip(WAIT_EDGES, WAIT_EDGES[1:])]
    buckets.append(count_if(answered, wait >= WAIT_EDGES[-1]))
    stmt = (
        select(hour, count_if(answered), count_if(abandoned, Call.abandon_stage == "ringing"),
               count_if(abandoned, Call.abandon_stage == "voicemail"), count_if(abandoned),
               count_if(disposition == "voicemail"), count_if(disposition == "busy"), count_if(or_(disposition.is_(None), not_(reached))),
               count_if(answered, wait <= settings.service_level_seconds),
               count_if(abandoned, wait < settings.short_abandon_seconds),
               sum_if(wait, answered), sum_if(func.coalesce(Call.talk_seconds, 0.0), answered),
               func.max(case((reached, wait), else_=None)), *buckets)
        .where(_in_period(lo, hi))
        .group_by(hour)
    )  # fmt: skip
    out: dict[str, Figures] = {}
    for row in await session.execute(stmt):
        (key, n_answered, ab_ringing, ab_vm, ab_all, vm, busy, failed, in_sl, short, wait_sum, talk_sum, longest,
         *waits) = row  # fmt: skip
        ab_ringing, ab_vm = int(ab_ringing or 0), int(ab_vm or 0)
        f = Figures(answered=int(n_answered or 0), abandoned_ringing=ab_ringing, abandoned_voicemail=ab_vm,
                    abandoned_queue=int(ab_all or 0) - ab_ringing - ab_vm,  # the queue, or no stage recorded
                    voicemail=int(vm or 0), busy=int(busy or 0), failed=int(failed or 0),
                    answered_in_sl=int(in_sl or 0), short_abandons=int(short or 0),
                    wait_answered=float(wait_sum or 0.0), talk=float(talk_sum or 0.0),
                    longest_wait=None if longest is None else float(longest),
                    waits=[int(w or 0) for w in waits])  # fmt: skip
        f.offered = f.answered + f.abandoned + f.voicemail + f.busy
        out[key] = f
    return out


async def clerk_figures(session: AsyncSession, lo: dt.datetime, hi: dt.datetime, *,
                        cases: bool = True) -> list[ClerkFigures]:  # fmt: skip
    """Answered calls, talk time, missed rings and cases opened per extension (see the module)."""
    clerks: dict[str, ClerkFigures] = {}
    for (_hour, ext), figures in (await clerk_hours(session, lo, hi, by_hour=False)).items():
        clerks[ext] = figures
    if cases:
        for ext, n in (await cases_opened(session, lo, hi)).items():
            clerks.setdefault(ext, ClerkFigures(ext)).cases_opened = n
    return sorted(clerks.values(), key=lambda c: c.extension)


async def clerk_hours(session: AsyncSession, lo: dt.datetime, hi: dt.datetime, *,
                      by_hour: bool = True) -> dict[tuple[str | None, str], ClerkFigures]:  # fmt: skip
    """Answered calls, talk time and missed rings per (UTC hour 'YYYY-MM-DD HH', extension) in
    [lo, hi): the hour the call started (answered, talk) or the phone rang (missed rings).
    ``by_hour=False``: one row per extension (hour None). Not the cases opened."""
    dialect = session.bind.dialect.name
    clerks: dict[tuple[str | None, str], ClerkFigures] = {}

    def one(hour: str | None, ext: str) -> ClerkFigures:
        return clerks.setdefault((hour, ext), ClerkFigures(ext))

    call_hour = _utc_hour(dialect).label("hour") if by_hour else null().label("hour")
    answered = await session.execute(
        select(call_hour, Call.answered_by, func.count(), func.sum(func.coalesce(Call.talk_seconds, 0.0)))
        .where(_in_period(lo, hi), Call.disposition == "answered", Call.answered_by.is_not(None))
        .group_by(*((call_hour,) if by_hour else ()), Call.answered_by)
    )  # fmt: skip
    for hour, ext, n, talk in answered:
        one(hour, ext).answered, one(hour, ext).talk = int(n), float(talk or 0.0)
    colleague_answered = and_(Call.disposition == "answered", Call.answered_by != CallLeg.extension)
    rang_hour = _utc_hour(dialect, CallLeg.rang_at).label("hour") if by_hour else null().label("hour")
    missed = await session.execute(
        select(rang_hour, CallLeg.extension, func.count())
        .join(Call, Call.id == CallLeg.call_id)
        .where(CallLeg.rang_at >= lo, CallLeg.rang_at < hi, CallLeg.role == "agent",
               CallLeg.extension.is_not(None), CallLeg.up_at.is_(None), Call.status == "ended",
               not_(func.coalesce(colleague_answered, literal(False))))
        .group_by(*((rang_hour,) if by_hour else ()), CallLeg.extension)
    )  # fmt: skip
    for hour, ext, n in missed:
        one(hour, ext).missed_rings = int(n)
    return clerks


async def cases_opened(session: AsyncSession, lo: dt.datetime, hi: dt.datetime) -> dict[str, int]:
    """Cases accepted in [lo, hi) per first responsible person (首问责任人)."""
    rows = await session.execute(
        select(Case.first_responder, func.count())
        .where(Case.accepted_at >= lo, Case.accepted_at < hi, Case.first_responder.is_not(None),
               Case.first_responder != "")
        .group_by(Case.first_responder)
    )  # fmt: skip
    return {ext: int(n) for ext, n in rows}


def _local_hour(key: str, tz: ZoneInfo) -> dt.datetime:
    utc = dt.datetime(int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]), tzinfo=dt.timezone.utc)
    return utc.astimezone(tz)


def regroup(hours: dict[str, Figures], period: Period, tz: ZoneInfo) -> Report:
    """UTC-hour figures placed on local days, hours of the day and weekdays."""
    total, by_day = Figures(), {day: Figures() for day in period.days()}
    by_hour, by_weekday = [Figures() for _ in range(24)], [Figures() for _ in range(7)]
    for key, figures in hours.items():
        local = _local_hour(key, tz)
        for target in (total, by_day.setdefault(local.date(), Figures()), by_hour[local.hour],
                       by_weekday[local.weekday()]):  # fmt: skip
            target.add(figures)
    return Report(period, KpiSettings(), total, by_day, by_hour, by_weekday, [])


@dataclass
class _Part:
    """The figures of a stretch of whole local days (what :class:`PastCache` keeps)."""

    by_day: dict[dt.date, Figures]
    by_hour: list[Figures]
    clerks: dict[str, ClerkFigures]


async def _part(session: AsyncSession, lo: dt.datetime, hi: dt.datetime, days: list[dt.date], tz: ZoneInfo,
                settings: KpiSettings) -> _Part:  # fmt: skip
    offset = fixed_offset(tz, lo, hi)
    by_day = {day: Figures() for day in days}
    by_hour = [Figures() for _ in range(24)]
    if offset is None or len(days) == 1:  # one day: its ≤ 24 hours in one grouping
        regrouped = regroup(await hourly(session, lo, hi, settings), Period(days[0], days[-1]), tz)
        by_day.update(regrouped.by_day)
        by_hour = regrouped.by_hour
    else:  # two small groupings instead of one row per hour: by local day, by hour of the day
        dialect = session.bind.dialect.name
        for key, figures in (await grouped(session, lo, hi, settings, _local_day(dialect, offset))).items():
            by_day.setdefault(dt.date.fromisoformat(key), Figures()).add(figures)
        for key, figures in (await grouped(session, lo, hi, settings, _utc_hour_of_day(dialect))).items():
            by_hour[(int(key) + offset // 3600) % 24].add(figures)
    clerks = {c.extension: c for c in await clerk_figures(session, lo, hi, cases=False)}
    return _Part(by_day, by_hour, clerks)


def _assemble(period: Period, settings: KpiSettings, parts: list[_Part]) -> Report:
    by_day: dict[dt.date, Figures] = {}
    by_hour, by_weekday = [Figures() for _ in range(24)], [Figures() for _ in range(7)]
    clerks: dict[str, ClerkFigures] = {}
    for part in parts:
        for day, figures in part.by_day.items():
            by_day.setdefault(day, Figures()).add(figures)
            by_weekday[day.weekday()].add(figures)
        for hour, figures in enumerate(part.by_hour):
            by_hour[hour].add(figures)
        for ext, c in part.clerks.items():
            mine = clerks.setdefault(ext, ClerkFigures(ext))
            mine.answered, mine.talk, mine.missed_rings = mine.answered + c.answered, mine.talk + c.talk, \
                mine.missed_rings + c.missed_rings
    by_day = dict(sorted(by_day.items()))
    return Report(period, settings, merge(by_day.values()), by_day, by_hour, by_weekday,
                  sorted(clerks.values(), key=lambda c: c.extension))  # fmt: skip


async def report(session: AsyncSession, period: Period, tz: ZoneInfo, settings: KpiSettings,
                 *, clerks: bool = True, cache: Any = None, today: dt.date | None = None,
                 rollup: bool = False, store: Any = None) -> Report:  # fmt: skip
    """Every figure of the period: totals, by local day, hour and weekday, and per clerk.
    The days before ``today`` come from ``cache`` (:class:`callcenter.analytics.past.PastCache`:
    reused while unchanged) and/or, with ``rollup``, from the rollup tables
    (:mod:`callcenter.analytics.rollup`; stale days are computed again in a transaction of
    ``store``, the writers' sessions); today, and everything without either, from the call log."""
    lo, hi = period.bounds(tz)
    days = period.days()
    compute: Any = _part
    if rollup:
        from callcenter.analytics import rollup as rollups

        async def compute(session: AsyncSession, lo: dt.datetime, hi: dt.datetime, days: list[dt.date],
                          tz: ZoneInfo, settings: KpiSettings) -> _Part:  # fmt: skip
            return await rollups.part(session, lo, hi, days, tz, settings, store)

    if (cache is None and not rollup) or today is None or days[0] >= today:
        parts = [await _part(session, lo, hi, days, tz, settings)]
    else:
        past = [d for d in days if d < today]
        split = dt.datetime.combine(past[-1] + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.timezone.utc)
        if cache is not None:
            parts = [await cache.part(session, lo, min(split, hi), past, tz, settings, compute=compute)]
        else:
            parts = [await compute(session, lo, min(split, hi), past, tz, settings)]
        if split < hi:
            parts.append(await _part(session, split, hi, [d for d in days if d >= today], tz, settings))
    result = _assemble(period, settings, parts)
    if clerks:
        for ext, n in (await cases_opened(session, lo, hi)).items():
            mine = next((c for c in result.clerks if c.extension == ext), None)
            if mine is None:
                mine = ClerkFigures(ext)
                result.clerks.append(mine)
            mine.cases_opened = n
        result.clerks.sort(key=lambda c: c.extension)
    else:
        result.clerks = []
    return result


async def call_figures(session: AsyncSession, first: dt.date, last: dt.date, tz: ZoneInfo,
                       settings: KpiSettings | None = None) -> dict[str, Any]:  # fmt: skip
    """The call figures of local days ``first`` … ``last`` for the rule book's reports (R1/R2):
    the totals (see :meth:`Figures.as_dict`) and one row per clerk. Read-only."""
    settings = settings or KpiSettings()
    result = await report(session, Period(first, last), tz, settings)
    return {"period": [first.isoformat(), last.isoformat()],
            "service_level_seconds": settings.service_level_seconds,
            "short_abandon_seconds": settings.short_abandon_seconds,
            **result.total.as_dict(), "clerks": [c.as_dict() for c in result.clerks]}  # fmt: skip


def merge(items: Iterable[Figures]) -> Figures:
    out = Figures()
    for item in items:
        out.add(item)
    return out


def settings_of(config: Any) -> KpiSettings:
    """The configured thresholds (``CALLCENTER_SERVICE_LEVEL_SECONDS`` / ``_SHORT_ABANDON_SECONDS``)."""
    return KpiSettings(float(config.service_level_seconds), float(config.short_abandon_seconds))
