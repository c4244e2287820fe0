"""A case's linked calls (issue 10 point 10): shown grouped, unlinked or moved by a clerk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter.tickets.cases import link_call_in
from callcenter.tickets.models import CaseCall
from tests.web.conftest import Panel, add_call, add_case, login

DB = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@DB
async def test_grouped_unlink_and_move(panel: Panel) -> None:
    now = panel.clock()
    case = await add_case(panel.sessions, now, to="assigned", phone="13900000055")
    other = await add_case(panel.sessions, now, to="assigned", phone="13900000055")
    calls = [await add_call(panel.sessions, caller_number="13900000055", started_at=now + timedelta(hours=i))
             for i in range(3)]  # fmt: skip
    async with panel.sessions() as db, db.begin():
        await link_call_in(db, case, calls[0], actor="system", now=now, reason="repeat")
        await link_call_in(db, case, calls[1], actor="system", now=now, reason="second_complaint")
        await link_call_in(db, case, calls[2], actor="system", now=now, reason="repeat")
    _, token = await login(panel.client, "clerk")
    page = await (await panel.client.get(f"/cases/{case}")).text()
    section = page.split('data-testid="linked-calls"')[1].split("</section>")[0]
    assert 'data-testid="calls-second_complaint"' in section and 'data-testid="calls-repeat"' in section
    assert section.index("calls-second_complaint") < section.index("calls-repeat")
    response = await panel.client.post(f"/cases/{case}/calls/{calls[0]}/unlink", allow_redirects=False,
                                       data={"csrf_token": token})  # fmt: skip
    assert response.status == 303
    response = await panel.client.post(f"/api/cases/{case}/calls/{calls[2]}/move", json={"to_case": other},
                                       headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status == 200 and (await response.json())["to_case"] == other
    for path, body, status in ((f"/api/cases/{case}/calls/{calls[0]}/unlink", {}, 404),  # not linked any more
                               (f"/api/cases/{case}/calls/{calls[1]}/move", {"to_case": case}, 422),
                               (f"/api/cases/{case}/calls/{calls[1]}/move", {"to_case": 99999}, 404),
                               (f"/api/cases/{case}/calls/{calls[1]}/move", {"to_case": "x"}, 400)):
        response = await panel.client.post(path, json=body, headers={"X-CSRF-Token": token})
        assert response.status == status, (path, body, await response.text())
    async with panel.sessions() as db:
        links = {(c.case_id, c.call_id, c.reason) for c in (await db.scalars(select(CaseCall))).all()}
    assert links == {(case, calls[1], "second_complaint"), (other, calls[2], "manual")}
    _, station = await login(panel.client, "station")
    response = await panel.client.post(f"/api/cases/{case}/calls/{calls[1]}/unlink", json={},
                                       headers={"X-CSRF-Token": station})  # fmt: skip
    assert response.status == 403
