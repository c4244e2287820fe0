"""The audit page (issue 10 point 8): the rule book's words instead of internal codes, filters
by date, actor, case and action, and the same rows exported as CSV and Excel."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.web.conftest import Panel, add_case, login

DB = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def reasons(page: str) -> list[str]:
    return [m.strip() for m in re.findall(r'<td class="summary">([^<]*)</td>', page)]


@DB
async def test_words_filters_and_exports(panel: Panel) -> None:
    now = panel.clock()
    old = await add_case(panel.sessions, now - timedelta(days=10), to="called_back", phone="13900000021")
    new = await add_case(panel.sessions, now, to="assigned", phone="13900000022")
    await login(panel.client, "supervisor")
    page = await (await panel.client.get(f"/audit?case={old}")).text()
    words = reasons(page)
    assert {"立案", "受理", "交办", "回访满意"} <= set(words)
    assert not {"assign", "accept", "callback_satisfied", "created"} & set(words)
    english = await (await panel.client.get(f"/audit?case={old}&lang=en")).text()
    assert {"case opened", "assigned", "callback: satisfied"} <= set(reasons(english))
    await panel.client.get("/audit?lang=zh")

    only_assign = reasons(await (await panel.client.get("/audit?action=assign")).text())
    assert only_assign and set(only_assign) == {"交办"}
    day = (now - timedelta(days=10)).astimezone(panel.config.tz).date().isoformat()
    page = await (await panel.client.get(f"/audit?from={day}&to={day}")).text()
    assert f'id={old}"' in page and f'id={new}"' not in page
    assert "<td" not in (await (await panel.client.get("/audit?actor=nobody")).text()).split('data-testid="audit"')[1].split("</table>")[0].replace('<td colspan="8" class="empty">', "")
    page = await (await panel.client.get("/audit?actor=clerk&action=accept")).text()
    assert set(reasons(page)) == {"受理"}

    response = await panel.client.get(f"/audit/export?case={old}&format=csv")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0] == ["#", "时间", "修改人", "记录", "字段", "原值", "新值", "原因"]
    assert len(rows) - 1 == len(words) and "交办" in {r[7] for r in rows[1:]} and "assign" not in {r[7] for r in rows[1:]}
    response = await panel.client.get(f"/audit/export?case={old}&action=assign&format=xlsx")
    sheet = load_workbook(io.BytesIO(await response.read())).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values and {v[7] for v in values} == {"交办"} and all(str(old) in v[3] for v in values)

    for bad in ("from=yesterday", "action=bogus", "case=x1", "entity=castle", "format=pdf"):
        path = f"/audit/export?{bad}" if bad.startswith("format") else f"/audit?{bad}"
        assert (await panel.client.get(path)).status == 400, bad
    _, _ = await login(panel.client, "station")
    assert (await panel.client.get("/audit/export?format=csv")).status == 403
