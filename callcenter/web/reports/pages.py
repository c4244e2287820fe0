"""Reports R1–R3 (:mod:`callcenter.tickets.report_build`) in the panel: pick a report and a day
of its period, read it on the page, download it as Excel or CSV."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from callcenter.analytics.kpi import settings_of
from callcenter.tickets.calendar_store import load_calendar
from callcenter.tickets.report_build import ReportDoc, build_report, write_report
from callcenter.tickets.reports import default_anchor, report_due
from callcenter.web import keys
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest, NotFound
from callcenter.web.render import page
from callcenter.web.auth.roles import Perm

routes = web.RouteTableDef()
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}


def report_id_of(request: web.Request) -> str:
    report_id = request.match_info.get("report_id", "")
    if report_id not in request.app[keys.RULES].reports:
        raise NotFound("no such report")
    return report_id


def anchor_of(query: Mapping[str, str], default: dt.date) -> dt.date:
    """The ``anchor`` query value: a day of the report's period (``default`` when absent)."""
    raw = query.get("anchor", "").strip()
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest("anchor: a day of the period, YYYY-MM-DD", field="anchor") from None


async def build(request: web.Request, report_id: str) -> ReportDoc:
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    today = moment.astimezone(tz).date()
    anchor = anchor_of(request.query, default_anchor(request.app[keys.RULES].reports[report_id], today))
    return await build_report(request.app[keys.READS], report_id, anchor, now=moment,
                              book=request.app[keys.RULES], tz=tz.key, lang=request[keys.LANG],
                              kpi_settings=settings_of(request.app[keys.CONFIG]))  # fmt: skip


@routes.get("/reports", name="reports")
@requires(Perm.SUPERVISE)
@page("reports.html")
async def reports_page(request: web.Request) -> dict[str, Any]:
    book = request.app[keys.RULES]
    report_id = request.query.get("report", "").strip() or next(iter(book.reports))
    if report_id not in book.reports:
        raise BadRequest(f"report: one of {', '.join(book.reports)}", field="report")
    doc = await build(request, report_id)
    async with request.app[keys.READS]() as db:
        calendar = await load_calendar(db, request.app[keys.CONFIG].tz.key)
    due = report_due(book.reports[report_id], doc.period[0], calendar)
    return {"reports": book.reports, "report_id": report_id, "doc": doc, "due": due,
            "anchor": request.query.get("anchor", "") or doc.period[0].isoformat()}  # fmt: skip


def _write(doc: ReportDoc, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        path = write_report(doc, Path(folder) / f"report.{suffix}")
        return path.read_bytes()


async def report_file(doc: ReportDoc, fmt: str) -> web.Response:
    if fmt not in FORMATS:
        raise BadRequest(f"format: one of {', '.join(FORMATS)}", field="format")
    body = await asyncio.to_thread(_write, doc, fmt)  # openpyxl is slow: off the event loop
    name = f"{doc.report_id}_{doc.period[0]}_{doc.period[1]}.{fmt}"
    return web.Response(body=body, headers={"Content-Type": FORMATS[fmt],
                                            "Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@routes.get(r"/reports/{report_id:R\d+}/download", name="report_download")
@requires(Perm.SUPERVISE)
async def report_download(request: web.Request) -> web.StreamResponse:
    doc = await build(request, report_id_of(request))
    return await report_file(doc, request.query.get("format", "xlsx"))
