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
    assert book.sheetnames == ["汇总", "按类别", "按分类", "按供热站", "超期", "二次投诉", "催办", "话务指标", "专线员话务"]
    queue = {row[0]: row[1] for row in book["话务指标"].iter_rows(min_row=3, values_only=True)}
    assert queue["呼入总数"] == 6 and queue["已接听"] == 2 and queue["留言"] == 1 and queue["无坐席可接"] == 2
    assert "服务水平（%，20秒内接听）" in queue and "短时放弃（5秒内，另计）" in queue
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary == {
        "受理件数": 4, "办结件数": 2, "按期办结件数": 1, "按期办结率（%）": 50.0, "应回访件数": 2, "已回访件数": 2,
        "回访率（%，要求100%）": 100.0, "二次投诉件数": 1, "催办次数": 0, "逐级上报次数": 0, "来电总数": 6, "其中：已接听": 2, "其中：未接（挂断）": 1,
        "其中：留言": 1, "其中：无坐席可接": 2, "其中：呼叫失败": 0,
    }  # fmt: skip
    assert doc.figures()["calls.busy"] == 2
    kinds = list(book["按类别"].iter_rows(min_row=3, values_only=True))
    assert kinds == [("投诉", 3), ("督办件", 1)]
    assert list(book["按分类"].iter_rows(min_row=3, values_only=True)) == [("不热", 2), ("收费", 1), ("漏水", 1)]
    assert list(book["按供热站"].iter_rows(min_row=3, values_only=True)) == [("湖滨供热站", 4)]
    overdue = list(book["超期"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[4], r[7]) for r in overdue] == [
        (ids["b"], "D5", "湖滨站长", 15.5),        # fed back Thursday 09:00, due Wednesday 17:30
        (ids["c"], "D5", "湖滨站长", 78.5),        # due Thu 24th 17:30, still open at the week's end
    ]  # fmt: skip
    assert overdue[1][6] == "未完成"
    second = list(book["二次投诉"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[4], r[5]) for r in second] == [(ids["d"], 1, 1, "已交办")]
    with write_report(doc, tmp_path / "r1.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0].startswith("R1 督办件、投诉件周报") and ["[超期]"] in rows


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_a_report_speaks_one_language(sessions, tmp_path: Path) -> None:
    """Issue 10 point 3: no "figure 指标" any more; zh by default, English when asked."""
    await seed(sessions)
    zh = await build_report(sessions, "R1", WEEK, now=at("2026-09-28 09:00"))
    en = await build_report(sessions, "R1", WEEK, now=at("2026-09-28 09:00"), lang="en")
    assert zh.figures() == en.figures()
    for doc, foreign in ((zh, lambda t: any(ch.isascii() and ch.isalpha() for ch in t.replace("R1", "").replace("D5", ""))),
                         (en, _has_cjk)):  # fmt: skip
        book = load_workbook(write_report(doc, tmp_path / f"{doc.lang}.xlsx"))
        words = [*book.sheetnames]
        for ws in book.worksheets:
            words += [str(c.value) for c in ws[2]]  # headers
            words += [str(r[0]) for r in ws.iter_rows(min_row=3, values_only=True) if ws.title in ("汇总", "Summary")]
        assert not [w for w in words if foreign(w)], (doc.lang, [w for w in words if foreign(w)])
    book = load_workbook(tmp_path / "en.xlsx")
    assert book.sheetnames == ["Summary", "By kind", "By category", "By station", "Overdue", "Second complaints",
                               "Reminders (chasing)", "Queue figures", "Clerks' calls"]  # fmt: skip
    assert book["Summary"]["A1"].value.startswith("R1 Weekly report of supervision and complaint cases: 2026-09-21")
    assert ("Complaint", 3) in list(book["By kind"].iter_rows(min_row=3, values_only=True))


async def test_property_office_report_counts_supervision_cases_of_the_previous_month(sessions, tmp_path: Path,
                                                                                      monkeypatch, capsys) -> None:  # fmt: skip
    ids = await seed(sessions)
    doc = await build_report(sessions, "R3", dt.date(2026, 9, 23), now=at("2026-10-20 09:00"))
    assert doc.period == (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert doc.figures()["accepted"] == 1 and doc.figures()["calls"] == 7
    assert [r[0] for r in doc.section("overdue").rows] == [ids["c"], ids["c"]]  # D5 and D6 of the open case
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", str(sessions.kw["bind"].url.render_as_string(hide_password=False)))
    out = tmp_path / "r3.xlsx"
    code = await asyncio.to_thread(cli.main, ["report", "property-office", "--period", "2026-09", "--out", str(out)])
    assert code == 0 and "R3 2026-09-01..2026-09-30" in capsys.readouterr().out
    assert load_workbook(out)["汇总"]["B3"].value == 1
