"""The wallboard (page, API, websocket) and the queue reports (page, API, CSV/xlsx export)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from typing import Any

import aiohttp
import pytest

from callcenter.ami import clerk_store
from callcenter.ami.calls import CallState, Leg
from callcenter.web.models import CallNote
from callcenter.web.wallboard import reports
from tests.web.conftest import Panel, add_call, login

BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
UTC = dt.timezone.utc


async def _today(panel: Panel) -> dt.datetime:
    """Calls of today (the panel's clock: 2026-11-21 09:00 in Yinchuan) and of yesterday."""
    now = panel.clock()
    morning = now - dt.timedelta(hours=1)
    await add_call(panel.sessions, started_at=morning, ring_seconds=4.0, talk_seconds=60.0)  # 8001
    await add_call(panel.sessions, started_at=morning + dt.timedelta(minutes=1), ring_seconds=30.0, talk_seconds=120.0,
                   answered_by="8002")  # fmt: skip
    await add_call(panel.sessions, started_at=morning + dt.timedelta(minutes=2), disposition="abandoned",
                   abandon_stage="queue", answered_by=None, answered_at=None, talk_seconds=0.0, ring_seconds=3.0)  # fmt: skip
    await add_call(panel.sessions, started_at=morning + dt.timedelta(minutes=3), disposition="abandoned",
                   abandon_stage="ringing", answered_by=None, answered_at=None, talk_seconds=0.0, ring_seconds=12.0)  # fmt: skip
    vm = await add_call(panel.sessions, started_at=morning + dt.timedelta(minutes=4), disposition="voicemail",
                        answered_by=None, answered_at=None, talk_seconds=0.0, ring_seconds=15.0)  # fmt: skip
    await add_call(panel.sessions, started_at=now - dt.timedelta(days=1), ring_seconds=50.0)  # yesterday: not today
    async with panel.sessions() as db, db.begin():  # the voicemail was called back
        db.add(CallNote(call_id=vm, called_back_at=now, called_back_by="clerk", updated_at=now, updated_by="clerk"))
        await clerk_store.save(db, [_clerk("8001", "hotline_call", "13909511234"), _clerk("8002", "paused")], now)
    return now


def _clerk(ext: str, state: str, caller: str | None = None) -> dict[str, Any]:
    return {"extension": ext, "name": f"Clerk {ext}", "state": state, "since": 1795898260.0, "caller_number": caller,
            "caller_name": None, "linkedid": None, "calls": 1 if caller else 0,
            "pause_reason": "午餐" if state == "paused" else None, "offline_reason": None, "queues": ["hotline"],
            "device": "INUSE" if caller else "NOT_INUSE"}  # fmt: skip


def _waiting_state(now: dt.datetime) -> dict[str, Any]:
    started = (now - dt.timedelta(seconds=42)).timestamp()
    state = CallState(linkedid="W1", started_at=started, caller_number="13995112288", queue="hotline")
    state.legs["W1"] = Leg(uniqueid="W1", channel="SIP/trunk-00000001", role="caller", created_at=started)
    return state.to_json()


@BOTH
async def test_wallboard_figures_from_the_database(panel: Panel) -> None:
    now = await _today(panel)
    await add_call(panel.sessions, linkedid="W1", status="open", disposition=None, started_at=now - dt.timedelta(seconds=42),
                   state=_waiting_state(now))  # fmt: skip
    await login(panel.client, "supervisor")
    board = await (await panel.client.get("/api/wallboard")).json()
    t = board["today"]
    assert (t["offered"], t["answered"], t["abandoned"], t["voicemail"], t["short_abandons"]) == (5, 2, 2, 1, 1)
    # counted = 5 - 1 short; answered within 20 s: one (4 s); abandoned (not short): one
    assert (t["service_level"], t["abandon_rate"], t["asa"], t["aht"], t["longest_wait"]) == (25.0, 25.0, 17.0, 90.0, 30.0)
    assert t["waits"] == {"0-5": 1, "5-10": 0, "10-15": 0, "15-30": 0, ">30": 1}
    assert board["waiting"] == {"count": 1, "oldest_since": pytest.approx((now - dt.timedelta(seconds=42)).timestamp()),
                                "longest_wait": 42.0}  # fmt: skip
    assert board["missed_pending"] == 2  # two abandoned today; the voicemail was called back
    clerks = {c["extension"]: c for c in board["clerks"]}
    assert clerks["8001"]["display_name"] == "王丽" and clerks["8001"]["answered_today"] == 1
    assert (clerks["8002"]["state"], clerks["8002"]["pause_reason"]) == ("paused", "午餐")
    assert board["clerks_by_state"]["hotline_call"] == 1 and board["clerks_by_state"]["paused"] == 1

    page = await panel.client.get("/wallboard")
    html = await page.text()
    assert page.status == 200 and "话务看板" in html and "热线通话中" in html and "13909511234" in html
    page = await panel.client.get("/wallboard?screen=1&lang=en")
    assert "bigscreen" in await page.text() and "On a hotline call" in await page.text()


@BOTH
async def test_only_supervisors(panel: Panel) -> None:
    await login(panel.client, "clerk")
    for path in ("/api/wallboard", "/wallboard", "/wallboard/reports", "/api/queue-report"):
        assert (await panel.client.get(path)).status == 403, path
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await panel.client.ws_connect("/ws/wallboard", headers={"Origin": panel.origin})
    assert info.value.status == 403


async def _board(ws: Any) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive_json(), 5)
    assert msg["type"] == "wallboard"
    return msg


@BOTH
async def test_socket_sends_a_new_board_after_a_change(panel: Panel) -> None:
    now = await _today(panel)
    await login(panel.client, "supervisor")
    async with panel.client.ws_connect("/ws/wallboard", headers={"Origin": panel.origin}) as ws:
        first = await _board(ws)
        assert first["today"]["offered"] == 5
        await add_call(panel.sessions, started_at=now - dt.timedelta(minutes=5), answered_by="8002", ring_seconds=2.0)
        async with panel.sessions() as db, db.begin():
            await clerk_store.save(db, [_clerk("8002", "free")], now)
        panel.feed.publish({"type": "call", "change": "ended", "linkedid": "x"})
        panel.feed.publish({"type": "clerks", "clerks": []})
        second = await _board(ws)
        assert second["today"]["offered"] == 6 and second["today"]["answered"] == 3
        assert {c["extension"]: c["state"] for c in second["clerks"]}["8002"] == "free"
        panel.feed.publish({"type": "draft", "id": 1})  # not the wallboard's business: nothing sent
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.receive_json(), 0.6)


@BOTH
async def test_queue_report_page_api_and_exports(panel: Panel) -> None:
    now = await _today(panel)
    await add_call(panel.sessions, started_at=now - dt.timedelta(minutes=30), answered_by="=HYPERLINK(\"x\")")
    await login(panel.client, "supervisor")
    day = now.date().isoformat()
    data = await (await panel.client.get(f"/api/queue-report?from={day}&to={day}&group=hour")).json()
    assert data["total"]["offered"] == 6 and len(data["rows"]) == 24
    assert sum(r["offered"] for r in data["rows"]) == 6
    assert {c["extension"] for c in data["clerks"]} >= {"8001", "8002"}
    page = await panel.client.get(f"/wallboard/reports?from={day}&to={day}&group=weekday")
    html = await page.text()
    assert page.status == 200 and "<svg" in html and "周六" in html  # 2026-11-21 is a Saturday

    response = await panel.client.get(f"/wallboard/reports/export?format=csv&from={day}&to={day}")
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0][0] == "时段" and rows[1][0] == day and rows[2][0] == "汇总" and rows[2][1] == "6"
    assert ["'=HYPERLINK(\"x\")", "1", "57.0", "57.0", "0", "0"] in rows  # never a formula

    from openpyxl import load_workbook

    response = await panel.client.get(f"/wallboard/reports/export?format=xlsx&from={day}&to={day}")
    sheet = load_workbook(io.BytesIO(await response.read())).active
    def same(row: Any) -> list[str]:
        out = []
        for v in row:
            try:
                out.append(repr(float(v)))
            except (TypeError, ValueError):
                out.append("" if v is None else str(v))
        while out and out[-1] == "":
            out.pop()
        return out

    from_xlsx = [same(r) for r in sheet.iter_rows(values_only=True)]
    assert [r for r in from_xlsx if r] == [same(r) for r in rows if r]


@BOTH
@pytest.mark.parametrize("query", ["from=2026-13-01", "from=2026-11-21&to=2026-11-01", "group=month",
                                   "from=2024-01-01&to=2026-01-01", "to=yesterday"])  # fmt: skip
async def test_bad_report_queries_are_400(panel: Panel, query: str) -> None:
    await login(panel.client, "supervisor")
    for path in ("/api/queue-report", "/wallboard/reports", "/wallboard/reports/export"):
        response = await panel.client.get(f"{path}?{query}")
        assert response.status == 400, (path, query, response.status)
    assert (await panel.client.get("/wallboard/reports/export?format=pdf")).status == 400


def test_export_cells_are_sanitised() -> None:
    assert reports.cell("=1+1") == "'=1+1" and reports.cell("@SUM(A1)") == "'@SUM(A1)"
    assert reports.cell("a\x00b\x1bc\nd") == "abcd" and reports.cell(None) == "" and reports.cell(3.5) == 3.5
