"""Opening a case from a call (issue #13): a pre-filled form (GET creates nothing), the kind's
required fields with the clerk's input kept on refusal, and a call that already has its case
refused plainly (form: 409 naming the case; API: 409 ``case_exists``), never handed back as if
created with the newly picked kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callcenter.tickets.models import Case, CaseCall
from callcenter.web.cases.from_call import split_address
from callcenter.web.models import CallNote
from tests.web.conftest import T0, Panel, add_call, login

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


async def note(panel: Panel, call_id: int, **fields: str) -> None:
    async with panel.sessions() as db, db.begin():
        db.add(CallNote(call_id=call_id, updated_at=T0, updated_by="clerk", version=1, **fields))


async def cases(panel: Panel) -> int:
    async with panel.sessions() as db:
        return int(await db.scalar(select(func.count(Case.id))) or 0)


@BOTH
async def test_the_form_is_prefilled_from_the_call_and_opening_it_creates_nothing(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, caller_number="+86 139 0951 1234", answered_by="8002")
    await note(panel, call_id, caller_name="张伟", address="丽景湾小区 3号楼 2单元 501", summary="室温只有15度",
               category="temperature")  # fmt: skip
    await login(panel.client, "clerk")
    response = await panel.client.get(f"/calls/{call_id}/case/new")
    page = await response.text()
    assert response.status == 200 and await cases(panel) == 0
    for expected in ('value="13909511234"', 'value="张伟"', 'value="丽景湾小区"', 'value="3"', 'value="2"',
                     'value="501"', "室温只有15度", '<option value="temperature" selected', f'href="/calls/{call_id}"',
                     '<dd data-testid="newcase-source">电话</dd>'):  # fmt: skip
        assert expected in page, expected
    assert "(8002)" in page  # 首问责任人: who answered


@SQLITE
async def test_name_and_address_come_from_the_numbers_history(panel: Panel) -> None:
    earlier = await add_call(panel.sessions, caller_number="13995112288", started_at=T0 - timedelta(days=3))
    await note(panel, earlier, caller_name="马秀兰", address="湖滨西街 12号")
    call_id = await add_call(panel.sessions, caller_number="13995112288", disposition="voicemail", answered_by=None,
                             answered_at=None)  # fmt: skip
    await login(panel.client, "clerk")
    page = await (await panel.client.get(f"/calls/{call_id}/case/new")).text()
    assert 'value="马秀兰"' in page and 'value="湖滨西街 12号"' in page and 'data-testid="newcase-origin"' in page
    assert '<dd data-testid="newcase-source">留言</dd>' in page


def test_an_address_line_is_split_only_when_nothing_is_lost() -> None:
    assert split_address("丽景湾小区 3号楼 2单元 501") == {"compound": "丽景湾小区", "building": "3", "unit_no": "2",
                                                       "room": "501"}  # fmt: skip
    assert split_address("湖滨西街 12号") == {"compound": "湖滨西街 12号"}
    assert split_address("北苑小区 3号楼 对面的锅炉房") == {"compound": "北苑小区 3号楼 对面的锅炉房"}
    assert split_address("  ") == {}


@BOTH
async def test_a_refused_form_keeps_the_input_and_names_what_the_kind_needs(panel: Panel) -> None:
    call_id = await add_call(panel.sessions)
    _, token = await login(panel.client, "clerk")
    form = {"csrf_token": token, "kind": "repair", "caller_name": "王先生", "problem": "卫生间暖气片漏水",
            "compound": "北苑小区"}  # fmt: skip
    response = await panel.client.post(f"/calls/{call_id}/case", data=form, allow_redirects=False)
    page = await response.text()
    assert response.status == 422 and await cases(panel) == 0
    assert 'value="王先生"' in page and "卫生间暖气片漏水" in page and '<option value="repair" selected' in page
    assert "请填写：楼号、联系电话、毁损情况" in page  # the caller's phone is kept: the form sends what it shows
    assert "required for" not in page  # no English refusal under the list
    no_kind = await panel.client.post(f"/calls/{call_id}/case", data={"csrf_token": token, "problem": "x"},
                                      allow_redirects=False)  # fmt: skip
    assert no_kind.status == 422 and await cases(panel) == 0


@BOTH
async def test_a_call_opens_one_case_and_a_second_try_is_refused_plainly(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, answered_by=None, disposition="abandoned", answered_at=None)
    _, token = await login(panel.client, "clerk")
    form = {"csrf_token": token, "kind": "complaint", "compound": "丽景湾小区", "problem": "暖气不热", "urgent": "1"}
    response = await panel.client.post(f"/calls/{call_id}/case", data=form, allow_redirects=False)
    assert response.status == 302
    case_id = int(response.headers["Location"].split("?")[0].rsplit("/", 1)[1])
    async with panel.sessions() as db:
        case = await db.get(Case, case_id)
        link = await db.scalar(select(CaseCall.reason).where(CaseCall.case_id == case_id, CaseCall.call_id == call_id))
    assert case is not None and (case.kind, case.state, case.compound, case.urgent) == (
        "complaint", "accepted", "丽景湾小区", True)
    assert case.first_responder == "8001" and link == "first"  # nobody answered: the clerk opening it
    # The form again, and the API, with another kind: refused, naming the case; nothing new.
    again = await panel.client.post(f"/calls/{call_id}/case", data={**form, "kind": "repair"}, allow_redirects=False)
    page = await again.text()
    assert again.status == 409 and f"此来电已有工单 #{case_id}（投诉，已受理）" in page
    assert f'href="/cases/{case_id}"' in page
    api = await panel.client.post(f"/api/calls/{call_id}/case", headers={"X-CSRF-Token": token},
                                  json={"kind": "repair", "problem": "漏水", "compound": "x", "building": "1",
                                        "caller_name": "王", "caller_phone": "13900000000", "damage": "地板泡水"})  # fmt: skip
    body = await api.json()
    assert api.status == 409 and (body["error"], body["case_id"]) == ("case_exists", case_id)
    assert await cases(panel) == 1
    async with panel.sessions() as db:
        assert (await db.get(Case, case_id)).kind == "complaint"  # type: ignore[union-attr]
    # Where the clerk would click again: the form page and the call page say so, with no button.
    new = await (await panel.client.get(f"/calls/{call_id}/case/new")).text()
    assert 'data-testid="case-exists"' in new and 'data-testid="newcase-form"' not in new
    detail = await (await panel.client.get(f"/calls/{call_id}")).text()
    assert 'data-testid="call-has-case"' in detail and 'data-testid="new-case"' not in detail
    state = await (await panel.client.get(f"/api/calls/{call_id}/case")).json()
    assert state == {"case": {"id": case_id, "kind": "complaint", "state": "accepted", "url": f"/cases/{case_id}"},
                     "new_url": None}  # fmt: skip


@SQLITE
async def test_the_api_names_the_missing_fields_and_wants_a_kind(panel: Panel) -> None:
    call_id = await add_call(panel.sessions)
    _, token = await login(panel.client, "clerk")
    headers = {"X-CSRF-Token": token}
    no_kind = await panel.client.post(f"/api/calls/{call_id}/case", json={"problem": "x"}, headers=headers)
    assert no_kind.status == 400 and (await no_kind.json())["field"] == "kind"
    thin = await panel.client.post(f"/api/calls/{call_id}/case", json={"kind": "complaint"}, headers=headers)
    assert thin.status == 422 and "compound" in (await thin.json())["message"] and await cases(panel) == 0
    state = await (await panel.client.get(f"/api/calls/{call_id}/case")).json()
    assert state == {"case": None, "new_url": f"/calls/{call_id}/case/new"}
    ok = await panel.client.post(f"/api/calls/{call_id}/case", headers=headers,
                                 json={"kind": "consultation", "problem": "问什么时候开始供暖"})  # fmt: skip
    data = await ok.json()
    assert ok.status == 201 and (data["kind"], data["caller_phone"], data["source"]) == (
        "consultation", "13909511234", "phone")
