"""Cases in the panel: every workflow action through the API, refusals with a clear error, the
list's filters, the pop-up's cases, opening a case from a call, and station isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.tickets import workflow
from callcenter.tickets.directory import unit_by_code
from callcenter.tickets.models import Case
from tests.web.conftest import Panel, add_call, add_case, login

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def act(panel: Panel, token: str, case_id: int, action: str, **body: Any) -> tuple[int, dict[str, Any]]:
    response = await panel.client.post(f"/api/cases/{case_id}/actions/{action}", json=body,
                                       headers={"X-CSRF-Token": token})  # fmt: skip
    return response.status, await response.json()


async def station_id(panel: Panel, code: str) -> int:
    async with panel.sessions() as db:
        unit = await unit_by_code(db, code)
    assert unit is not None
    return unit.id


@SQLITE
async def test_a_complaint_through_every_step_of_the_api(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, answered_by="8002")
    _, clerk = await login(panel.client, "clerk")
    response = await panel.client.post(f"/api/calls/{call_id}/case", headers={"X-CSRF-Token": clerk},
                                       json={"kind": "complaint", "compound": "丽景湾小区", "problem": "暖气不热"})
    assert response.status == 201
    case = await response.json()
    # 首问责任人: who answered the call, not the clerk who opened the case
    assert (case["state"], case["first_responder"], case["created_by"]) == ("accepted", "8002", "clerk")
    assert [a["action"] for a in case["actions"]] == ["assign", "handle", "suspend", "second_complaint"]
    hubin = await station_id(panel, "hubin")
    steps: list[tuple[str, str, dict[str, Any], str]] = [
        ("clerk", "assign", {"station_id": hubin}, "assigned"),
        ("station", "feedback", {"reason": "已上门，暖气恢复"}, "feedback_received"),
        ("clerk", "resolve", {}, "resolved"),
        ("station", "callback_unsatisfied", {"reason": "用户说仍然不热"}, "assigned"),
        ("station", "feedback", {"reason": "换了阀门，用户确认暖气恢复"}, "feedback_received"),
        ("office_head", "resolve", {}, "resolved"),
        ("clerk", "callback_satisfied", {}, "called_back"),
        ("clerk", "close", {}, "closed"),
    ]
    for user, action, body, state in steps:
        _, token = await login(panel.client, user)
        status, data = await act(panel, token, case["id"], action, version=case["version"], **body)
        assert (status, data.get("state")) == (200, state), (action, data)
        case = data
    assert case["reopen_count"] == 1 and case["station"]["code"] == "hubin" and case["actions"] == []
    kinds = [e["kind"] for e in case["timeline"]]
    assert kinds[0] == "call" and "notice" in kinds and kinds.count("callback") == 2


@SQLITE
async def test_suspend_resume_sign_off_second_complaint_reassign(panel: Panel) -> None:
    now = panel.clock()
    difficult = await add_case(panel.sessions, now, to="accepted", difficult=True)
    _, clerk = await login(panel.client, "clerk")
    hubin, renyi = await station_id(panel, "hubin"), await station_id(panel, "renyi")
    status, data = await act(panel, clerk, difficult, "assign", station_id=hubin)
    assert status == 409 and data["error"] == "illegal_transition" and "经理签批" in data["message"]
    _, manager = await login(panel.client, "manager")
    status, data = await act(panel, manager, difficult, "sign_off", opinion="同意，抓紧处理")
    assert status == 200 and data["manager_opinion"] == "同意，抓紧处理" and data["manager_signed_by"] == "manager"
    _, clerk = await login(panel.client, "clerk")
    assert (await act(panel, clerk, difficult, "assign", station_id=hubin))[1]["state"] == "assigned"
    status, data = await act(panel, clerk, difficult, "reassign", station_id=renyi, reason="地址属仁义站")
    assert status == 200 and data["station"]["code"] == "renyi"
    status, data = await act(panel, clerk, difficult, "suspend", reason="用户要求赔偿")
    assert (status, data["error"]) == (422, "invalid_input") and "approved_by" in data["message"]
    status, data = await act(panel, clerk, difficult, "suspend", reason="用户要求赔偿", approved_by="供热办 王主任")
    assert status == 200 and data["state"] == "suspended"
    assert all(d["state"] == "paused" for d in data["deadlines"] if d["stopped_at"] is None)
    status, data = await act(panel, clerk, difficult, "resume", reason="用户降低要求")
    assert (status, data["state"]) == (200, "assigned")
    status, data = await act(panel, clerk, difficult, "second_complaint", reason="用户再次来电")
    assert status == 200 and data["second_complaints"] == 1 and data["escalation_level"] == 1
    assert any(d["rule_id"] == "ESC" for d in data["deadlines"])


@SQLITE
async def test_answer_report_upward_and_handle(panel: Panel) -> None:
    now = panel.clock()
    consultation = await add_case(panel.sessions, now, to="accepted", kind="consultation")
    supervision = await add_case(panel.sessions, now, to="feedback_received", kind="supervision")
    repair = await add_case(panel.sessions, now, to="assigned", kind="repair", severity="minor")
    _, clerk = await login(panel.client, "clerk")
    assert (await act(panel, clerk, consultation, "answer", reason="11月1日开栓"))[1]["state"] == "resolved"
    status, data = await act(panel, clerk, supervision, "report_upward")
    assert status == 200 and data["reported_upward_at"] is not None
    _, station = await login(panel.client, "station")
    status, data = await act(panel, station, repair, "handle", reason="已修复")
    assert status == 200 and data["handled_at"] is not None and data["state"] == "assigned"


@SQLITE
async def test_illegal_actions_are_refused_with_a_clear_error(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="accepted")
    _, clerk = await login(panel.client, "clerk")
    status, data = await act(panel, clerk, case_id, "close")
    assert status == 409 and data == {"error": "illegal_transition", "permanent": True,
                                      "message": "cannot close a case in state accepted (only from: called_back, resolved)"}  # fmt: skip
    assert (await act(panel, clerk, case_id, "escalate"))[0] == 403  # the timer's own
    assert (await act(panel, clerk, case_id, "fly_away"))[1]["error"] == "illegal_transition"
    status, data = await act(panel, clerk, case_id, "assign", version=99, station_id=1)
    assert (status, data["error"], data["permanent"]) == (409, "conflict", False)
    _, manager = await login(panel.client, "manager")
    status, data = await act(panel, manager, case_id, "assign", station_id=1)
    assert (status, data["error"]) == (403, "forbidden") and "manager" in data["message"]
    # The page: the refusal is shown next to the actions, the input kept.
    _, clerk = await login(panel.client, "clerk")
    response = await panel.client.post(f"/cases/{case_id}/actions/suspend", allow_redirects=False,
                                       data={"csrf_token": clerk, "reason": "用户要求赔偿"})  # fmt: skip
    page = await response.text()
    assert response.status == 422 and 'data-testid="action-error"' in page
    error = page.split('data-testid="action-error"')[1].split("</div>")[0]
    assert "暂停协调处理：审批：暂停须有供热办批准的记录" in error and "approved_by" not in error  # the reader's words
    assert "用户要求赔偿" in page


@SQLITE
async def test_the_page_offers_exactly_the_legal_actions(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")
    async with panel.sessions() as db:
        case = await db.get(Case, case_id)
    assert case is not None
    for user, role in (("clerk", "clerk"), ("station", "station"), ("office_head", "office_head"),
                       ("manager", "manager"), ("supervisor", "department_head")):  # fmt: skip
        await login(panel.client, user)
        page = await (await panel.client.get(f"/cases/{case_id}")).text()
        shown = {a for a in workflow.ACTIONS if f'data-testid="action-{a}"' in page}
        assert shown == set(workflow.allowed_actions(case, role)) - {"escalate"}, user
    await login(panel.client, "admin")
    page = await (await panel.client.get(f"/cases/{case_id}")).text()
    assert "action-form" not in page and "您的角色只能查看工单" in page
    _, clerk = await login(panel.client, "clerk")
    response = await panel.client.post(f"/cases/{case_id}/actions/feedback", allow_redirects=False,
                                       data={"csrf_token": clerk, "reason": "已修好漏水的暖气片", "version": str(case.version)})  # fmt: skip
    assert response.status == 302 and response.headers["Location"] == f"/cases/{case_id}?done=feedback"


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_station_sees_and_answers_only_its_own_cases(panel: Panel) -> None:
    now = panel.clock()
    own = await add_case(panel.sessions, now, to="assigned", station="hubin", phone="13900000001")
    other = await add_case(panel.sessions, now, to="assigned", station="renyi", phone="13900000002")
    unassigned = await add_case(panel.sessions, now, to="accepted", phone="13900000003")
    _, token = await login(panel.client, "station")
    renyi = await station_id(panel, "renyi")
    for query in ("", "?state=all", f"?station={renyi}", "?phone=13900000002", "?overdue=1&state=all"):
        items = (await (await panel.client.get("/api/cases" + query)).json())["items"]
        assert {c["id"] for c in items} <= {own}, query
    page = await (await panel.client.get("/cases?state=all")).text()
    assert f'data-case="{own}"' in page and f'data-case="{other}"' not in page
    for case_id in (other, unassigned):
        assert (await panel.client.get(f"/cases/{case_id}")).status == 404
        assert (await panel.client.get(f"/api/cases/{case_id}")).status == 404
        status, data = await act(panel, token, case_id, "feedback", reason="x")
        assert (status, data["error"]) == (404, "not_found")
        response = await panel.client.post(f"/cases/{case_id}/actions/feedback", data={"csrf_token": token},
                                           allow_redirects=False)  # fmt: skip
        assert response.status == 404
    status, data = await act(panel, token, own, "feedback", reason="已处理，暖气恢复正常")
    assert (status, data["state"]) == (200, "feedback_received")
    async with panel.sessions() as db:
        assert (await db.get(Case, other)).state == "assigned"  # type: ignore[union-attr]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_the_list_filters_and_pages(panel: Panel) -> None:
    now = panel.clock()
    late = await add_case(panel.sessions, now - timedelta(days=6), to="assigned", kind="repair", phone="13911110000")
    fresh = await add_case(panel.sessions, now, to="assigned", kind="temperature", station="renyi")
    draft = await add_case(panel.sessions, now, to="draft")
    closed = await add_case(panel.sessions, now - timedelta(days=9), to="closed")
    await login(panel.client, "clerk")

    async def ids(query: str) -> list[int]:
        response = await panel.client.get("/api/cases" + query)
        assert response.status == 200, await response.text()
        return [c["id"] for c in (await response.json())["items"]]

    assert await ids("") == [fresh, late]  # open: not drafts, not archived
    assert await ids("?state=all") == [closed, draft, fresh, late]
    assert await ids("?state=draft") == [draft] and await ids("?kind=repair") == [late]
    assert await ids(f"?station={await station_id(panel, 'renyi')}") == [fresh]
    assert await ids("?phone=0951-13911110000") == [] and await ids("?phone=13911110000") == [late]
    assert await ids("?overdue=1") == [late]
    first = await (await panel.client.get("/api/cases?state=all&limit=3")).json()
    assert len(first["items"]) == 3 and first["next_before"] == fresh
    assert await ids(f"?state=all&limit=3&before={first['next_before']}") == [late]
    item = (await (await panel.client.get("/api/cases?kind=repair")).json())["items"][0]
    assert item["overdue"] is True and item["next_due"]["overdue"] is True
    assert (await panel.client.get("/api/cases?state=lost")).status == 400
    page = await (await panel.client.get("/cases")).text()
    assert 'class="overdue"' in page and 'class="cd late"' in page


@SQLITE
async def test_the_pop_up_shows_the_callers_open_cases_and_the_second_complaint(panel: Panel) -> None:
    now = panel.clock()
    await login(panel.client, "clerk")
    draft = await add_case(panel.sessions, now, to="draft", phone="13955550000")
    data = await (await panel.client.get("/api/caller?number=13955550000")).json()
    assert [c["id"] for c in data["open_cases"]] == [draft] and data["second_complaint"] is False
    accepted = await add_case(panel.sessions, now - timedelta(hours=3), to="assigned", phone="13955550000")
    data = await (await panel.client.get("/api/caller?number=+86 139 5555 0000")).json()
    assert [c["id"] for c in data["open_cases"]] == [accepted, draft]
    assert data["second_complaint"] is True and data["open_cases"][0]["station"] == "湖滨供热站"
    assert data["cases_available"] is True


@SQLITE
async def test_the_case_page_shows_the_timeline_and_escapes_what_callers_said(panel: Panel) -> None:
    hostile = "<script>alert(1)</script>"
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned", problem=hostile, caller_name=hostile)
    await login(panel.client, "clerk")
    page = await (await panel.client.get(f"/cases/{case_id}")).text()
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for text in ("受理", "交办", "湖滨供热站", "通知 · 交办", "D5"):
        assert text in page, text
    english = await (await panel.client.get(f"/cases/{case_id}?lang=en")).text()
    assert "Assign" in english or "Record feedback" in english
    assert "Timeline" in english and "Deadlines" in english


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_an_empty_feedback_is_refused_with_422(panel: Panel) -> None:
    """Issue 10 point 5, through the API and the form: 422 with the reason, the case stays."""
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned", station="hubin")
    _, token = await login(panel.client, "station")
    for body in ({}, {"reason": ""}, {"reason": " 。"}):
        status, data = await act(panel, token, case_id, "feedback", **body)
        assert status == 422 and "what was done and the result" in data["message"], data
    response = await panel.client.post(f"/cases/{case_id}/actions/feedback", allow_redirects=False,
                                       data={"csrf_token": token, "reason": "  "})  # fmt: skip
    assert response.status == 422 or "what was done" in response.headers.get("Location", "")
    async with panel.sessions() as db:
        assert (await db.get(Case, case_id)).state == "assigned"  # type: ignore[union-attr]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_an_office_head_chases_and_escalates_an_overdue_case(panel: Panel) -> None:
    """Issue 10 point 7: 催办 and 手动逐级上报 on an overdue case, recorded, noticed, in the reports."""
    fresh = await add_case(panel.sessions, panel.clock(), to="assigned", station="hubin", phone="13900000011")
    late = await add_case(panel.sessions, panel.clock() - timedelta(days=6), to="assigned", station="hubin")
    _, head = await login(panel.client, "office_head")
    fresh_actions = [a["action"] for a in (await (await panel.client.get(f"/api/cases/{fresh}")).json())["actions"]]
    assert "chase" not in fresh_actions
    status, data = await act(panel, head, fresh, "chase")
    assert status == 409 and "overdue" in data["message"]
    case = await (await panel.client.get(f"/api/cases/{late}")).json()
    assert {"chase", "escalate_manual"} <= {a["action"] for a in case["actions"]}
    page = await (await panel.client.get(f"/cases/{late}")).text()
    assert 'data-testid="action-chase"' in page and 'data-testid="action-escalate_manual"' in page
    status, data = await act(panel, head, late, "chase", reason="请今天之内处理", version=case["version"])
    assert status == 200 and data["state"] == "assigned"
    version = data["version"]
    status, data = await act(panel, head, late, "escalate_manual", version=version)
    assert status == 422  # a reason is required
    status, data = await act(panel, head, late, "escalate_manual", reason="两次催办无果", version=version)
    assert status == 200 and data["escalation_level"] == 1
    async with panel.sessions() as db:
        from callcenter.tickets.models import Outbox

        notes = (await db.scalars(select(Outbox).where(Outbox.case_id == late, Outbox.kind.in_(("chase", "escalation"))))).all()
    assert {(n.kind, n.recipient_role) for n in notes} == {("chase", "station"), ("escalation", "office_head")}
    assert any("请今天之内处理" in n.text_zh and "office_head" in n.text_zh for n in notes if n.kind == "chase")
    station = await (await panel.client.get("/api/notices")).json()  # still the office head: the escalation
    assert any(n["kind"] == "escalation" for n in station["items"])
    await login(panel.client, "station")
    inbox = await (await panel.client.get("/api/notices")).json()
    assert any(n["kind"] == "chase" and n["case_id"] == late for n in inbox["items"])
    await login(panel.client, "supervisor")
    anchor = panel.clock().date().isoformat()
    data = await (await panel.client.get(f"/api/reports/R1?anchor={anchor}")).json()
    summary = {row[0]: row[1] for row in data["sections"][0]["rows"]}
    assert summary["催办次数"] == 1 and summary["逐级上报次数"] == 1
    chases = next(s for s in data["sections"] if s["name"] == "chases")
    assert [(r[0], r[2], r[3]) for r in chases["rows"]] == [(late, "张所长", "催办"), (late, "张所长", "逐级上报")]  # names, not logins
