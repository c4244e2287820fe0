"""The queue figures of past days kept in the database (migration 0013): per UTC day and hour
the additive figures of :class:`callcenter.analytics.kpi.Figures` (``kpi_rollup_hours``) and
per clerk (``kpi_rollup_clerks``), so a period's figures are a sum over at most 367 × 24 rows
instead of a scan of its calls.

Exact, not approximate: every rolled-up day (``kpi_rollup_days``) records the counter of
``kpi_day_versions`` it was computed at. Triggers raise a day's counter whenever an ended call
started that day, or a ring attempt of an ended call rang that day, is written (migrations 0010
and 0013); a day whose counter moved is computed again from the call log (with
:func:`kpi.grouped` and :func:`kpi.clerk_hours`: the definitions stay in one place) before its
rows are read. A counter is read before the calls it stamps, so a change racing with the
computation leaves a row that looks stale (computed again), never one that looks fresh.

Rows are per pair of thresholds (service level, short abandon): other thresholds than the
configured ones get their own rows on first use. Cases opened are counted from ``cases``
directly (a few thousand a year), today from the call log (:func:`kpi.report`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, delete, func, insert, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.analytics import kpi
from callcenter.analytics.past import KpiDayVersion, KpiRollupClerk, KpiRollupClerkDay, KpiRollupDay, KpiRollupHour

DAY = dt.timedelta(days=1)
_SUMS = ("answered", "abandoned_queue", "abandoned_ringing", "abandoned_voicemail", "short_abandons", "voicemail",
         "busy", "failed", "answered_in_sl", "wait_answered", "talk")  # fmt: skip
_WAITS = tuple(f"waits_{i}" for i in range(len(kpi.WAIT_LABELS)))


def _utc_days(lo: dt.datetime, hi: dt.datetime) -> list[dt.date]:
    first, last = lo.astimezone(dt.UTC).date(), (hi.astimezone(dt.UTC) - dt.timedelta(microseconds=1)).date()
    return [first + DAY * i for i in range((last - first).days + 1)]


def _mine(model: Any, settings: kpi.KpiSettings) -> Any:
    return and_(model.service_level_seconds == settings.service_level_seconds,
                model.short_abandon_seconds == settings.short_abandon_seconds)  # fmt: skip


async def stale_days(db: AsyncSession, days: list[dt.date], settings: kpi.KpiSettings) -> list[dt.date]:
    """The days among ``days`` not rolled up, or rolled up at another counter than now."""
    first, last = days[0].isoformat(), days[-1].isoformat()
    v, r = KpiDayVersion, KpiRollupDay
    both = union_all(
        select(literal("v").label("kind"), v.day, v.version).where(v.day >= first, v.day <= last),
        select(literal("r").label("kind"), r.day, r.version).where(_mine(r, settings), r.day >= first, r.day <= last),
    )  # one round trip
    versions: dict[str, int] = {}
    rolled: dict[str, int] = {}
    for kind, day, version in await db.execute(both):
        (versions if kind == "v" else rolled)[day] = version
    return [d for d in days if rolled.get(d.isoformat()) != versions.get(d.isoformat(), 0)]


def _runs(days: list[dt.date]) -> list[list[dt.date]]:
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] + DAY == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


EPOCH = dt.date(1970, 1, 1)


def _epoch_hour(key: str) -> int:
    """Hours since 1970-01-01 00:00 UTC of a UTC hour 'YYYY-MM-DD HH'."""
    return (dt.date.fromisoformat(key[:10]) - EPOCH).days * 24 + int(key[11:13])


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


CHUNK_DAYS = 7  # days stored per write transaction (SQLite: the call log's writer waits meanwhile)


async def refresh(db: AsyncSession, days: list[dt.date], settings: kpi.KpiSettings,
                  store: async_sessionmaker[AsyncSession] | None = None) -> int:  # fmt: skip
    """Compute again those of ``days`` that are stale; returns how many were. They are read
    from the call log through ``db`` (one grouped scan per stretch of at most ``CHUNK_DAYS``
    consecutive days) and written in a short transaction of ``store`` each (the writers'
    sessions), or in ``db``'s own transaction without one (the caller commits)."""
    stale = await stale_days(db, sorted(days), settings) if days else []
    for run in _runs(stale):
        for i in range(0, len(run), CHUNK_DAYS):
            rows = await _compute(db, run[i : i + CHUNK_DAYS], settings)
            if store is None:
                await _store(db, rows, settings)
            else:
                async with store() as writer, writer.begin():
                    await _store(writer, rows, settings)
    return len(stale)


async def _compute(db: AsyncSession, run: list[dt.date], settings: kpi.KpiSettings) -> dict[str, Any]:
    keys = {"service_level_seconds": settings.service_level_seconds,
            "short_abandon_seconds": settings.short_abandon_seconds}  # fmt: skip
    names = [d.isoformat() for d in run]
    versions = dict((await db.execute(  # before the calls they stamp (see the module)
        select(KpiDayVersion.day, KpiDayVersion.version).where(KpiDayVersion.day.in_(names)))).all())  # fmt: skip
    lo, hi = _at(run[0]), _at(run[-1] + DAY)
    hours = await kpi.hourly(db, lo, hi, settings)
    clerks = await kpi.clerk_hours(db, lo, hi)
    days: dict[tuple[str, str], kpi.ClerkFigures] = {}
    for (hour, ext), c in clerks.items():
        if hour is not None:
            mine = days.setdefault((hour[:10], ext), kpi.ClerkFigures(ext))
            mine.answered, mine.talk, mine.missed_rings = (mine.answered + c.answered, mine.talk + c.talk,
                                                           mine.missed_rings + c.missed_rings)  # fmt: skip
    return {
        "names": names,
        "days": [{**keys, "day": d, "version": versions.get(d, 0)} for d in names],
        "hours": [{**keys, "day": key[:10], "hour": int(key[11:13]), "epoch_hour": _epoch_hour(key),
                   **{n: getattr(f, n) for n in _SUMS},
                   "longest_wait": f.longest_wait, **dict(zip(_WAITS, f.waits))} for key, f in hours.items()],
        "clerks": [{**keys, "day": hour[:10], "hour": int(hour[11:13]), "extension": ext, "answered": c.answered,
                    "talk": c.talk, "missed_rings": c.missed_rings}
                   for (hour, ext), c in clerks.items() if hour is not None],
        "clerk_days": [{**keys, "day": day, "extension": ext, "answered": c.answered, "talk": c.talk,
                        "missed_rings": c.missed_rings} for (day, ext), c in days.items()],
    }  # fmt: skip


async def _store(db: AsyncSession, rows: dict[str, Any], settings: kpi.KpiSettings) -> None:
    tables = ((KpiRollupDay, "days"), (KpiRollupHour, "hours"), (KpiRollupClerk, "clerks"),
              (KpiRollupClerkDay, "clerk_days"))  # fmt: skip
    for model, _key in tables:
        await db.execute(delete(model).where(_mine(model, settings), model.day.in_(rows["names"])))
    for model, key in tables:
        if rows[key]:
            await db.execute(insert(model), rows[key])


def _in(model: Any, lo: dt.datetime, hi: dt.datetime) -> Any:
    """Rows of the UTC hours in [lo, hi) (whole hours)."""
    lo, hi = lo.astimezone(dt.UTC), hi.astimezone(dt.UTC)
    lo_day, hi_day = lo.date().isoformat(), hi.date().isoformat()
    return and_(model.day >= lo_day, model.day <= hi_day,  # the key range; the rest cuts its end days
                or_(model.day > lo_day, and_(model.day == lo_day, model.hour >= lo.hour)),
                or_(model.day < hi_day, and_(model.day == hi_day, model.hour < hi.hour)))  # fmt: skip


def _local_day(hours: int) -> Any:
    """The local day of a rollup hour, for a zone ``hours`` from UTC, as days since 1970-01-01:
    integer arithmetic, no date function per row (``hours`` is never below -24)."""
    return (KpiRollupHour.epoch_hour + (hours + 24)) // 24 - 1


async def _sums(db: AsyncSession, keys: dict[str, Any], where: Any) -> dict[tuple[str, str], kpi.Figures]:
    """The summed rollup hours per value of each of ``keys`` (name: SQL expression), in one
    statement: {(name, value): figures}."""
    m = KpiRollupHour
    columns = [*(func.sum(getattr(m, n)) for n in (*_SUMS, *_WAITS)), func.max(m.longest_wait)]
    stmt = union_all(*(select(literal(name).label("name"), cast(key, String).label("key"), *columns)
                       .where(where).group_by(key) for name, key in keys.items()))  # fmt: skip
    out = {}
    for name, key_, *values in await db.execute(stmt):
        sums, waits, longest = values[: len(_SUMS)], values[len(_SUMS) : -1], values[-1]
        f = kpi.Figures(**{n: (float(v or 0.0) if n in ("wait_answered", "talk") else int(v or 0))
                           for n, v in zip(_SUMS, sums)})  # fmt: skip
        f.waits = [int(w or 0) for w in waits]
        f.longest_wait = None if longest is None else float(longest)
        f.offered = f.answered + f.abandoned + f.voicemail + f.busy
        out[(name, key_)] = f
    return out


async def part(db: AsyncSession, lo: dt.datetime, hi: dt.datetime, days: list[dt.date], tz: ZoneInfo,
               settings: kpi.KpiSettings, store: async_sessionmaker[AsyncSession] | None = None) -> kpi._Part:  # fmt: skip
    """The figures of the whole local days ``days`` ([lo, hi)) from the rollup, after computing
    again the stale days (:func:`refresh`; without ``store`` written in ``db``'s transaction,
    committed). A zone whose offset is not one whole number of hours over the period
    is computed from the call log (:func:`kpi._part`)."""
    offset = kpi.fixed_offset(tz, lo, hi)
    if offset is None or lo.minute or lo.second or hi.minute or hi.second:
        return await kpi._part(db, lo, hi, days, tz, settings)
    if await refresh(db, _utc_days(lo, hi), settings, store):
        await db.commit()  # a new read transaction: it sees the rows just written
    hours = offset // 3600
    by_day = {day: kpi.Figures() for day in days}
    where = and_(_mine(KpiRollupHour, settings), _in(KpiRollupHour, lo, hi))
    by_hour = [kpi.Figures() for _ in range(24)]
    sums = await _sums(db, {"day": _local_day(hours), "hour": KpiRollupHour.hour}, where)
    for (name, key), figures in sums.items():
        if name == "day":
            by_day.setdefault(EPOCH + dt.timedelta(days=int(key)), kpi.Figures()).add(figures)
        else:
            by_hour[(int(key) + hours) % 24].add(figures)
    # clerks: whole UTC days from the day rows, the hours of the partial first and last days
    first, last = lo.astimezone(dt.UTC), hi.astimezone(dt.UTC)
    whole = (first.date() + (DAY if first.hour else dt.timedelta()), last.date())  # [from, to)
    clerks: dict[str, kpi.ClerkFigures] = {}
    c, cd = KpiRollupClerk, KpiRollupClerkDay
    parts = [select(cd.extension, func.sum(cd.answered), func.sum(cd.talk), func.sum(cd.missed_rings))
             .where(_mine(cd, settings), cd.day >= whole[0].isoformat(), cd.day < whole[1].isoformat())
             .group_by(cd.extension)]  # fmt: skip
    edges = ((first, _at(whole[0])), (_at(whole[1]), last)) if whole[0] < whole[1] else ((first, last),)
    if whole[0] >= whole[1]:
        parts.clear()
    for a, b in edges:
        if a < b:
            parts.append(select(c.extension, func.sum(c.answered), func.sum(c.talk), func.sum(c.missed_rings))
                         .where(_mine(c, settings), _in(c, a, b)).group_by(c.extension))  # fmt: skip
    if parts:
        for ext, n, talk, missed in await db.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
            mine = clerks.setdefault(ext, kpi.ClerkFigures(ext))
            mine.answered, mine.talk, mine.missed_rings = (mine.answered + int(n or 0), mine.talk + float(talk or 0.0),
                                                           mine.missed_rings + int(missed or 0))  # fmt: skip
    return kpi._Part(by_day, by_hour, clerks)
