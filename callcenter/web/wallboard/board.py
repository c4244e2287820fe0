"""What the wallboard shows, read from the database (so every panel process, and a panel that
restarted, shows the same): today's queue figures (:mod:`callcenter.analytics.kpi`), callers
waiting now, clerks by state (``clerk_states``, written by the listener) and today's missed
calls not yet called back.

:class:`BoardCache` computes it once for every socket of a process: a reader asks for a board
at least as fresh as the change it was told about; concurrent readers share one computation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami import clerk_store
from callcenter.ami.calls import CallState
from callcenter.ami.clerks import STATES
from callcenter.analytics import kpi
from callcenter.analytics.past import PastCache
from callcenter.db.models import Call
from callcenter.web.calls.ledger import MISSED
from callcenter.web.models import CallNote

log = logging.getLogger(__name__)


def _waiting(state: dict[str, Any] | None) -> bool:
    """An open call whose caller is still waiting for a clerk (in the queue or ringing)."""
    if not state:
        return False
    try:
        call = CallState.from_json(state)
    except (TypeError, KeyError, ValueError):
        return False
    caller = call.caller
    return (call.answered_by is None and call.in_voicemail_at is None and call.voicemail is None
            and (caller is None or caller.ended_at is None))  # fmt: skip


async def waiting_now(db: AsyncSession) -> list[dt.datetime]:
    """Start times of the calls waiting now, oldest first."""
    rows = await db.execute(select(Call.started_at, Call.state).where(Call.status == "open"))
    return sorted(started for started, state in rows if _waiting(state))


async def missed_pending(db: AsyncSession, lo: dt.datetime, hi: dt.datetime) -> int:
    """Missed calls (abandoned, busy, voicemail) started in [lo, hi) nobody has called back."""
    stmt = (
        select(func.count()).select_from(Call)
        .outerjoin(CallNote, CallNote.call_id == Call.id)
        .where(Call.started_at >= lo, Call.started_at < hi, Call.status == "ended",
               Call.disposition.in_(MISSED), CallNote.called_back_at.is_(None))
    )  # fmt: skip
    return int(await db.scalar(stmt) or 0)


async def build(db: AsyncSession, now: dt.datetime, tz: ZoneInfo, settings: kpi.KpiSettings,
                names: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    today = now.astimezone(tz).date()
    period = kpi.Period(today, today, until=now)
    lo, hi = period.bounds(tz)
    figures = kpi.merge((await kpi.hourly(db, lo, hi, settings)).values())
    per_clerk = {c.extension: c for c in await kpi.clerk_figures(db, lo, hi)}
    waits = await waiting_now(db)
    clerks = []
    for view in await clerk_store.load(db):
        mine = per_clerk.get(view["extension"])
        clerks.append({**view, "display_name": names.get(view["extension"]) or view.get("name") or "",
                       "answered_today": mine.answered if mine else 0,
                       "missed_rings_today": mine.missed_rings if mine else 0})  # fmt: skip
    by_state = Counter(c["state"] for c in clerks)
    return {
        "type": "wallboard",
        "now": now.timestamp(),
        "day": today.isoformat(),
        "service_level_seconds": settings.service_level_seconds,
        "short_abandon_seconds": settings.short_abandon_seconds,
        "today": figures.as_dict(),
        "waiting": {"count": len(waits), "oldest_since": waits[0].timestamp() if waits else None,
                    "longest_wait": round((now - waits[0]).total_seconds(), 1) if waits else None},
        "clerks": clerks,
        "clerks_by_state": {s: by_state.get(s, 0) for s in STATES},
        "missed_pending": await missed_pending(db, lo, hi),
    }  # fmt: skip


class BoardCache:
    """One board computation shared by every reader of a process (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._board: dict[str, Any] | None = None
        self._stamp = float("-inf")  # monotonic time its computation started
        self.computations = 0
        self.past = PastCache()  # the queue reports' figures of past days (kpi.PastCache)

    def invalidate(self) -> float:
        """A change happened now: boards computed before it are stale. Returns the mark."""
        return time.monotonic()

    async def get(self, reads: async_sessionmaker[AsyncSession], now: dt.datetime, tz: ZoneInfo,
                  settings: kpi.KpiSettings, names: dict[str, str], *, fresh_after: float) -> dict[str, Any]:  # fmt: skip
        if self._board is not None and self._stamp >= fresh_after:
            return self._board
        async with self._lock:
            if self._board is not None and self._stamp >= fresh_after:
                return self._board
            stamp = time.monotonic()
            async with reads() as db:
                board = await build(db, now, tz, settings, names)
            self._board, self._stamp = board, stamp
            self.computations += 1
            return board
