"""Correcting an accepted case in the panel: ``PATCH /api/cases/{id}`` and the form on the case
page — who may, the version guard (a stale edit is 409 and saves nothing), the audit and the
timeline, the deadlines following a new classification, refusals with their reason."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.tickets.directory import unit_by_code
from callcenter.tickets.models import AuditEntry, Case
from tests.web.conftest import Panel, add_case, login

BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def patch(panel: Panel, token: str | None, case_id: int, **body: Any) -> tuple[int, dict[str, Any]]:
    headers = {"X-CSRF-Token": token} if token else {}
    response = await panel.client.patch(f"/api/cases/{case_id}", json=body, headers=headers)
    return response.status, await response.json()


async def stored(panel: Panel, case_id: int) -> Case:
    async with panel.sessions() as db:
        case = await db.get(Case, case_id)
    assert case is not None
    return case


@BOTH
async def test_a_clerk_corrects_the_record_and_the_timeline_and_audit_say_so(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    version = (await stored(panel, case_id)).version
    _, token = await login(panel.client, "clerk")
    status, data = await patch(panel, token, case_id, version=version, caller_name="张伟", caller_phone="0951-5021177",
                               compound="湖滨花园", building="3", unit_no="2", room="501", problem="暖气不热，室温15度",
                               reason="电话记错了")  # fmt: skip
    assert status == 200, data
    assert (data["caller_name"], data["caller_phone"], data["address"], data["version"]) == (
        "张伟", "5021177", "湖滨花园3号楼2单元501", version + 1)
    assert data["first_responder"] == "clerk"
    [edit] = [e for e in data["timeline"] if e["name"] == "edit"]
    assert edit["actor"] == "clerk" and edit["text"] == "电话记错了"
    assert {c["field"]: (c["before"], c["after"]) for c in edit["changes"]}["caller_phone"] == ("13909511234", "5021177")
    page = await (await panel.client.get(f"/cases/{case_id}")).text()
    assert "更正记录" in page and "电话记错了" in page and 'data-testid="edit-form"' in page
    await login(panel.client, "supervisor")  # the audit trail
    audit = await (await panel.client.get(f"/api/audit?entity=case&id={case_id}")).json()
    assert {r["field"] for r in audit["items"] if r["reason"] == "电话记错了"} == {
        "caller_name", "caller_phone", "compound", "building", "unit_no", "room", "problem"}
    assert audit["chain"]["ok"]


@BOTH
async def test_a_stale_edit_is_409_and_saves_nothing(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    seen = (await stored(panel, case_id)).version
    _, token = await login(panel.client, "clerk")
    assert (await patch(panel, token, case_id, version=seen, room="502"))[0] == 200
    status, data = await patch(panel, token, case_id, version=seen, room="503", caller_name="李")
    assert (status, data["error"]) == (409, "conflict") and "nothing was saved" in data["message"]
    after = await stored(panel, case_id)
    assert (after.room, after.caller_name, after.version) == ("502", "", seen + 1)


@SQLITE
async def test_a_new_kind_moves_the_deadlines_and_needs_a_reason(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    version = (await stored(panel, case_id)).version
    _, token = await login(panel.client, "supervisor")  # the department head corrects too
    status, data = await patch(panel, token, case_id, version=version, kind="repair", severity="major")
    assert (status, data["error"]) == (422, "invalid_input") and "reason" in data["message"]
    status, data = await patch(panel, token, case_id, version=version, kind="repair", severity="major",
                               urgent=True, reason="暖气管爆裂")  # fmt: skip
    assert status == 200 and (data["kind"], data["severity"], data["urgent"]) == ("repair", "major", True)
    clocks = {d["rule_id"]: d["state"] for d in data["deadlines"]}
    assert clocks == {"D5": "cancelled", "D2": "open", "D3": "open", "D4.major": "open"}
    [edit] = [e for e in data["timeline"] if e["name"] == "edit"]
    assert {"field": "deadlines", "before": ["D5"], "after": ["D2", "D3", "D4.major"]} in edit["changes"]


@SQLITE
async def test_what_may_not_be_corrected_is_refused_by_name(panel: Panel) -> None:
    now = panel.clock()
    case_id = await add_case(panel.sessions, now, to="assigned")
    version = (await stored(panel, case_id)).version
    _, token = await login(panel.client, "clerk")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"version": version, "first_responder": "8002"}, 422, "首问责任人"),
        ({"version": version, "state": "closed"}, 422, "not correctable"),
        ({"caller_name": "王"}, 422, "version"),
        # wrong types and sizes: refused by the route's declaration (400, the field named)
        ({"version": "3", "caller_name": "王"}, 400, "version"),
        ({"version": version, "urgent": "yes"}, 400, "urgent"),
        ({"version": version, "kind": "gossip", "reason": "x"}, 400, "kind"),
        ({"version": version, "room": "x" * 33}, 400, "room"),
    ]  # fmt: skip
    for body, status, word in cases:
        got, data = await patch(panel, token, case_id, **body)
        assert got == status and word in data["message"], (body, data)
    closed = await add_case(panel.sessions, now, to="closed")
    got, data = await patch(panel, token, closed, version=(await stored(panel, closed)).version, room="1")
    assert (got, data["error"]) == (409, "illegal_transition") and "read-only" in data["message"]
    draft = await add_case(panel.sessions, now, to="draft")
    got, data = await patch(panel, token, draft, version=1, room="1")
    assert got == 409 and "draft inbox" in data["message"]
    assert (await stored(panel, case_id)).version == version


@SQLITE
async def test_who_may_correct(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    version = (await stored(panel, case_id)).version
    assert (await patch(panel, None, case_id, version=version, room="1"))[0] == 401
    for user in ("station", "manager", "admin"):
        _, token = await login(panel.client, user)
        assert (await patch(panel, token, case_id, version=version, room="1"))[0] == 403, user
        page = await (await panel.client.get(f"/cases/{case_id}")).text()
        assert 'data-testid="edit-form"' not in page
    _, token = await login(panel.client, "office_head")  # 湖滨 is under the first office: theirs
    assert (await patch(panel, None, case_id, version=version, room="1"))[0] == 403  # no CSRF token
    assert (await patch(panel, token, case_id, version=version, room="1"))[0] == 200


@SQLITE
async def test_a_new_station_goes_through_the_workflows_reassign(panel: Panel) -> None:
    now = panel.clock()
    case_id = await add_case(panel.sessions, now, to="assigned")
    async with panel.sessions() as db:
        renyi, tanglai = await unit_by_code(db, "renyi"), await unit_by_code(db, "tanglai")
    assert renyi is not None and tanglai is not None
    version = (await stored(panel, case_id)).version
    _, token = await login(panel.client, "office_head")
    status, data = await patch(panel, token, case_id, version=version, station_id=tanglai.id, reason="x")
    assert (status, data["error"]) == (403, "forbidden") and "not under your office" in data["message"]
    status, data = await patch(panel, token, case_id, version=version, station_id=renyi.id, reason="属仁义站")
    assert status == 200 and data["station"]["code"] == "renyi"
    [step] = [e for e in data["timeline"] if e["name"] == "reassign"]
    assert step["text"] == "属仁义站" and step["actor"] == "office_head"
    accepted = await add_case(panel.sessions, now, to="accepted")
    status, data = await patch(panel, token, accepted, version=(await stored(panel, accepted)).version,
                               station_id=renyi.id, reason="x")  # fmt: skip
    assert (status, data["error"]) == (409, "illegal_transition")  # before 交办 a station is the assign action


@SQLITE
async def test_the_page_form_saves_and_a_stale_one_keeps_the_input(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    version = (await stored(panel, case_id)).version
    _, token = await login(panel.client, "clerk")
    form = {"csrf_token": token, "version": str(version), "caller_name": "张伟", "caller_phone": "13909511234",
            "kind": "complaint", "severity": "", "problem": "暖气不热", "reason": ""}  # fmt: skip
    response = await panel.client.post(f"/cases/{case_id}/edit", data=form, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == f"/cases/{case_id}?done=edit"
    assert "已完成：更正记录" in await (await panel.client.get(response.headers["Location"])).text()
    stale = {**form, "caller_name": "张大伟", "room": "888"}
    response = await panel.client.post(f"/cases/{case_id}/edit", data=stale, allow_redirects=False)
    page = await response.text()
    assert response.status == 409 and 'data-testid="edit-error"' in page and "已经改过它" in page
    assert 'value="张大伟"' in page and 'value="888"' in page  # nothing typed is lost
    assert f'name="version" value="{version + 1}"' in page  # saving again is a decision, made on the current record
    assert (await stored(panel, case_id)).caller_name == "张伟"
    response = await panel.client.post(f"/cases/{case_id}/edit", data={**stale, "version": str(version + 1)},
                                       allow_redirects=False)  # fmt: skip
    assert response.status == 302 and (await stored(panel, case_id)).room == "888"


@SQLITE
async def test_the_audit_rows_name_the_editor(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="accepted")
    _, token = await login(panel.client, "clerk")
    await patch(panel, token, case_id, version=(await stored(panel, case_id)).version, region="兴庆区")
    async with panel.sessions() as db:
        rows = (await db.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(case_id),
                                                          AuditEntry.field == "region"))).all()  # fmt: skip
    assert [(r.actor, r.before, r.after, r.reason) for r in rows] == [("clerk", '""', '"兴庆区"', "edit")]
