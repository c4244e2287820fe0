"""An office head (所长) sees the cases of its own heating office: its stations' cases, the cases
copied to it, the unassigned intake — on every case query and route (another office's case is
*not found*). An office-head account without an office link sees no case at all."""

from __future__ import annotations

import asyncio
import io

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from callcenter.db.migrate import upgrade
from callcenter.db.models import Base
from callcenter.db.session import create_engine, session_factory
from callcenter.tickets.directory import seed_demo, unit_by_code
from callcenter.tickets.models import Case, CaseCall
from callcenter.web.models import User
from tests.web.conftest import PASSWORD, Panel, add_call, add_case, login
from tests.keys import AUDIT_KEYS

BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def unit_id(panel: Panel, code: str) -> int:
    async with panel.sessions() as db:
        unit = await unit_by_code(db, code)
    assert unit is not None
    return unit.id


async def three_cases(panel: Panel) -> tuple[int, int, int]:
    """(湖滨, first office; 唐徕, second office; not assigned yet)."""
    now = panel.clock()
    return (await add_case(panel.sessions, now, to="assigned", station="hubin", phone="13900000001"),
            await add_case(panel.sessions, now, to="assigned", station="tanglai", phone="13900000002"),
            await add_case(panel.sessions, now, to="accepted", phone="13900000003"))  # fmt: skip


async def ids_listed(panel: Panel, query: str = "?state=all") -> set[int]:
    return {c["id"] for c in (await (await panel.client.get("/api/cases" + query)).json())["items"]}


@BOTH
async def test_an_office_head_sees_its_office_and_the_intake_only(panel: Panel) -> None:
    own, other, intake = await three_cases(panel)
    _, token = await login(panel.client, "office_head")  # heads 第一供热管理所
    assert await ids_listed(panel) == {own, intake}
    assert await ids_listed(panel, f"?state=all&station={await unit_id(panel, 'tanglai')}") == set()
    assert (await panel.client.get(f"/api/cases/{own}")).status == 200
    for path in (f"/api/cases/{other}", f"/cases/{other}", f"/audit?entity=case&id={other}",
                 f"/api/audit?entity=case&id={other}"):  # fmt: skip
        assert (await panel.client.get(path)).status == 404, path
    response = await panel.client.post(f"/api/cases/{other}/actions/resolve", json={}, headers={"X-CSRF-Token": token})
    assert response.status == 404
    response = await panel.client.patch(f"/api/cases/{other}", json={"version": 3, "room": "1"},
                                        headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status == 404
    page = await (await panel.client.get("/cases?state=all")).text()
    assert 'data-testid="office-scope"' in page and "第一供热管理所" in page


@SQLITE
async def test_supervision_outbox_audit_and_calls_follow_the_scope(panel: Panel) -> None:
    own, other, _ = await three_cases(panel)
    call_id = await add_call(panel.sessions)
    async with panel.sessions() as db, db.begin():
        for case_id in (own, other):
            db.add(CaseCall(case_id=case_id, call_id=call_id, reason="manual", linked_at=panel.clock(), linked_by="t"))
    await login(panel.client, "office_head")
    data = await (await panel.client.get("/api/supervision")).json()
    assert {t["station_id"] for t in data["by_station"]} <= {await unit_id(panel, "hubin"), None}
    outbox = await (await panel.client.get("/api/outbox")).json()
    assert {n["case_id"] for n in outbox["items"]} == {own}
    audit = await (await panel.client.get("/api/audit?entity=case")).json()
    assert str(other) not in {r["entity_id"] for r in audit["items"]} and str(own) in {r["entity_id"] for r in audit["items"]}
    page = await (await panel.client.get(f"/calls/{call_id}")).text()
    assert f'href="/cases/{own}"' in page and f'href="/cases/{other}"' not in page
    await login(panel.client, "supervisor")  # the department head still sees everything
    outbox = await (await panel.client.get("/api/outbox")).json()
    assert {n["case_id"] for n in outbox["items"]} == {own, other}


@SQLITE
async def test_a_case_copied_to_the_office_head_stays_after_its_station_moved(panel: Panel) -> None:
    own, _, _ = await three_cases(panel)
    _, admin = await login(panel.client, "admin")
    hubin, office2 = await unit_id(panel, "hubin"), await unit_id(panel, "office2")
    response = await panel.client.patch(f"/api/directory/units/{hubin}", json={"parent_id": office2},
                                        headers={"X-CSRF-Token": admin})  # fmt: skip
    assert response.status == 200
    new = await add_case(panel.sessions, panel.clock(), to="assigned", station="hubin", phone="13900000009")
    await login(panel.client, "office_head")
    listed = await ids_listed(panel)
    assert own in listed and new not in listed  # copied to 马文 before the move; the new one to 杨帆


@SQLITE
async def test_an_office_head_assigns_only_to_its_own_stations(panel: Panel) -> None:
    _, _, intake = await three_cases(panel)
    _, token = await login(panel.client, "office_head")
    tanglai, renyi = await unit_id(panel, "tanglai"), await unit_id(panel, "renyi")
    response = await panel.client.post(f"/api/cases/{intake}/actions/assign", json={"station_id": tanglai},
                                       headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status == 403 and "not under your office" in (await response.json())["message"]
    page = await (await panel.client.get(f"/cases/{intake}")).text()
    assert "唐徕供热站" not in page.split('data-testid="action-assign"')[1].split("</form>")[0]
    response = await panel.client.post(f"/api/cases/{intake}/actions/assign", json={"station_id": renyi},
                                       headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status == 200 and (await response.json())["station"]["code"] == "renyi"
    draft = await add_case(panel.sessions, panel.clock(), to="draft")
    response = await panel.client.post(f"/api/drafts/{draft}/confirm", json={"assign_station_id": tanglai},
                                       headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status == 403
    page = await (await panel.client.get(f"/drafts/{draft}")).text()
    assert "唐徕供热站" not in page and "仁义供热站" in page
    async with panel.sessions() as db:
        assert (await db.get(Case, draft)).state == "draft"  # type: ignore[union-attr]


@SQLITE
async def test_an_unlinked_office_head_sees_nothing_until_linked(panel: Panel) -> None:
    own, _, intake = await three_cases(panel)
    draft = await add_case(panel.sessions, panel.clock(), to="draft")
    async with panel.sessions() as db, db.begin():  # an account from before office links existed
        head = await db.scalar(select(User).where(User.username == "office_head"))
        assert head is not None
        head.office_code = None
    await login(panel.client, "office_head")
    assert await ids_listed(panel) == set()
    assert (await panel.client.get(f"/cases/{own}")).status == 404
    assert (await (await panel.client.get("/api/drafts")).json())["items"] == []
    page = await (await panel.client.get("/cases")).text()
    assert 'data-testid="office-unlinked"' in page
    _, admin = await login(panel.client, "admin")
    page = await (await panel.client.get("/admin/users")).text()
    assert 'data-testid="office-unlinked"' in page
    response = await panel.client.post(f"/api/admin/users/{head.id}/office", json={"office_code": "nowhere"},
                                       headers={"X-CSRF-Token": admin})  # fmt: skip
    assert response.status == 400 and "no heating management office" in (await response.json())["message"]
    response = await panel.client.post(f"/api/admin/users/{head.id}/office", json={"office_code": "office1"},
                                       headers={"X-CSRF-Token": admin})  # fmt: skip
    assert response.status == 200 and (await response.json())["office_code"] == "office1"
    await login(panel.client, "office_head")
    assert await ids_listed(panel) == {own, intake, draft}
    await login(panel.client, "supervisor")
    audit = await (await panel.client.get("/api/audit?entity=user&id=office_head")).json()
    assert [(r["field"], r["after"]) for r in audit["items"]][-1] == ("office_code", "office1")


@SQLITE
async def test_a_new_office_head_account_needs_its_office(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    headers = {"X-CSRF-Token": admin}
    body = {"username": "head2", "role": "office_head", "password": "long enough 5"}
    response = await panel.client.post("/api/admin/users", json=body, headers=headers)
    assert response.status == 400 and "office" in (await response.json())["message"]
    response = await panel.client.post("/api/admin/users", json={**body, "office_code": "hubin"}, headers=headers)
    assert response.status == 400  # a station is not a heating office
    response = await panel.client.post("/api/admin/users", json={**body, "office_code": "office2"}, headers=headers)
    assert response.status == 201 and (await response.json())["office_code"] == "office2"
    response = await panel.client.post("/api/admin/users", json={"username": "c9", "role": "clerk", "password":
                                       "long enough 6", "office_code": "office2"}, headers=headers)  # fmt: skip
    assert response.status == 400
    form = {"csrf_token": admin, "username": "head3", "role": "office_head", "office_code": "office1",
            "password": "long enough 7"}  # fmt: skip
    response = await panel.client.post("/admin/users", data=form, allow_redirects=False)
    assert response.status == 302
    assert (await login(panel.client, "head3", "long enough 7"))[0] == 302


@SQLITE
def test_the_command_line_links_office_heads(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import argparse

    from callcenter.web import commands

    async def directory() -> None:
        engine = create_engine(db_url)
        try:
            await upgrade(engine)
            await seed_demo(session_factory(engine, AUDIT_KEYS))
        finally:
            await engine.dispose()

    def run(argv: list[str], stdin: str = "") -> int:
        monkeypatch.setenv("CALLCENTER_DATABASE_URL", db_url)
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        parser = argparse.ArgumentParser()
        commands.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(argv)
        return int(args.func(args))

    asyncio.run(directory())
    add = ["user", "add", "suozhang", "--role", "office_head", "--password-stdin"]
    assert run(add, PASSWORD + "\n") == 2 and "--office" in capsys.readouterr().err
    assert run([*add, "--office", "office9"], PASSWORD + "\n") == 2 and "office9" in capsys.readouterr().err
    assert run([*add, "--office", "office2"], PASSWORD + "\n") == 0
    assert run(["user", "set-office", "suozhang", "office1"]) == 0 and "office1" in capsys.readouterr().out
    assert run(["user", "set-office", "suozhang", "hubin"]) == 2  # a station is not an office
    assert run(["user", "list"]) == 0 and "suozhang\toffice_head\toffice1\t-" in capsys.readouterr().out


@SQLITE
async def test_the_schema_matches_the_models(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata))  # fmt: skip
    finally:
        await engine.dispose()
    assert [d for d in diff if "office_code" in repr(d) or "'active'" in repr(d)] == []
