"""The reports' JSON API, declared once (:mod:`callcenter.web.endpoints`)."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from callcenter.tickets.report_build import ReportDoc
from callcenter.web import keys
from callcenter.web.auth.roles import Perm
from callcenter.web.endpoints import Day, Endpoints, Params, Schema
from callcenter.web.present import iso
from callcenter.web.reports.pages import build, report_id_of

api = Endpoints()
routes = api.routes


class ReportPath(Params):
    report_id: str = Field(pattern=r"^R\d+$", max_length=8, description="R1, R2 or R3")


class ReportQuery(Params):
    anchor: Day | None = Field(None, description="any day of the period the report covers (R2/R3: the month "
                               "reported on); default: this week's R1, the R2/R3 due this month")


class Section(Schema):
    name: str = Field(description="summary, by_kind, by_category, by_station, overdue, second_complaints, chases")
    title: str = Field(description="in the report's language")
    headers: list[str]
    rows: list[list[Any]]


class Report(Schema):
    report_id: str
    title_zh: str
    title_en: str
    lang: Literal["zh", "en"] = Field(description="the reader's language (the panel's choice, zh by default)")
    from_: str = Field(alias="from", description="first day covered")
    to: str = Field(description="last day covered")
    generated_at: str
    sections: list[Section]


def report_json(doc: ReportDoc, request: web.Request) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    return {"report_id": doc.report_id, "title_zh": doc.title_zh, "title_en": doc.title_en, "lang": doc.lang,
            "from": doc.period[0].isoformat(), "to": doc.period[1].isoformat(),
            "generated_at": iso(doc.generated_at, tz),
            "sections": [{"name": s.name, "title": s.title, "headers": s.headers, "rows": s.rows}
                         for s in doc.sections]}  # fmt: skip


@api.get(r"/api/reports/{report_id:R\d+}", Perm.SUPERVISE, path=ReportPath, query=ReportQuery, response=Report)
async def get_report(request: web.Request, path: ReportPath, query: ReportQuery) -> dict[str, Any]:
    """a report R1–R3 for the period containing `anchor`, in the reader's language"""
    return report_json(await build(request, report_id_of(request)), request)
