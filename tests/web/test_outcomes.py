"""Every outcome the call log knows appears in the supervision charts and the reports, and the
shares written on the bar add up to 100 % (issue 10 point 2: busy calls had no row)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.web.conftest import Panel, add_call, login

DB = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
# the demo's mix: 121 calls = 60 answered + 12 abandoned + 12 voicemail + 36 busy (+ 1 failed here)
MIX = {"answered": 60, "abandoned": 12, "voicemail": 12, "busy": 36, "failed": 1}


@DB
async def test_busy_calls_have_their_row_and_the_shares_sum_to_100(panel: Panel) -> None:
    start = panel.clock() - timedelta(hours=30)
    i = 0
    for disposition, n in MIX.items():
        for _ in range(n):
            i += 1
            await add_call(panel.sessions, started_at=start + timedelta(minutes=i), disposition=disposition,
                           caller_number=f"139{i:08d}")  # fmt: skip
    await login(panel.client, "supervisor")
    page = await (await panel.client.get("/supervision")).text()
    legend = page[page.index('class="legend-row"'):]
    for name in ("已接听", "未接（挂断）", "留言", "无坐席可接", "失败"):
        assert name in legend[:2000], name
    bar = re.search(r'<svg class="chart"[^>]*aria-label="来电结果占比[^"]*".*?</svg>', page, re.S)
    assert bar is not None
    written = [int(p) for p in re.findall(r">(\d+)%</text>", bar.group(0))]  # a sliver has no label
    assert written == [49, 10, 10, 30]  # + failed 1 % unlabelled = 100 and "c-busy" in bar.group(0)
    tooltips = [float(p) for p in re.findall(r"\((\d+\.\d)%\)</title>", bar.group(0))]
    assert round(sum(tooltips), 1) == 100.0 and len(tooltips) == 5
    shares = re.findall(r"</i>[^<]*? (\d+) · (\d+)%</span>", legend[:3000])
    assert [int(n) for n, _ in shares] == list(MIX.values()) and sum(int(p) for _, p in shares) == 100
    assert re.search(r"无坐席可接: 36 \(29\.\d%\)", bar.group(0))
    anchor = (panel.clock() - timedelta(hours=30)).date().isoformat()
    response = await panel.client.get(f"/reports/R1/download?anchor={anchor}&format=xlsx")
    sheet = load_workbook(io.BytesIO(await response.read())).worksheets[0]
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True)]
    values = {r[0]: r[1] for r in rows}
    outcome_rows = [v for k, v in values.items() if k.startswith("其中：")]
    assert values["其中：无坐席可接"] == 36 and values["其中：呼叫失败"] == 1
    assert sum(outcome_rows) == values["来电总数"] == sum(MIX.values())


@DB
async def test_the_charts_api_lists_every_outcome_and_shares_that_add_up(panel: Panel) -> None:
    start = panel.clock() - timedelta(hours=3)
    for i, disposition in enumerate(["answered"] * 2 + ["busy"]):
        await add_call(panel.sessions, started_at=start + timedelta(minutes=i), disposition=disposition,
                       caller_number=f"1380000000{i}")  # fmt: skip
    await login(panel.client, "supervisor")
    data = await (await panel.client.get("/api/supervision/charts")).json()
    assert data["totals"] == {"answered": 2, "abandoned": 0, "voicemail": 0, "busy": 1, "failed": 0}
    assert data["shares"]["busy"] == 33.3 and round(sum(data["shares"].values()), 1) == 100.0
    assert (await panel.client.get("/api/supervision/charts?from=someday")).status == 400
