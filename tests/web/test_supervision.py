"""Supervision: overdue and due soon by station and person, charts, the outbox, reports as real
Excel/CSV files, the audit trail and its chain verification."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from callcenter.tickets.models import AuditEntry
from tests.web.conftest import Panel, add_call, add_case, login

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def test_overdue_and_due_soon_by_station_and_person(panel: Panel) -> None:
    now = panel.clock()
    late = await add_case(panel.sessions, now - timedelta(days=6), to="assigned", station="hubin")
    await add_case(panel.sessions, now - timedelta(days=6), to="assigned", station="hubin")
    await add_case(panel.sessions, now, to="assigned", station="renyi", kind="temperature")
    await login(panel.client, "supervisor")
    data = await (await panel.client.get("/api/supervision")).json()
    by_station = {t["station_id"]: t for t in data["by_station"]}
    hubin = next(t for t in by_station.values() if t["overdue"])
    assert (hubin["running"], hubin["overdue"]) == (2, 2)
    assert sum(t["due_soon"] for t in data["by_station"]) == 1
    assert {c["case_id"] for c in data["overdue"]} >= {late} and data["due_soon"][0]["rule_id"] == "D3"
    assert data["by_person"] and all(t["id"] is not None for t in data["by_person"])
    page = await (await panel.client.get("/supervision")).text()
    assert page.count('<svg class="chart"') == 5 and "湖滨供热站" in page and "湖滨站长" in page


async def test_the_charts_count_calls_by_local_day_and_hour(panel: Panel) -> None:
    now = panel.clock()  # 2026-11-21 09:00 in Yinchuan
    for minutes, disposition in ((0, "answered"), (5, "abandoned"), (10, "voicemail"), (60 * 15, "answered")):
        await add_call(panel.sessions, started_at=now - timedelta(minutes=minutes), disposition=disposition)
    await login(panel.client, "manager")
    data = await (await panel.client.get("/api/supervision/charts?from=2026-11-20&to=2026-11-21")).json()
    days = {d["day"]: d for d in data["calls_per_day"]}
    assert days["2026-11-21"] == {"day": "2026-11-21", "answered": 1, "abandoned": 1, "voicemail": 1}
    assert days["2026-11-20"] == {"day": "2026-11-20", "answered": 1}  # 18:00 the day before, local
    assert data["calls_per_hour"][9]["answered"] == 1 and data["calls_per_hour"][8]["abandoned"] == 1
    assert data["totals"] == {"answered": 2, "abandoned": 1, "voicemail": 1, "busy": 0, "failed": 0}
    assert data["shares"] == {"answered": 50.0, "abandoned": 25.0, "voicemail": 25.0, "busy": 0.0, "failed": 0.0}
    assert (await panel.client.get("/api/supervision/charts?from=2026-11-22&to=2026-11-21")).status == 400


async def test_on_time_and_callback_rates_per_week(panel: Panel) -> None:
    now = panel.clock()
    await add_case(panel.sessions, now - timedelta(hours=2), to="called_back")
    await add_case(panel.sessions, now - timedelta(hours=1), to="resolved")
    await login(panel.client, "office_head")
    data = await (await panel.client.get("/api/supervision/charts")).json()
    week = data["weeks"][-1]
    assert (week["resolved"], week["on_time"], week["need_callback"], week["called_back"]) == (2, 2, 2, 1)
    assert (week["on_time_rate"], week["callback_rate"]) == (100.0, 50.0)


async def test_the_outbox_lists_the_notices_sent(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    await login(panel.client, "supervisor")
    data = await (await panel.client.get(f"/api/outbox?case={case_id}")).json()
    assert {(n["kind"], n["recipient_role"]) for n in data["items"]} == {("instruction", "station"), ("copy", "office_head")}
    page = await (await panel.client.get("/supervision/outbox?role=station")).text()
    assert "【交办】" in page and f'href="/cases/{case_id}"' in page


async def test_reports_download_as_real_excel_and_csv(panel: Panel) -> None:
    await add_case(panel.sessions, panel.clock() - timedelta(days=1), to="resolved")
    await login(panel.client, "manager")
    response = await panel.client.get("/reports/R1/download?anchor=2026-11-20&format=xlsx")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="R1_2026-11-16_2026-11-22.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await response.read()))
    assert book.sheetnames == ["汇总", "按类别", "按分类", "按供热站", "超期", "二次投诉", "催办", "话务指标", "专线员话务"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["办结件数"] == 1
    csv = await (await panel.client.get("/reports/R3/download?anchor=2026-11-20&format=csv")).read()
    assert csv.startswith("\ufeff".encode()) and "督办件月报".encode() in csv
    assert (await panel.client.get("/reports/R1/download?format=pdf")).status == 400
    assert (await panel.client.get("/reports/R9/download")).status == 404
    page = await (await panel.client.get("/reports?report=R2&anchor=2026-10-20")).text()
    assert "统计期间 2026-10-01 至 2026-10-31" in page
    data = await (await panel.client.get("/api/reports/R1?anchor=2026-11-20")).json()
    assert data["from"] == "2026-11-16" and data["sections"][0]["name"] == "summary"


async def test_the_audit_trail_of_a_record_and_the_chain(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    await login(panel.client, "supervisor")
    data = await (await panel.client.get(f"/api/audit?entity=case&id={case_id}")).json()
    assert [(e["field"], e["before"], e["after"]) for e in data["items"]][:2] == [
        ("state", None, "draft"), ("state", "draft", "accepted")]
    assert data["chain"]["ok"] is True and data["chain"]["rows"] >= len(data["items"])
    page = await (await panel.client.get(f"/audit?entity=case&id={case_id}")).text()
    assert "湖滨供热站" in page and "审计链完整" in page
    async with panel.sessions() as db, db.begin():  # someone slips a row in past the chain
        await db.execute(insert(AuditEntry).values(
            seq=10_000, at=panel.clock(), actor="mallory", entity="case", entity_id=str(case_id), field="state",
            before='"assigned"', after='"closed"', reason=None, prev_hash="0" * 64, hash="f" * 64))  # fmt: skip
    verdict = await (await panel.client.get("/api/audit/verify")).json()
    assert verdict["ok"] is False and verdict["broken_at"] is not None
    page = await (await panel.client.get("/audit?verify=1")).text()
    assert 'class="chain broken"' in page

