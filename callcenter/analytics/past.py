"""Figures of past days kept per process while those days' calls are unchanged (the queue
reports over long periods): :class:`PastCache`, and the per-day counters it compares,
``kpi_day_versions``, raised by a trigger on ``calls`` (migration 0010)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db.models import Base

if TYPE_CHECKING:
    from callcenter.analytics import kpi


class PastCache:
    """Figures of the days before today, kept per process while the call log of those days is
    unchanged: the per-day counters of ``kpi_day_versions`` (raised by a trigger on every write
    of an ended call) are compared with those read when the figures were computed. A call
    recovered later, a call that ends, a changed call: a new counter, a fresh computation.
    Today is always read afresh. Every process computes the same figures from the same rows."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._parts: dict[tuple[Any, ...], tuple[tuple[Any, ...], kpi._Part]] = {}
        self.hits = self.misses = 0

    async def part(self, session: AsyncSession, lo: dt.datetime, hi: dt.datetime, days: list[dt.date],
                   tz: ZoneInfo, settings: kpi.KpiSettings, compute: Any = None) -> kpi._Part:  # fmt: skip
        """The figures of ``days`` ([lo, hi)): kept ones while unchanged, else ``compute``
        (default :func:`kpi._part`, from the call log; the rollup: :func:`rollup.part`)."""
        key = (str(session.bind.url), tz.key, settings, lo, hi)
        stamp = await fingerprint(session, lo, hi)
        known = self._parts.get(key)
        if known is not None and known[0] == stamp:
            self.hits += 1
            return known[1]
        self.misses += 1
        from callcenter.analytics import kpi  # here: db.models imports this module to register the table

        part = await (compute or kpi._part)(session, lo, hi, days, tz, settings)
        self._parts.pop(key, None)
        self._parts[key] = (stamp, part)
        while len(self._parts) > self.size:
            self._parts.pop(next(iter(self._parts)))
        return part


class KpiDayVersion(Base):
    """A counter per UTC day ('YYYY-MM-DD'), raised by a trigger on ``calls`` whenever an ended
    call of that day is written (migration 0010): what :class:`PastCache` compares."""

    __tablename__ = "kpi_day_versions"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class KpiRollupDay(Base):
    """A UTC day whose figures are in the rollup (callcenter.analytics.rollup), for one pair of
    thresholds, computed from the call log at ``version`` of that day's counter (0: no counter)."""

    __tablename__ = "kpi_rollup_days"

    service_level_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    short_abandon_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class KpiRollupHour(Base):
    """The additive figures (callcenter.analytics.kpi.Figures) of the ended calls started in one
    UTC hour of a rolled-up day; hours without calls have no row."""

    __tablename__ = "kpi_rollup_hours"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order: a period is one range

    service_level_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    short_abandon_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)  # UTC
    epoch_hour: Mapped[int] = mapped_column(Integer)  # hours since 1970-01-01 00:00 UTC: local days by arithmetic
    answered: Mapped[int] = mapped_column(Integer)
    abandoned_queue: Mapped[int] = mapped_column(Integer)
    abandoned_ringing: Mapped[int] = mapped_column(Integer)
    abandoned_voicemail: Mapped[int] = mapped_column(Integer)
    short_abandons: Mapped[int] = mapped_column(Integer)
    voicemail: Mapped[int] = mapped_column(Integer)
    busy: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    answered_in_sl: Mapped[int] = mapped_column(Integer)
    wait_answered: Mapped[float] = mapped_column(Float)
    talk: Mapped[float] = mapped_column(Float)
    longest_wait: Mapped[float | None] = mapped_column(Float, nullable=True)
    waits_0: Mapped[int] = mapped_column(Integer)
    waits_1: Mapped[int] = mapped_column(Integer)
    waits_2: Mapped[int] = mapped_column(Integer)
    waits_3: Mapped[int] = mapped_column(Integer)
    waits_4: Mapped[int] = mapped_column(Integer)


class KpiRollupClerk(Base):
    """A clerk's answered calls and talk time (calls started in the UTC hour) and missed rings
    (phone rang in the UTC hour) in one hour of a rolled-up day; zero rows are left out."""

    __tablename__ = "kpi_rollup_clerks"
    __table_args__ = {"sqlite_with_rowid": False}

    service_level_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    short_abandon_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    extension: Mapped[str] = mapped_column(String(128), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer)
    talk: Mapped[float] = mapped_column(Float)
    missed_rings: Mapped[int] = mapped_column(Integer)


class KpiRollupClerkDay(Base):
    """The clerk rows of a rolled-up day summed over its 24 hours: whole UTC days of a period
    are read from here (10 clerks: 10 rows a day instead of 240), its partial days from
    ``kpi_rollup_clerks``."""

    __tablename__ = "kpi_rollup_clerk_days"
    __table_args__ = {"sqlite_with_rowid": False}

    service_level_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    short_abandon_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    extension: Mapped[str] = mapped_column(String(128), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer)
    talk: Mapped[float] = mapped_column(Float)
    missed_rings: Mapped[int] = mapped_column(Integer)


async def fingerprint(session: AsyncSession, lo: dt.datetime, hi: dt.datetime) -> tuple[Any, ...]:
    """The counters of the UTC days the stretch touches (a handful of rows, read by key)."""
    first, last = lo.astimezone(dt.timezone.utc).date(), hi.astimezone(dt.timezone.utc).date()
    rows = await session.execute(
        select(KpiDayVersion.day, KpiDayVersion.version)
        .where(KpiDayVersion.day >= first.isoformat(), KpiDayVersion.day <= last.isoformat())
        .order_by(KpiDayVersion.day)
    )  # fmt: skip
    return tuple((day, int(version)) for day, version in rows)
