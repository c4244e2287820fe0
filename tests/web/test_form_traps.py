"""Issue 13's form traps: an edit conflict keeps the clerk's text and shows both versions; the
calendar takes a range or a pasted year, previewed before saving; a station opens the calls
(and voicemails) of its own cases and no other."""

from __future__ import annotations

import re
from html import unescape

import pytest

from callcenter import audit
from tests.web.conftest import Panel, add_call, add_case, login

DB = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def field_value(page: str, name: str) -> str:
    """The value the page's notes form carries for ``name`` (input or textarea)."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    if found:
        return unescape(found.group(1))
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    if found is None:
        select = re.search(rf'<select name="{name}">(.*?)</select>', page, re.S)
        assert select, name
        found = re.search(r'<option value="([^"]*)" selected', select.group(1))
        return found.group(1) if found else ""
    return unescape(found.group(1))


# ------------------------------------------------------------------ call notes: two tabs


@DB
async def test_a_stale_notes_form_keeps_the_typed_text_and_shows_both_versions(panel: Panel) -> None:
    call_id = await add_call(panel.sessions)
    _, token = await login(panel.client, "clerk")
    first = {"csrf_token": token, "version": "0", "caller_name": "张三", "address": "丽景湾 3-2-501",
             "category": "temperature", "summary": "室温 15 度"}  # fmt: skip
    assert (await panel.client.post(f"/calls/{call_id}/notes", data=first, allow_redirects=False)).status == 302
    tab = await (await panel.client.get(f"/calls/{call_id}")).text()  # both tabs open at version 1
    base = {f"base_{k}": field_value(tab, f"base_{k}") for k in ("caller_name", "address", "category", "summary")}
    assert field_value(tab, "version") == "1" and base["base_summary"] == "室温 15 度"

    _, token2 = await login(panel.client, "other_clerk")  # the first tab: saves a new summary and address
    saved = {"csrf_token": token2, "version": "1", "caller_name": "张三", "address": "丽景湾 3-2-502",
             "category": "temperature", "summary": "室温 15 度，已约师傅明早上门"}  # fmt: skip
    assert (await panel.client.post(f"/calls/{call_id}/notes", data=saved, allow_redirects=False)).status == 302

    _, token = await login(panel.client, "clerk")  # the second, stale tab: its own summary and a name
    mine = {"csrf_token": token, "version": "1", "caller_name": "张三丰", "address": "丽景湾 3-2-501",
            "category": "temperature", "summary": "室温 15 度，用户要求今天来人", **base}  # fmt: skip
    response = await panel.client.post(f"/calls/{call_id}/notes", data=mine, allow_redirects=False)
    page = await response.text()
    assert response.status == 409
    assert 'data-testid="notes-conflict"' in page and "李强" in page  # who saved meanwhile
    assert "出错了" not in page and "reload" not in page
    assert field_value(page, "summary") == "室温 15 度，用户要求今天来人"  # the typed text is kept
    assert field_value(page, "caller_name") == "张三丰"  # only this side changed it: kept, no conflict
    assert field_value(page, "address") == "丽景湾 3-2-502"  # only the other side changed it: theirs
    assert 'data-testid="theirs-summary"' in page and "已约师傅明早上门" in page
    assert 'data-testid="theirs-caller_name"' not in page and 'data-testid="notes-taken"' in page
    assert field_value(page, "version") == "2" and field_value(page, "base_summary") == "室温 15 度，已约师傅明早上门"

    # "save mine" from that page overwrites knowingly, merged by hand
    again = {"csrf_token": token, **{k: field_value(page, k) for k in (
        "version", "caller_name", "address", "category", "base_caller_name", "base_address", "base_category",
        "base_summary")}, "summary": "室温 15 度，已约师傅明早上门；用户要求今天来人"}  # fmt: skip
    response = await panel.client.post(f"/calls/{call_id}/notes", data=again, allow_redirects=False)
    assert response.status == 302
    data = await (await panel.client.get(f"/api/calls/{call_id}")).json()
    notes = data["notes"]
    assert (notes["version"], notes["caller_name"], notes["address"], notes["summary"]) == (
        3, "张三丰", "丽景湾 3-2-502", "室温 15 度，已约师傅明早上门；用户要求今天来人")
    assert (await audit.verify(panel.sessions)).ok


@DB
async def test_the_api_409_names_the_fields_and_carries_the_saved_notes(panel: Panel) -> None:
    call_id = await add_call(panel.sessions)
    _, token = await login(panel.client, "clerk")
    h = {"X-CSRF-Token": token}
    body = {"version": 0, "caller_name": "张三", "summary": "室温 15 度"}
    assert (await panel.client.patch(f"/api/calls/{call_id}/notes", json=body, headers=h)).status == 200
    assert (await panel.client.patch(f"/api/calls/{call_id}/notes", json={"version": 1, "summary": "室温 16 度"},
                                     headers=h)).status == 200  # fmt: skip
    response = await panel.client.patch(f"/api/calls/{call_id}/notes", json={
        "version": 1, "caller_name": "张三", "summary": "室温 14 度"}, headers=h)  # fmt: skip
    data = await response.json()
    assert response.status == 409 and data["error"] == "conflict"
    assert data["fields"] == ["summary"]  # caller_name equals what is saved: no conflict
    assert data["current_version"] == 2 and data["current"]["summary"] == "室温 16 度"
    assert data["current"]["updated_by"] == "clerk" and data["current"]["updated_at"].endswith("+08:00")
    # the same input as saved from a stale version is no change, not a conflict
    same = await panel.client.patch(f"/api/calls/{call_id}/notes", json={"version": 1, "summary": "室温 16 度"}, headers=h)
    assert same.status == 200 and (await same.json())["notes"]["version"] == 2
    # saving again with the current version overwrites knowingly
    done = await panel.client.patch(f"/api/calls/{call_id}/notes", json={"version": 2, "summary": "室温 14 度"}, headers=h)
    assert done.status == 200 and (await done.json())["notes"]["summary"] == "室温 14 度"
    doc = await (await panel.client.get("/api/openapi.json")).json()
    conflict = doc["paths"]["/api/calls/{call_id}/notes"]["patch"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NotesConflict"}
    assert {"fields", "current", "current_version"} <= set(doc["components"]["schemas"]["NotesConflict"]["properties"])


# ------------------------------------------------------------------ a station and its cases' calls

VM = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"


async def link(panel: Panel, case_id: int, call_id: int) -> None:
    from callcenter.tickets.cases import link_call_in

    async with panel.sessions() as db, db.begin():
        await link_call_in(db, case_id, call_id, actor="clerk", now=panel.clock(), reason="repeat")


@DB
async def test_a_station_opens_the_call_and_voicemail_of_its_own_case_only(panel: Panel, spool: object) -> None:
    now = panel.clock()
    own_case = await add_case(panel.sessions, now, to="assigned", station="hubin", phone="13900000031")
    other_case = await add_case(panel.sessions, now, to="assigned", station="tanglai", phone="13900000032")
    own = await add_call(panel.sessions, disposition="voicemail", answered_by=None, voicemail_path=VM,
                         caller_number="13900000031")  # fmt: skip
    others = await add_call(panel.sessions, disposition="voicemail", answered_by=None, voicemail_path=VM,
                            caller_number="13900000032")  # fmt: skip
    loose = await add_call(panel.sessions, disposition="voicemail", answered_by=None, voicemail_path=VM)
    await link(panel, own_case, own)
    await link(panel, other_case, others)

    assert (await login(panel.client, "station"))[0] == 302
    case_page = await (await panel.client.get(f"/cases/{own_case}")).text()
    assert f'href="/calls/{own}"' in case_page  # the case page links its call now
    response = await panel.client.get(f"/calls/{own}")
    page = await response.text()
    assert response.status == 200 and f'src="/calls/{own}/audio"' in page and 'href="/calls"' not in page
    audio = await panel.client.get(f"/calls/{own}/audio")
    assert audio.status == 200 and audio.headers["Content-Type"] == "audio/wav" and len(await audio.read()) > 1000
    for call_id in (others, loose):  # another station's call, a call of no case: still refused
        assert (await panel.client.get(f"/calls/{call_id}")).status == 403
        assert (await panel.client.get(f"/calls/{call_id}/audio")).status == 403
    assert (await panel.client.get("/calls")).status == 403  # the ledger stays the office's
    assert (await panel.client.get(f"/api/calls/{own}")).status == 403

    assert (await login(panel.client, "clerk"))[0] == 302  # the office roles: any call, as before
    for call_id in (own, others, loose):
        assert (await panel.client.get(f"/calls/{call_id}")).status == 200
        assert (await panel.client.get(f"/calls/{call_id}/audio")).status == 200


@DB
async def test_a_station_finds_a_new_instruction_in_its_inbox(panel: Panel) -> None:
    from callcenter.tickets.directory import unit_by_code

    assigned = await add_case(panel.sessions, panel.clock(), to="accepted", phone="13900000041")
    moved = await add_case(panel.sessions, panel.clock(), to="assigned", station="tanglai", phone="13900000042")
    async with panel.sessions() as db:
        hubin = (await unit_by_code(db, "hubin")).id  # type: ignore[union-attr]
    assert (await login(panel.client, "station"))[0] == 302
    assert (await (await panel.client.get("/api/notices")).json())["items"] == []
    _, token = await login(panel.client, "clerk")  # 交办 one case, 改派 another to the station
    for case_id, action, body in ((assigned, "assign", {"station_id": hubin}),
                                  (moved, "reassign", {"station_id": hubin, "reason": "地址属湖滨站"})):
        response = await panel.client.post(f"/api/cases/{case_id}/actions/{action}", json=body,
                                           headers={"X-CSRF-Token": token})  # fmt: skip
        assert response.status == 200, await response.text()
    assert (await login(panel.client, "station"))[0] == 302
    inbox = await (await panel.client.get("/api/notices")).json()
    for case_id in (assigned, moved):
        assert any(n["kind"] == "instruction" and n["url"] == f"/cases/{case_id}" for n in inbox["items"]), case_id
    assert inbox["unread"] >= 2
    page = await (await panel.client.get("/notices")).text()
    assert f'href="/cases/{assigned}"' in page and f'href="/cases/{moved}"' in page


# ------------------------------------------------------------------ the calendar: a range, a pasted year

NOTICE = """# 国务院办公厅关于2027年部分节假日安排的通知
2027-01-01 休 元旦
2027-02-06 至 2027-02-12 休 春节
2027-02-13\t补班

2027/2/15 上班
2027年10月1日~2027年10月7日 放假 国庆节
2027-10-09 班
"""


async def calendar_year(panel: Panel, year: int = 2027) -> dict:
    return await (await panel.client.get(f"/api/calendar?year={year}")).json()


@DB
async def test_a_pasted_year_is_previewed_then_saved_in_one_go(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    before = await calendar_year(panel)
    audited = (await audit.verify(panel.sessions)).rows
    response = await panel.client.post("/admin/calendar/preview", data={"csrf_token": token, "lines": NOTICE,
                                                                         "reason": "国办发明电〔2026〕7号"})  # fmt: skip
    page = await response.text()
    assert response.status == 200, page
    days = re.findall(r'<tr data-day="([\d-]+)"', page)
    assert len(days) == 1 + 7 + 1 + 1 + 7 + 1 and days == sorted(days)
    row = page[page.index('data-day="2027-02-13"'):]
    row = row[:row.index("</tr>")]
    assert "周六" in row and "班" in row and "休 → 班" in row  # a Saturday made a working day
    row = page[page.index('data-day="2027-02-15"'):]
    assert "周一至周五本来就上班" in row[:row.index("</tr>")]  # 班 on a Monday: a warning
    row = page[page.index('data-day="2027-02-06"'):]
    assert "周末本来就休息" in row[:row.index("</tr>")]  # 休 on a Saturday: a warning
    assert "共 18 天：放假 15 天，上班 3 天" in page
    assert await calendar_year(panel) == before and (await audit.verify(panel.sessions)).rows == audited  # nothing yet

    lines = unescape(re.search(r'<textarea name="lines" hidden>(.*?)</textarea>', page, re.S).group(1))
    response = await panel.client.post("/admin/calendar/bulk", data={
        "csrf_token": token, "lines": lines, "reason": "国办发明电〔2026〕7号"}, allow_redirects=False)  # fmt: skip
    assert response.status == 302 and response.headers["Location"].startswith("/admin/calendar?year=2027&moved=")
    assert response.headers["Location"].endswith("&saved=18")
    after = await calendar_year(panel)
    saved = {d["day"]: (d["is_workday"], d["note"], d["source"]) for d in after["days"]}
    assert saved["2027-02-13"] == (True, "", "admin") and saved["2027-10-07"] == (False, "国庆节", "admin")
    assert sum(1 for d in after["days"] if d["source"] == "admin") == 18
    assert after["status"] == before["status"]  # saving days does not confirm the year
    verdict = await audit.verify(panel.sessions)
    assert verdict.ok and verdict.rows == audited + 18  # each day audited, as the one-day form does
    page = await (await panel.client.get(response.headers["Location"])).text()
    assert "本次录入 18 天" in page


@DB
async def test_bad_lines_are_each_reported_and_nothing_is_saved(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    before = await calendar_year(panel)
    pasted = "2027-01-01 休\n2027-02-30 休\n\n# ok\n2027-03-01\n明天放假\n2027-05-05 至 2027-05-01 休\n1999-01-01 休\n"
    response = await panel.client.post("/admin/calendar/preview", data={"csrf_token": token, "lines": pasted})
    page = await response.text()
    assert response.status == 422
    problems = page[page.index('data-testid="bulk-problems"'):page.index("</table>")]
    for number, words in ((2, "没有这一天"), (5, "没写是“休”还是“班”"), (6, "每行应以日期开头"),
                          (7, "结束日期早于开始日期"), (8, "2000 年到 2100 年")):  # fmt: skip
        assert f"第 {number} 行" in problems and words in problems, number
    assert "第 1 行" not in problems and "第 3 行" not in problems and "第 4 行" not in problems
    assert unescape(re.search(r'<textarea name="lines"[^>]*>(.*?)</textarea>', page, re.S).group(1)) == pasted
    assert 'data-testid="bulk-save"' not in page and await calendar_year(panel) == before
    # the save route reads the lines again: a bad line there saves nothing either
    response = await panel.client.post("/admin/calendar/bulk", data={"csrf_token": token, "lines": pasted},
                                       allow_redirects=False)  # fmt: skip
    assert response.status == 422 and await calendar_year(panel) == before
    # a range: too long, and one that is fine
    response = await panel.client.post("/admin/calendar/preview", data={
        "csrf_token": token, "date_from": "2027-01-01", "date_to": "2028-03-01", "kind": "holiday"})  # fmt: skip
    assert response.status == 422 and "一次最多录入 400 天" in await response.text()
    response = await panel.client.post("/admin/calendar/preview", data={
        "csrf_token": token, "date_from": "2027-04-03", "date_to": "2027-04-05", "kind": "holiday", "note": "清明节",
        "lines": "2027-04-11 班"})  # fmt: skip
    page = await response.text()
    assert response.status == 200 and re.findall(r'<tr data-day="([\d-]+)"', page) == [
        "2027-04-03", "2027-04-04", "2027-04-05", "2027-04-11"]
    assert "2027-04-05 休 清明节" in unescape(page)


@DB
async def test_the_api_takes_many_days_with_a_dry_run(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    h = {"X-CSRF-Token": token}
    before = await calendar_year(panel)
    body = {"text": NOTICE, "days": [{"day": "2027-05-01", "is_workday": False, "note": "劳动节"}], "dry_run": True}
    response = await panel.client.post("/api/calendar/days/bulk", json=body, headers=h)
    data = await response.json()
    assert response.status == 200 and data["saved"] == 0 and len(data["days"]) == 19
    saturday = next(d for d in data["days"] if d["day"] == "2027-02-13")
    assert saturday["change"] == "to_work" and saturday["was_workday"] is False and saturday["warning"] == ""
    assert await calendar_year(panel) == before
    bad = await panel.client.post("/api/calendar/days/bulk", json={"text": "2027-01-01 休\nnonsense\n2027-13-01 班"},
                                  headers=h)  # fmt: skip
    data = await bad.json()
    assert bad.status == 400 and [e["field"] for e in data["errors"]] == ["text.line.2", "text.line.3"]
    assert await calendar_year(panel) == before
    done = await panel.client.post("/api/calendar/days/bulk", json={**body, "dry_run": False}, headers=h)
    data = await done.json()
    assert done.status == 200 and data["saved"] == 19
    assert sum(1 for d in (await calendar_year(panel))["days"] if d["source"] == "admin") == 19
    too_many = await panel.client.post("/api/calendar/days/bulk", json={"text": "2027-01-01 至 2028-12-31 休"}, headers=h)
    assert too_many.status == 400


# ------------------------------------------------------------------ a case's correction: two tabs


@DB
async def test_a_stale_case_correction_shows_the_saved_values_beside_the_input(panel: Panel) -> None:
    from callcenter.tickets.models import Case

    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    async with panel.sessions() as db:
        version = (await db.get(Case, case_id)).version  # type: ignore[union-attr]
    _, token = await login(panel.client, "other_clerk")  # the first tab saves a room and a problem
    h = {"X-CSRF-Token": token}
    response = await panel.client.patch(f"/api/cases/{case_id}", json={"version": version, "room": "502",
                                                                        "problem": "暖气不热，已约明早"}, headers=h)  # fmt: skip
    assert response.status == 200, await response.text()
    _, token = await login(panel.client, "clerk")  # the second tab, still at the old version
    form = {"csrf_token": token, "version": str(version), "room": "503", "problem": "暖气不热，用户说家有老人",
            "kind": "complaint", "severity": "", "reason": ""}  # fmt: skip
    response = await panel.client.post(f"/cases/{case_id}/edit", data=form, allow_redirects=False)
    page = await response.text()
    assert response.status == 409 and "李强" in page and "已经改过它" in page and "出错了" not in page
    assert 'value="503"' in page and "暖气不热，用户说家有老人</textarea>" in page  # the input kept
    for name, saved in (("room", "502"), ("problem", "暖气不热，已约明早")):
        box = page[page.index(f'data-testid="theirs-{name}"'):]
        assert saved in box[:box.index("</button>")] and "李强" in box[:box.index("</button>")], name
    assert f'name="version" value="{version + 1}"' in page
    # the API's 409: the fields that differ, their current values, the current version
    response = await panel.client.patch(f"/api/cases/{case_id}", json={"version": version, "room": "503",
                                                                        "caller_name": ""}, headers={"X-CSRF-Token": token})  # fmt: skip
    data = await response.json()
    assert response.status == 409 and data["error"] == "conflict"
    assert data["fields"] == ["room"] and data["current"] == {"room": "502", "caller_name": ""}
    assert data["current_version"] == version + 1


@DB
async def test_a_stale_correction_takes_what_only_the_other_side_changed(panel: Panel) -> None:
    from callcenter.tickets.models import Case

    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    _, token = await login(panel.client, "clerk")
    page = await (await panel.client.get(f"/cases/{case_id}")).text()
    shown = dict(re.findall(r'<input type="hidden" name="(base_\w+|version)" value="([^"]*)"', page))
    assert shown["base_room"] == "" and "base_problem" in shown
    async with panel.sessions() as db:
        version = (await db.get(Case, case_id)).version  # type: ignore[union-attr]
    assert shown["version"] == str(version)
    response = await panel.client.patch(f"/api/cases/{case_id}", json={"version": version, "room": "502"},
                                        headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status == 200
    form = {**shown, "csrf_token": token, "caller_name": "王先生", "room": "", "kind": "complaint", "severity": "",
            "problem": shown["base_problem"], "reason": ""}  # fmt: skip
    response = await panel.client.post(f"/cases/{case_id}/edit", data=form, allow_redirects=False)
    page = await response.text()
    assert response.status == 409 and 'data-testid="edit-taken"' in page
    assert 'name="room" maxlength="32" size="5" value="502"' in page  # theirs: this tab left it alone
    assert 'value="王先生"' in page and 'data-testid="theirs-' not in page  # nothing for the clerk to decide
