"""Control characters (issue 10 point 11): a station name with ``\\u0007`` already in the database
no longer breaks the Excel downloads, and the text fields people type refuse control characters."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from callcenter.tickets.controls import cell_text, formula_safe, refusal
from callcenter.tickets.models import Case, Unit
from tests.web.conftest import Panel, add_case, login

DB = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
BELL_NAME = "湖滨\u0007供热站\x1b[31m"


def test_pure_helpers() -> None:
    assert cell_text("a\u0007b\x00c\td\ne") == "a\ufffdb\ufffdc\td\ne"
    assert refusal("name", "ok\u0007") == "name: control character U+0007 is not allowed"
    assert refusal("problem", "一行\n两行\t", multiline=True) is None
    assert refusal("name", "一行\n两行") is not None
    assert formula_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and formula_safe("湖滨") == "湖滨"


@DB
async def test_every_xlsx_download_survives_a_hostile_station_name(panel: Panel) -> None:
    now = panel.clock()
    case_id = await add_case(panel.sessions, now - timedelta(days=6), to="assigned", station="hubin",
                             category="=HYPERLINK(\"http://x\")")  # fmt: skip
    async with panel.sessions() as db, db.begin():  # as an older version could store it
        await db.execute(update(Unit).where(Unit.code == "hubin").values(name_zh=BELL_NAME))
        await db.execute(update(Case).where(Case.id == case_id).values(accepted_at=now - timedelta(days=6)))
    await login(panel.client, "supervisor")
    anchor = (now - timedelta(days=6)).date().isoformat()
    for report in ("R1", "R2", "R3"):
        response = await panel.client.get(f"/reports/{report}/download?anchor={anchor}&format=xlsx")
        assert response.status == 200, report
        book = load_workbook(io.BytesIO(await response.read()))
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        assert all("\u0007" not in str(c.value) for c in cells)
        if report != "R3":  # R3 counts supervision cases only
            assert any(c.value == "湖滨\ufffd供热站\ufffd[31m" for c in cells)
            formula = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
            assert formula and all(c.data_type == "s" for c in formula)  # text, never a formula
    response = await panel.client.get(f"/reports/R1/download?anchor={anchor}&format=csv")
    body = (await response.read()).decode("utf-8-sig")
    assert response.status == 200 and "\u0007" not in body and "'=HYPERLINK" in body


async def _send(panel: Panel, token: str, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = await panel.client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    return response.status, await response.json()


@DB
async def test_text_fields_refuse_control_characters(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    status, data = await _send(panel, admin, "POST", "/api/directory/units",
                               {"code": "bell", "kind": "department", "name_zh": "响铃\u0007科"})  # fmt: skip
    assert status == 400 and "U+0007" in data["message"]
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned", station="hubin")
    _, station = await login(panel.client, "station")
    status, data = await _send(panel, station, "POST", f"/api/cases/{case_id}/actions/feedback",
                               {"reason": "已上门处理\u0007，暖气恢复正常"})  # fmt: skip
    assert status == 400 and "U+0007" in data["message"] and data["field"] == "reason"  # the route's declaration
    status, _ = await _send(panel, station, "POST", f"/api/cases/{case_id}/actions/feedback",
                            {"reason": "已上门处理，\n暖气恢复正常"})  # fmt: skip
    assert status == 200  # a new line is fine in free text
