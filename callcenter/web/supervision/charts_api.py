"""``GET /api/supervision/charts`` on the typed declaration layer: the charts' figures, every
outcome the call log knows (zeros included) and their shares, which add up to 100."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from callcenter.web import keys
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import now
from callcenter.web.endpoints import Day, Endpoints, Params, Schema
from callcenter.web.supervision import stats
from callcenter.web.supervision.charts import percentages

api = Endpoints()
routes = api.routes


class ChartsQuery(Params):
    date_from: Day | None = Field(None, alias="from", description="first day (local); default: 13 days before `to`")
    date_to: Day | None = Field(None, alias="to", description="last day (local); default: today")


class Week(Schema):
    week: str
    resolved: int
    on_time: int
    on_time_rate: float | None
    need_callback: int
    called_back: int
    callback_rate: float | None


class Charts(Schema):
    from_: str = Field(alias="from")
    to: str
    totals: dict[str, int] = Field(description="calls by outcome: answered, abandoned, voicemail, busy, failed "
                                   "(and open: still in progress, when there are any)")
    shares: dict[str, float] = Field(description="the outcomes' shares in percent, one decimal; they add up to 100 "
                                     "(all zero without calls)")
    calls_per_day: list[dict[str, Any]]
    calls_per_hour: list[dict[str, Any]]
    weeks: list[Week]


@api.get("/api/supervision/charts", Perm.SUPERVISE, query=ChartsQuery, response=Charts)
async def get_charts(request: web.Request, query: ChartsQuery) -> dict[str, Any]:
    """figures of the charts for a period"""
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    period = stats.parse_period(request.query, moment.astimezone(tz).date())
    async with request.app[keys.READS]() as db:
        calls = await stats.call_stats(db, period, tz)
        weeks = await stats.week_rates(db, period, tz)
    outcomes = [*stats.OUTCOMES, *(["open"] if calls.totals.get("open") else [])]
    totals = {o: calls.totals.get(o, 0) for o in outcomes}
    shares = dict(zip(outcomes, percentages(list(totals.values()), 1), strict=True))
    return {
        "from": period.first.isoformat(), "to": period.last.isoformat(), "totals": totals, "shares": shares,
        "calls_per_day": [{"day": d.isoformat(), **c} for d, c in calls.by_day.items()],
        "calls_per_hour": [{"hour": h, **c} for h, c in enumerate(calls.by_hour)],
        "weeks": [{"week": w.week.isoformat(), "resolved": w.resolved, "on_time": w.on_time,
                   "on_time_rate": w.on_time_rate, "need_callback": w.need_callback, "called_back": w.called_back,
                   "callback_rate": w.callback_rate} for w in weeks],
    }  # fmt: skip
