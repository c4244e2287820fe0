"""Report periods in the panel (issue 10 point 1): a report anchored on a day covers the period
containing that day — R2/R3 the month reported on, due by the 20th/23rd of the month after — and
the page, its download links, the file names, the API and the CLI agree."""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from openpyxl import load_workbook

from callcenter import cli
from tests.web.conftest import Panel, login

DB = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def links(page: str) -> dict[str, str]:
    return {m[0]: m[1].replace("&amp;", "&") for m in re.findall(r'data-testid="download-(\w+)" href="([^"]+)"', page)}


@DB
@pytest.mark.parametrize("report, anchor, period, due", [
    ("R2", "2026-11-30", ("2026-11-01", "2026-11-30"), "2026-12-18 17:30"),  # month end; 12-20 is a Sunday
    ("R2", "2026-11-01", ("2026-11-01", "2026-11-30"), "2026-12-18 17:30"),
    ("R3", "2026-10-15", ("2026-10-01", "2026-10-31"), "2026-11-23 17:30"),
    ("R3", "2026-12-31", ("2026-12-01", "2026-12-31"), "2027-01-22 17:30"),  # year end; 2027: Mon–Fri
    ("R2", "", ("2026-10-01", "2026-10-31"), "2026-11-20 17:30"),  # default: the one due this month
    ("R1", "2026-12-31", ("2026-12-28", "2027-01-03"), "2027-01-01 17:30"),  # 2027 unknown: Mon–Fri
])  # fmt: skip
async def test_page_download_and_api_cover_the_anchors_period(
    panel: Panel, report: str, anchor: str, period: tuple[str, str], due: str
) -> None:
    await login(panel.client, "supervisor")
    page = await (await panel.client.get(f"/reports?report={report}&anchor={anchor}")).text()
    assert f"统计期间 {period[0]} 至 {period[1]}" in page and f"报送期限 {due}" in page
    for fmt, href in links(page).items():
        response = await panel.client.get(href)
        assert response.status == 200
        assert f'filename="{report}_{period[0]}_{period[1]}.{fmt}"' in response.headers["Content-Disposition"]
        if fmt == "xlsx":
            first = load_workbook(io.BytesIO(await response.read())).worksheets[0]["A1"].value
            assert f"{period[0]} – {period[1]}" in first
    data = await (await panel.client.get(f"/api/reports/{report}" + (f"?anchor={anchor}" if anchor else ""))).json()
    assert (data["from"], data["to"]) == period


@DB
async def test_the_cli_writes_the_month_named(panel: Panel, monkeypatch: pytest.MonkeyPatch, tmp_path, capsys) -> None:
    url = panel.sessions.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert await asyncio.to_thread(cli.main, ["report", "R2", "--period", "2026-11"]) == 0
    assert "R2 2026-11-01..2026-11-30" in capsys.readouterr().out
    assert (tmp_path / "R2_2026-11-01_2026-11-30.xlsx").exists()
    assert await asyncio.to_thread(cli.main, ["report", "monthly", "--period", "2026-11-30", "--out", "m.csv"]) == 0
    assert "R2 2026-11-01..2026-11-30" in capsys.readouterr().out


@DB
async def test_the_download_is_in_the_language_of_whoever_downloads_it(panel: Panel) -> None:
    """Issue 10 point 3: Chinese by default, English after choosing English; never both."""
    await login(panel.client, "supervisor")
    response = await panel.client.get("/reports/R2/download?anchor=2026-10-01&format=xlsx")
    book = load_workbook(io.BytesIO(await response.read()))
    assert book.sheetnames[0] == "汇总" and book["汇总"]["A2"].value == "指标"
    assert book["汇总"]["A1"].value.startswith("R2 周报月度汇总：2026-10-01")
    page = await (await panel.client.get("/reports?report=R2&anchor=2026-10-01&lang=en")).text()
    assert "<th>Figure</th>" in page and "指标" not in page
    response = await panel.client.get("/reports/R2/download?anchor=2026-10-01&format=csv")  # the cookie says en
    body = (await response.read()).decode("utf-8-sig")
    assert body.startswith("R2 Monthly summary of the weekly reports: 2026-10-01") and "[Summary]" in body
    assert "Calls" in body and "来电总数" not in body


@DB
async def test_the_report_api_is_declared_and_refuses_a_bad_anchor(panel: Panel) -> None:
    await login(panel.client, "supervisor")
    for bad in ("2026-13-01", "yesterday", "20261101"):
        response = await panel.client.get(f"/api/reports/R2?anchor={bad}")
        assert response.status == 400 and (await response.json())["field"] == "anchor"
    assert (await panel.client.get("/api/reports/R9")).status == 404
    data = await (await panel.client.get("/api/reports/R3?anchor=2026-11-02&lang=en")).json()
    assert data["lang"] == "en" and data["sections"][0]["title"] == "Summary"
