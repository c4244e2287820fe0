"""The administrator edits the directory: add, rename, move a station, retire units and people
(never delete what is referred to), refuse duplicates and invalid input — audited, API and page."""

from __future__ import annotations

from typing import Any

import pytest

from callcenter.tickets.directory import unit_by_code
from callcenter.tickets.models import Case
from tests.web.conftest import Panel, add_case, login

BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def send(panel: Panel, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = await panel.client.request(method, path, json=body or {}, headers={"X-CSRF-Token": token})
    return response.status, await response.json()


async def unit_id(panel: Panel, code: str) -> int:
    async with panel.sessions() as db:
        unit = await unit_by_code(db, code)
    assert unit is not None
    return unit.id


@BOTH
async def test_add_rename_move_and_retire_a_station(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    office1, office2 = await unit_id(panel, "office1"), await unit_id(panel, "office2")
    new = {"code": "xincheng", "kind": "station", "name_zh": "新城供热站", "name_en": "Xincheng Station",
           "phone": "6000001", "parent_id": office1}  # fmt: skip
    status, unit = await send(panel, admin, "POST", "/api/directory/units", new)
    assert status == 201 and (unit["code"], unit["parent_id"], unit["active"]) == ("xincheng", office1, True)
    status, unit = await send(panel, admin, "PATCH", f"/api/directory/units/{unit['id']}",
                              {"name_zh": "新城站", "phone": "6000002", "parent_id": office2})  # fmt: skip
    assert status == 200 and (unit["name_zh"], unit["phone"], unit["parent_id"]) == ("新城站", "6000002", office2)
    status, person = await send(panel, admin, "POST", "/api/directory/people",
                                {"login": "station-xincheng", "name": "新城站长", "role": "station",
                                 "unit_id": unit["id"], "phone": "139"})  # fmt: skip
    assert status == 201 and person["active"] is True
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned", station="xincheng")
    status, data = await send(panel, admin, "PATCH", f"/api/directory/units/{unit['id']}", {"active": False})
    assert (status, data["error"]) == (409, "conflict") and "open case" in data["message"]
    async with panel.sessions() as db:
        case = await db.get(Case, case_id)
    assert case is not None and case.responsible_person_id == person["id"]
    await login(panel.client, "supervisor")
    audit = await (await panel.client.get("/api/audit?entity=unit&id=xincheng")).json()
    assert [(r["field"], r["after"]) for r in audit["items"] if r["reason"] == "unit changed"] == [
        ("name_zh", "新城站"), ("phone", "6000002"), ("parent_id", office2)]  # fmt: skip


@SQLITE
async def test_a_retired_station_gets_no_new_case_and_a_retired_person_is_not_picked(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    yucai = await unit_id(panel, "yucai")
    status, _ = await send(panel, admin, "PATCH", f"/api/directory/units/{yucai}", {"active": False})
    assert status == 200
    case_id = await add_case(panel.sessions, panel.clock(), to="accepted")
    _, clerk = await login(panel.client, "clerk")
    status, data = await send(panel, clerk, "POST", f"/api/cases/{case_id}/actions/assign", {"station_id": yucai})
    assert status == 422 and "deactivated" in data["message"]
    page = await (await panel.client.get(f"/cases/{case_id}")).text()
    assert "育才供热站" not in page.split('data-testid="action-assign"')[1].split("</form>")[0]
    _, admin = await login(panel.client, "admin")
    people = (await (await panel.client.get("/api/directory")).json())["people"]
    renyi_head = next(p for p in people if p["login"] == "station-renyi")
    status, person = await send(panel, admin, "PATCH", f"/api/directory/people/{renyi_head['id']}", {"active": False})
    assert status == 200 and person["active"] is False
    _, clerk = await login(panel.client, "clerk")
    status, data = await send(panel, clerk, "POST", f"/api/cases/{case_id}/actions/assign",
                              {"station_id": await unit_id(panel, "renyi")})  # fmt: skip
    assert status == 200 and data["responsible_person"] is None  # nobody active at 仁义 to instruct by name


@SQLITE
async def test_duplicates_and_invalid_input_are_refused_with_the_reason(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    office1, hubin = await unit_id(panel, "office1"), await unit_id(panel, "hubin")
    refused: list[tuple[str, str, dict[str, Any], int, str]] = [
        ("POST", "/api/directory/units", {"code": "hubin", "kind": "station", "name_zh": "X", "parent_id": office1},
         409, "exists already"),
        ("POST", "/api/directory/units", {"code": "x2", "kind": "station", "name_zh": "湖滨供热站", "parent_id": office1},
         409, "name_zh"),
        ("POST", "/api/directory/units", {"code": "x3", "kind": "station", "name_zh": "X3"}, 400, "parent_id"),
        ("POST", "/api/directory/units", {"code": "x4", "kind": "office", "name_zh": "X4", "parent_id": office1},
         400, "only a station"),
        ("POST", "/api/directory/units", {"code": "X 5", "kind": "station", "name_zh": "X5"}, 400, "code"),
        ("POST", "/api/directory/units", {"code": "x6", "kind": "castle", "name_zh": "X6"}, 400, "kind"),
        ("POST", "/api/directory/units", {"code": "x7", "kind": "department", "name": "typo"}, 400, "unknown field"),
        ("PATCH", f"/api/directory/units/{hubin}", {"code": "hubin2"}, 400, "never changes"),
        ("PATCH", f"/api/directory/units/{hubin}", {"parent_id": hubin}, 400, "heating office"),
        ("PATCH", f"/api/directory/units/{office1}", {"active": False}, 409, "active station"),
        ("PATCH", "/api/directory/units/99999", {"name_zh": "X"}, 404, "no such"),
        ("POST", "/api/directory/people", {"login": "8001", "name": "X", "role": "clerk", "unit_id": office1},
         409, "exists already"),
        ("POST", "/api/directory/people", {"login": "p1", "name": "X", "role": "station", "unit_id": office1},
         400, "kind station"),
        ("POST", "/api/directory/people", {"login": "p2", "name": "", "role": "clerk", "unit_id": office1}, 400, "name"),
        ("POST", "/api/directory/people", {"login": "p3", "name": "X", "role": "king", "unit_id": office1}, 400, "role"),
    ]  # fmt: skip
    for method, path, body, status, word in refused:
        got, data = await send(panel, admin, method, path, body)
        assert got == status and word in data["message"], (path, body, data)


@SQLITE
async def test_delete_only_what_nothing_refers_to(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    status, unit = await send(panel, admin, "POST", "/api/directory/units",
                              {"code": "typo", "kind": "department", "name_zh": "打错的科室"})  # fmt: skip
    assert status == 201
    for code in ("hubin", "office1"):  # cases/people/accounts; stations under it
        status, data = await send(panel, admin, "DELETE", f"/api/directory/units/{await unit_id(panel, code)}")
        assert status == 409 and "deactivate it instead" in data["message"], code
    status, _ = await send(panel, admin, "POST", "/api/directory/units",
                           {"code": "lonely", "kind": "office", "name_zh": "空管理所"})  # fmt: skip
    lonely = await unit_id(panel, "lonely")
    await send(panel, admin, "POST", "/api/admin/users", {"username": "head9", "role": "office_head",
                                                           "office_code": "lonely", "password": "long enough 9"})
    status, data = await send(panel, admin, "DELETE", f"/api/directory/units/{lonely}")
    assert status == 409 and "1 accounts" in data["message"]
    assert (await send(panel, admin, "DELETE", f"/api/directory/units/{unit['id']}"))[0] == 200
    people = (await (await panel.client.get("/api/directory")).json())["people"]
    named = next(p for p in people if p["login"] == "station-hubin")
    await add_case(panel.sessions, panel.clock(), to="assigned")  # names 湖滨站长
    status, data = await send(panel, admin, "DELETE", f"/api/directory/people/{named['id']}")
    assert status == 409 and "deactivate instead" in data["message"]
    await login(panel.client, "supervisor")
    audit = await (await panel.client.get("/api/audit?entity=unit&id=typo")).json()
    assert [r["reason"] for r in audit["items"]][-1] == "unit deleted"


@SQLITE
async def test_the_directory_page_edits_and_shows_refusals(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    form = {"csrf_token": admin, "code": "s9", "kind": "station", "name_zh": "九号站", "name_en": "", "phone": "",
            "parent_id": str(await unit_id(panel, "office2"))}  # fmt: skip
    response = await panel.client.post("/admin/directory/units", data=form, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/admin/directory?done=unit:s9"
    page = await (await panel.client.get(response.headers["Location"])).text()
    assert 'data-unit="s9"' in page and "九号站" in page and 'data-testid="add-person"' in page
    response = await panel.client.post("/admin/directory/units", data={**form, "code": "s10"}, allow_redirects=False)
    page = await response.text()
    assert response.status == 409 and 'data-testid="admin-error"' in page and 'value="s10"' in page
    s9 = await unit_id(panel, "s9")
    response = await panel.client.post(f"/admin/directory/units/{s9}/active", data={"csrf_token": admin, "active": "0"},
                                       allow_redirects=False)  # fmt: skip
    assert response.status == 302
    page = await (await panel.client.get("/admin/directory")).text()
    assert "已停用" in page
    await login(panel.client, "supervisor")  # reads, does not edit
    page = await (await panel.client.get("/admin/directory")).text()
    assert 'data-testid="add-unit"' not in page and "您的角色只能查看" in page
