"""Issue 11 part 4: a ledger clerks can search (part of a number in any form, a name), filter
(time of day, duration, transferred, voicemail, clerk, my calls), total, page both ways and
export (CSV, xlsx) — on SQLite and PostgreSQL, through the trigram indexes of migration 0009."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from callcenter.tickets.cases import NewCase, create_case
from callcenter.web.calls.notes import save_notes
from tests.web.conftest import T0, Panel, add_call, login

ZHANG, NOTED, CASED, OFFICE, OTHER = "zhang", "noted", "cased", "office", "other"


async def add_calls(panel: Panel) -> dict[str, int]:
    """Five callers, newest last: a mobile as the carrier sends it, a landline with its area
    code (a name only in the notes), an E.164 mobile (a name only on its case), a local number
    transferred late at night, and a caller no search here should find."""
    ids = {
        ZHANG: await add_call(panel.sessions, caller_number="13909511234", caller_name="Zhang Wei",
                              started_at=T0),
        NOTED: await add_call(panel.sessions, caller_number="09516088794", caller_name="",
                              started_at=T0 + timedelta(minutes=1), voicemail_path="/x/msg0001",
                              voicemail_duration=9.0, disposition="voicemail", answered_by=None, talk_seconds=None),
        CASED: await add_call(panel.sessions, caller_number="+8618609516677", caller_name="",
                              started_at=T0 + timedelta(minutes=2)),
        OFFICE: await add_call(panel.sessions, caller_number="6735547", caller_name="Office 100%",
                               started_at=T0 + timedelta(hours=13, minutes=30), answered_by="8002",
                               transferred_to=["8003"], duration_seconds=300.0, talk_seconds=290.0),
        OTHER: await add_call(panel.sessions, caller_number="13812395678", caller_name="Li Qiang",
                              started_at=T0 + timedelta(minutes=3), answered_by="8002"),
    }  # fmt: skip
    async with panel.sessions() as db, db.begin():
        await save_notes(db, ids[NOTED], actor="clerk", data={"caller_name": "李明"}, version=0, now=T0)
    await create_case(panel.sessions, NewCase(kind="complaint", source="phone", caller_name="王芳",
                                              caller_phone="18609516677"),
                      actor="clerk", role="clerk", now=T0, call_id=ids[CASED])  # fmt: skip
    return ids


async def found(panel: Panel, ids: dict[str, int], **query: str) -> list[str]:
    response = await panel.client.get("/api/calls", params=query)
    assert response.status == 200, await response.text()
    by_id = {v: k for k, v in ids.items()}
    return [by_id[item["id"]] for item in (await response.json())["items"]]


SEARCHES = [
    ({"number": "13909511234"}, [ZHANG]),
    ({"number": "1390951"}, [ZHANG]),
    ({"number": "1234"}, [ZHANG]),
    ({"number": "+8613909511234"}, [ZHANG]),
    ({"number": "013909511234"}, [ZHANG]),
    ({"number": "139 0951 1234"}, [ZHANG]),
    ({"number": "0086-139-0951-1234"}, [ZHANG]),
    ({"name": "Zhang"}, [ZHANG]),
    ({"name": "zhang"}, [ZHANG]),
    ({"number": "0951-6088794"}, [NOTED]),
    ({"number": "6088794"}, [NOTED]),
    ({"number": "8794"}, [NOTED]),
    ({"number": "6088794 转 8012"}, [NOTED]),  # a case's phone with its extension (the case page links it)
    ({"name": "李明"}, [NOTED]),
    ({"number": "186 0951 6677"}, [CASED]),
    ({"number": "018609516677"}, [CASED]),
    ({"name": "王芳"}, [CASED]),
    ({"number": "0951 6735547"}, [OFFICE]),
    ({"name": "100%"}, [OFFICE]),
    ({"number": "0951"}, [CASED, NOTED, ZHANG]),  # 951 in all three; the 7-digit local number has none
    ({"number": "13909519999"}, []),
    ({"number": "9999"}, []),
    ({"name": "Wang"}, []),
    ({"name": "%%"}, []),  # wildcards are text
    ({"name": "__"}, []),
    ({"transferred": "1"}, [OFFICE]),
    ({"time_from": "20:00", "time_to": "06:00"}, [OFFICE]),  # 22:30 local, across midnight
    ({"time_from": "09:00", "time_to": "09:02"}, [NOTED, ZHANG]),
    ({"min_seconds": "200"}, [OFFICE]),
    ({"max_seconds": "60", "clerk": "8002"}, [OTHER]),
    ({"voicemail": "1"}, [NOTED]),
    ({"mine": "1"}, [CASED, ZHANG]),  # the clerk is extension 8001
    ({"number": "1390951", "name": "Zhang", "clerk": "8001"}, [ZHANG]),
    ({"number": "1390951", "clerk": "8002"}, []),
    ({"from": "", "to": "", "min_seconds": "", "time_from": "", "number": "1390951"}, [ZHANG]),  # the form's blanks
]


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=lambda v: str(v) if isinstance(v, dict) else None)
async def test_search_finds_the_caller(panel: Panel, query: dict[str, str], expected: list[str]) -> None:
    ids = await add_calls(panel)
    await login(panel.client, "clerk")
    assert await found(panel, ids, **query) == expected
    page = await (await panel.client.get("/calls", params=query)).text()
    assert page.count('href="/calls/') - page.count('href="/calls/export') - page.count('href="/calls/missed') >= len(
        expected)  # fmt: skip
    totals = await (await panel.client.get("/api/calls/totals", params=query)).json()
    assert totals["calls"] == len(expected)
    assert f'data-testid="total-calls">通话 {len(expected)} 次<' in page


@pytest.mark.parametrize("query", [
    {"number": "1' OR 1=1 --"}, {"number": "12"}, {"number": "Zhang"}, {"number": "1" * 2_000},
    {"number": "12%34"}, {"name": "z"}, {"name": "x" * 65}, {"name": "a\x00b"}, {"time_from": "25:00"},
    {"min_seconds": "-1"}, {"max_seconds": "9" * 30}, {"cursor": "nonsense"}, {"before": "bm9uc2Vuc2U"},
], ids=lambda q: repr(q)[:40])  # fmt: skip
async def test_bad_input_is_a_400(panel: Panel, query: dict[str, str]) -> None:
    await login(panel.client, "clerk")
    for path in ("/api/calls", "/api/calls/totals", "/calls", "/calls/export.csv", "/calls/export.xlsx"):
        response = await panel.client.get(path, params=query)
        assert response.status == 400, (path, response.status)
    response = await panel.client.get("/api/calls", params=query)
    assert (await response.json())["error"] == "bad_request"


async def test_my_calls_need_an_extension(panel: Panel) -> None:
    await login(panel.client, "supervisor")
    response = await panel.client.get("/api/calls", params={"mine": "1"})
    assert response.status == 400 and (await response.json())["field"] == "mine"


async def test_pages_go_back_and_forth(panel: Panel) -> None:
    ids = await add_calls(panel)
    await login(panel.client, "clerk")

    async def get(**query: str) -> dict[str, Any]:
        return await (await panel.client.get("/api/calls", params={"limit": "2", **query})).json()

    order = await found(panel, ids)
    seen, cursors, data = [], [], await get()
    while True:
        seen.append([item["id"] for item in data["items"]])
        cursors.append(data["next_cursor"])
        if not data["next_cursor"]:
            break
        data = await get(cursor=data["next_cursor"])
    assert sum(seen, []) == [ids[k] for k in order] and [len(p) for p in seen] == [2, 2, 1]
    third = await get(cursor=cursors[1])
    back = await get(before=third["prev_cursor"])
    assert [item["id"] for item in back["items"]] == seen[1] and back["next_cursor"] == cursors[1]
    first = await get(before=back["prev_cursor"])
    assert [item["id"] for item in first["items"]] == seen[0] and first["prev_cursor"] is None
    html = await (await panel.client.get("/calls", params={"limit": "2", "before": back["prev_cursor"]})).text()
    assert 'data-testid="next-page"' in html and 'data-testid="prev-page"' not in html
    html = await (await panel.client.get("/calls", params={"limit": "2", "cursor": cursors[0]})).text()
    assert 'data-testid="next-page"' in html and 'data-testid="prev-page"' in html


async def rows_of_page(panel: Panel, query: dict[str, Any]) -> list[tuple[str, str]]:
    items = (await (await panel.client.get("/api/calls", params={**query, "limit": "200"})).json())["items"]
    return [(item["started_at"][:19].replace("T", " "), item["caller_number"]) for item in items]


@pytest.mark.parametrize("query", [{}, {"number": "0951"}, {"name": "100%"}, {"number": "9999"}])
async def test_export_has_the_rows_of_the_page(panel: Panel, query: dict[str, str]) -> None:
    ids = await add_calls(panel)
    async with panel.sessions() as db, db.begin():  # a hostile caller ID: a formula and control characters
        await db.execute(text("UPDATE calls SET caller_name = :name WHERE id = :id"),
                         {"name": "=HYPERLINK(\"x\")\x01\x1b", "id": ids[ZHANG]})  # fmt: skip
    await login(panel.client, "clerk")
    expected = await rows_of_page(panel, query)
    response = await panel.client.get("/calls/export.xlsx", params=query)
    assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await response.read()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("来电时间", "来电号码", "号码（规范）")
    assert [(r[0], r[1]) for r in rows[1:]] == expected
    response = await panel.client.get("/calls/export.csv", params=query)
    body = (await response.read()).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert [(r[0], r[1]) for r in table[1:]] == expected and table[0] == list(rows[0])
    if not query:
        zhang = next(r for r in table[1:] if r[1] == "13909511234")
        assert zhang[2] == "139 0951 1234" and zhang[3] == "'=HYPERLINK(\"x\")"


async def test_english_page(panel: Panel) -> None:
    await add_calls(panel)
    await login(panel.client, "clerk")
    page = await (await panel.client.get("/calls", params={"lang": "en", "transferred": "1"})).text()
    assert "1 calls" in page and "Export Excel" in page and "8003" in page


async def test_search_goes_through_the_trigram_index(panel: Panel, migrated: str) -> None:
    """The plan of a partial-number search uses the FTS5 table (SQLite) or the GIN index (PostgreSQL)."""
    from callcenter.web.calls.ledger import Filters, statement
    from zoneinfo import ZoneInfo

    async with panel.sessions() as db:
        dialect = db.bind.dialect.name
        stmt, values = statement(Filters(number="1390951"), ZoneInfo("Asia/Shanghai"), dialect=dialect)
        if dialect == "sqlite":
            details = await plan_of(db, stmt, values)
            assert "calls_search VIRTUAL TABLE INDEX" in details, details
        else:  # enough rows that the planner has a choice, and their statistics
            await db.execute(text(
                "INSERT INTO calls (linkedid, status, source, caller_number, caller_name, dialed_number, started_at,"
                " transferred_to, incomplete, updated_at) SELECT 'B' || i, 'ended', 'live',"
                " '139' || lpad(i::text, 8, '0'), '', '6085708', now() - i * interval '1 minute', '[]', false, now()"
                " FROM generate_series(1, 20000) AS i"))  # fmt: skip
            await db.execute(text("ANALYZE calls"))
            details = await plan_of(db, stmt, values)
            assert "ix_calls_caller_number_trgm" in details, details


async def plan_of(db: Any, stmt: Any, values: dict[str, Any]) -> str:
    """The database's plan of ``stmt`` with ``values``, its lines joined by " | "."""
    if db.bind.dialect.name == "sqlite":
        compiled = stmt.compile(dialect=db.bind.dialect, compile_kwargs={"render_postcompile": True})
        params = {**compiled.params, **values}
        raw = await db.connection()
        plan = (await raw.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                          tuple(params[k] for k in compiled.positiontup))).all()  # fmt: skip
        return " | ".join(str(row[-1]) for row in plan)
    sql = str(stmt.params(**values).compile(dialect=db.bind.dialect, compile_kwargs={"literal_binds": True}))
    return " | ".join(str(row[0]) for row in (await db.execute(text("EXPLAIN " + sql))).all())


async def test_a_name_too_short_for_a_trigram_reads_only_the_named_calls(panel: Panel, migrated: str) -> None:
    """张伟 (two characters): the page's search reads the partial index of named calls (migration
    0014), not every call nor (PostgreSQL) the whole trigram index."""
    from zoneinfo import ZoneInfo

    from callcenter.web.calls.ledger import Filters, statement

    async with panel.sessions() as db:
        dialect = db.bind.dialect.name
        await db.execute(text(  # enough rows for the planner to have a choice: one in ten named
            "INSERT INTO calls (linkedid, status, source, caller_number, caller_name, dialed_number, started_at,"
            " transferred_to, incomplete, updated_at) SELECT 'N' || i, 'ended', 'live', '139' || (10000000 + i),"
            " CASE WHEN i % 10 = 0 THEN 'Wang ' || i ELSE '' END, '6085708', '2026-11-01', '[]', false, '2026-11-01'"
            " FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n)"
            " AS s"))  # fmt: skip
        await db.execute(text("ANALYZE calls" if dialect == "postgresql" else "ANALYZE"))
        stmt, values = statement(Filters(name="张伟"), ZoneInfo("Asia/Shanghai"), dialect=dialect)
        details = await plan_of(db, stmt, values)
        if dialect == "sqlite":
            assert "COVERING INDEX ix_calls_named" in details, details
        else:
            assert "ix_calls_named" in details and "trgm" not in details, details
        found = await db.execute(stmt, values)
        assert found.all() == []


async def test_a_search_pages_back_and_forth(panel: Panel) -> None:
    """Paging a number search (on PostgreSQL the search planned alone through the trigram index)."""
    ids = [await add_call(panel.sessions, caller_number=number, started_at=T0 + timedelta(minutes=i))
           for i, number in enumerate(("13909511234", "+8613909511234", "6085708", "013909511234"))]  # fmt: skip
    await login(panel.client, "clerk")

    async def get(**query: str) -> dict[str, Any]:
        response = await panel.client.get("/api/calls", params={"number": "1390951", "limit": "1", **query})
        return await response.json()

    first = await get()
    second = await get(cursor=first["next_cursor"])
    third = await get(cursor=second["next_cursor"])
    assert [p["items"][0]["id"] for p in (first, second, third)] == [ids[3], ids[1], ids[0]]
    assert third["next_cursor"] is None
    back = await get(before=third["prev_cursor"])
    assert [item["id"] for item in back["items"]] == [ids[1]]


async def test_the_totals_line_counts_up_to_a_cap_then_all_on_demand(panel: Panel, monkeypatch: Any) -> None:
    """The ledger page counts at most TOTALS_CAP calls for its totals line ("more than N"), and
    every call with count=1; the API's totals always count every call."""
    from callcenter.web.calls import ledger

    ids = await add_calls(panel)
    async with panel.sessions() as db, db.begin():  # "an": two caller ID names and a name in the notes
        await save_notes(db, ids[OFFICE], actor="clerk", data={"caller_name": "Jian"}, version=0, now=T0)
    await login(panel.client, "clerk")
    monkeypatch.setattr(ledger, "TOTALS_CAP", 2)
    for query, calls in (({"number": "0951"}, 3), ({"name": "Zh"}, 1), ({"name": "an"}, 3), ({"name": "Jian"}, 1),
                         ({}, 5)):  # fmt: skip
        whole = await (await panel.client.get("/calls", params=query)).text()  # every match on the page: exact
        assert f'data-testid="total-calls">通话 {calls} 次<' in whole
        query = {**query, "limit": "1"}  # one a page: the totals line counts, capped
        page = await (await panel.client.get("/calls", params=query)).text()
        exact = await (await panel.client.get("/api/calls/totals", params=query)).json()
        assert exact["calls"] == calls and "more" not in exact
        if calls > 2:
            assert 'data-testid="total-calls">通话超过 2 次<' in page and 'data-testid="count-all"' in page
            assert "接听" not in page.split('data-testid="totals"')[1].split("</p>")[0]
            page = await (await panel.client.get("/calls", params={**query, "count": "1"})).text()
        assert f'data-testid="total-calls">通话 {calls} 次<' in page
        answered = page.split('data-testid="total-calls">')[1].split("</p>")[0]
        assert f"接听 {exact['answered']}" in answered


@pytest.mark.parametrize("walk", [2, 3])
async def test_a_common_search_walked_through_the_time_index_gives_the_same_pages(
    panel: Panel, monkeypatch: Any, walk: int
) -> None:
    """A common part or name (ledger._walk_page: the newest ``WALK`` calls read through the time
    index) pages exactly as the trigram index does: every search above, one row a page, older
    then back to newer. The window is made tiny and every search common so the walk serves
    the pages it can (asserted), the trigram index the others."""
    from callcenter.web.calls import ledger

    ids = await add_calls(panel)
    for i in range(8):  # a run of common callers among the others: windows with several matches
        call = await add_call(panel.sessions, caller_number=f"1390951{i:04d}",
                              caller_name="Zhang Min" if i in (0, 3) else "",
                              started_at=T0 + timedelta(hours=14, seconds=i // 2))  # the newest; pairs on one second
        if i in (2, 5, 6):  # the name in the notes
            async with panel.sessions() as db, db.begin():
                await save_notes(db, call, actor="clerk", data={"caller_name": "张敏"}, version=0, now=T0)
        elif i in (1, 4, 7):  # on a case
            await create_case(panel.sessions, NewCase(kind="complaint", source="phone", caller_name="张敏",
                                                      caller_phone=f"1390951{i:04d}"),
                              actor="clerk", role="clerk", now=T0, call_id=call)  # fmt: skip
    await login(panel.client, "clerk")
    walked: list[bool] = []
    real_walk = ledger._walk_page

    async def counting(*args: Any, **kwargs: Any) -> Any:
        page = await real_walk(*args, **kwargs)
        walked.append(page is not None)
        return page

    async def pages(**query: str) -> tuple[list[int], list[int]]:
        older, cursor = [], None
        while True:
            response = await panel.client.get("/api/calls", params={**query, "limit": "1",
                                                                    **({"cursor": cursor} if cursor else {})})
            assert response.status == 200, await response.text()
            body = await response.json()
            older += [item["id"] for item in body["items"]]
            cursor, prev = body["next_cursor"], body["prev_cursor"]
            if cursor is None:
                break
        newer = []
        while prev:  # back from the oldest page
            body = await (await panel.client.get("/api/calls", params={**query, "limit": "1", "before": prev})).json()
            newer += [item["id"] for item in body["items"]]
            prev = body["prev_cursor"]
        return older, newer

    searches = [q for q, _ in SEARCHES if q.get("number") or q.get("name")] + [{"name": "张敏"}, {"name": "Min"}]
    expected = {}
    monkeypatch.setattr(ledger, "WALK", 10**9)  # no window: the trigram index alone
    for query in searches:
        expected[str(query)] = await pages(**query)
    monkeypatch.setattr(ledger, "WALK", walk)
    monkeypatch.setattr(ledger, "COMMON", 0)
    monkeypatch.setattr(ledger, "_walk_page", counting)
    for query in searches:
        assert await pages(**query) == expected[str(query)], query
    assert sum(walked) >= 5, walked  # the walk did serve pages (a window with more than one match)
    assert len(expected[str({"name": "张敏"})][0]) == 6
    older, newer = expected[str({"number": "0951"})]
    assert len(older) == 11 and older[-3:] == [ids[k] for k in (CASED, NOTED, ZHANG)]
    assert newer == older[-2::-1]  # back from the oldest: every other page, newest last


async def test_a_page_that_holds_every_match_is_totalled_from_its_rows(panel: Panel) -> None:
    """The totals line of a first page with no next page comes from its rows (no second search):
    the same figures as the count in SQL, for every search above."""
    from zoneinfo import ZoneInfo

    from callcenter.web.calls import ledger
    from callcenter.web.calls.schemas import LedgerQuery

    await add_calls(panel)
    tz = ZoneInfo("Asia/Shanghai")
    compared = 0
    async with panel.sessions() as db:
        for query, _ in SEARCHES:
            if query.get("mine"):
                continue
            filters = LedgerQuery.model_validate(query).filters()
            page = await ledger.fetch_page(db, filters, tz)
            assert page.next_cursor is None
            assert await ledger.page_totals(db, filters, tz, page, first=True) == await ledger.fetch_totals(db, filters, tz)
            compared += bool(page.rows)
    assert compared >= 20
