"""Reports R1/R2/R3 on a small seeded dataset, written as .xlsx (read back) and .csv."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from callcenter import cli
from callcenter.tickets.cases import transition
from callcenter.tickets.report_build import build_report, write_report
from callcenter.tickets.sweep import Sweeper
from tests.tickets.conftest import at
from tests.tickets.helpers import add_call, assigned_case, new_case

WEEK = dt.date(2026, 9, 21)  # Monday 21 – Sunday 27 September 2026


async def seed(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Four complaints/supervision cases and one repair in the week of 21 September."""
    a = await assigned_case(sessions, at("2026-09-21 10:00"), category="不热")  # on time, called back
    b = await assigned_case(sessions, at("2026-09-21 11:00"), category="不热")  # late feedback
    c = await assigned_case(sessions, at("2026-09-22 09:00"), kind="supervision", source="property_office",
                            category="漏水")  # still open, overdue at the week's end  # fmt: skip
    d = await assigned_case(sessions, at("2026-09-22 10:00"), category="收费")  # resolved, no callback yet
    await new_case(sessions, at("2026-09-22 10:00"), kind="repair")  # not in R1's kinds

    async def go(case_id: int, action: str, when: str, role: str = "clerk", **kw: object) -> None:
        if action == "feedback":
            kw.setdefault("reason", "已上门处理，暖气恢复正常")
        await transition(sessions, case_id, action, actor="8001", role=role, now=at(when), **kw)  # type: ignore[arg-type]

    await go(a.id, "feedback", "2026-09-22 16:00", "station")
    await go(a.id, "resolve", "2026-09-22 17:00")
    await go(a.id, "callback_satisfied", "2026-09-23 10:00", "station")
    await go(b.id, "feedback", "2026-09-24 09:00", "station")  # due 23rd 17:30: 15.5 h late
    await go(b.id, "resolve", "2026-09-24 10:00")
    await go(b.id, "callback_satisfied", "2026-09-25 10:00", "station")
    await go(d.id, "feedback", "2026-09-23 09:00", "station")
    await go(d.id, "resolve", "2026-09-23 10:00")
    await go(d.id, "second_complaint", "2026-09-25 10:00")  # reopened by a second complaint
    for when, disposition in (("2026-09-21 10:00", "answered"), ("2026-09-21 11:00", "answered"),
                              ("2026-09-22 12:00", "abandoned"), ("2026-09-23 20:00", "voicemail"),
                              ("2026-09-24 08:00", "busy"), ("2026-09-24 08:01", "busy"),
                              ("2026-09-29 10:00", "answered")):  # the last one is next week  # fmt: skip
        await add_call(sessions, number="13900000009", started=at(when), disposition=disposition)
    await Sweeper(sessions).run_once(at("2026-09-28 09:00"))
    return {"a": a.id, "b": b.id, "c": c.id, "d": d.id}


async def test_weekly_report_figures_in_excel_and_csv(sessions, tmp_path: Path) -> None:
    ids = await seed(sessions)
    doc = await build_report(sessions, "R1", WEEK, now=at("2026-09-28 09:00"))
    assert doc.period == (WEEK, dt.date(2026, 9, 27))
    xlsx = write_report(doc, tmp_path / "r1.xlsx")
    book = load_workbook(xlsx)
    assert book.sheetnames == ["summary", "by_kind", "by_category", "by_station", "overdue", "second_complaints"]
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(min_row=3, values_only=True)}
    assert summary == {
        "cases accepted 受理件数": 4, "cases resolved 办结件数": 2, "resolved on time 按期办结": 1,
        "on-time completion rate % 按期办结率": 50.0, "callbacks needed 应回访": 2, "callbacks done 已回访": 2,
        "callback rate % 回访率 (target 100)": 100.0, "second complaints 二次投诉": 1, "calls 来电总数": 6,
        "calls answered 接听": 2, "calls abandoned 未接/放弃": 1, "voicemails 留言": 1,
        "calls busy 占线未接": 2, "calls failed 呼叫失败": 0,
    }  # fmt: skip
    kinds = list(book["by_kind"].iter_rows(min_row=3, values_only=True))
    assert kinds == [("complaint", "投诉", 3), ("supervision", "督办件", 1)]
    assert list(book["by_category"].iter_rows(min_row=3, values_only=True)) == [("不热", 2), ("收费", 1), ("漏水", 1)]
    assert list(book["by_station"].iter_rows(min_row=3, values_only=True)) == [("湖滨供热站", 4)]
    overdue = list(book["overdue"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[4], r[7]) for r in overdue] == [
        (ids["b"], "D5", "湖滨站长", 15.5),        # fed back Thursday 09:00, due Wednesday 17:30
        (ids["c"], "D5", "湖滨站长", 78.5),        # due Thu 24th 17:30, still open at the week's end
    ]  # fmt: skip
    assert overdue[1][6] == "open"
    second = list(book["second_complaints"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[4], r[5]) for r in second] == [(ids["d"], 1, 1, "assigned")]
    with write_report(doc, tmp_path / "r1.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0].startswith("R1 督办件、投诉件周报") and ["[overdue]"] in rows


async def test_property_office_report_counts_supervision_cases_of_the_previous_month(sessions, tmp_path: Path,
                                                                                      monkeypatch, capsys) -> None:  # fmt: skip
    ids = await seed(sessions)
    doc = await build_report(sessions, "R3", dt.date(2026, 9, 23), now=at("2026-10-20 09:00"))
    assert doc.period == (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    summary = dict((r[0], r[1]) for r in doc.section("summary").rows)
    assert summary["cases accepted 受理件数"] == 1 and summary["calls 来电总数"] == 7
    assert [r[0] for r in doc.section("overdue").rows] == [ids["c"], ids["c"]]  # D5 and D6 of the open case
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", str(sessions.kw["bind"].url.render_as_string(hide_password=False)))
    out = tmp_path / "r3.xlsx"
    code = await asyncio.to_thread(cli.main, ["report", "property-office", "--period", "2026-09", "--out", str(out)])
    assert code == 0 and "R3 2026-09-01..2026-09-30" in capsys.readouterr().out
    assert load_workbook(out)["summary"]["B3"].value == 1
