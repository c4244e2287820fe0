"""Administration: accounts (add, disable, reset password — sessions revoked, audited), the
working-day calendar (an edit moves the due times; the unknown-year banner), the read-only
rules and extraction tables."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter.tickets.models import AuditEntry, CaseDeadline
from callcenter.web.auth.session import COOKIE
from tests.web.conftest import Panel, add_case, login

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def session_of(panel: Panel, username: str, password: str) -> dict[str, str]:
    """Log ``username`` in and return their session cookie (to come back as them later)."""
    assert (await login(panel.client, username, password))[0] == 302
    cookie = panel.client.session.cookie_jar.filter_cookies(panel.client.make_url("/"))[COOKIE]
    return {COOKIE: cookie.value}


async def test_add_disable_and_reset_accounts(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    headers = {"X-CSRF-Token": admin}
    response = await panel.client.post("/api/admin/users", headers=headers, json={
        "username": "hubin2", "role": "station", "station_code": "hubin", "display_name": "湖滨值班", "password": "湖滨值班密码-6085708"})  # fmt: skip
    user = await response.json()
    assert response.status == 201 and (user["role"], user["station_code"], user["active"]) == ("station", "hubin", True)
    bad = await panel.client.post("/api/admin/users", headers=headers, json={"username": "x1", "role": "station", "password": "long enough, not guessable 7731"})
    assert bad.status == 400 and "station" in (await bad.json())["message"]
    unknown = await panel.client.post("/api/admin/users", headers=headers, json={
        "username": "x2", "role": "station", "station_code": "nosuchstation", "password": "long enough, not guessable 7731"})
    assert unknown.status == 400 and "nosuchstation" in (await unknown.json())["message"]
    short = await panel.client.post("/api/admin/users", headers=headers, json={"username": "x2", "role": "clerk", "password": "short"})
    assert short.status == 400 and "12" in (await short.json())["message"]

    hubin2 = await session_of(panel, "hubin2", "湖滨值班密码-6085708")
    assert (await panel.client.get("/api/me", cookies=hubin2)).status == 200
    _, admin = await login(panel.client, "admin")
    off = await panel.client.post(f"/api/admin/users/{user['id']}/active", json={"active": False},
                                  headers={"X-CSRF-Token": admin})  # fmt: skip
    assert off.status == 200 and (await off.json())["active"] is False
    assert (await panel.client.get("/api/me", cookies=hubin2)).status == 401  # the session went with the account
    assert (await login(panel.client, "hubin2", "湖滨值班密码-6085708"))[0] == 401
    _, admin = await login(panel.client, "admin")
    on = await panel.client.post(f"/api/admin/users/{user['id']}/active", json={"active": True},
                                 headers={"X-CSRF-Token": admin})  # fmt: skip
    assert (await on.json())["active"] is True
    hubin2 = await session_of(panel, "hubin2", "湖滨值班密码-6085708")
    _, admin = await login(panel.client, "admin")
    reset = await panel.client.post(f"/api/admin/users/{user['id']}/password", json={"password": "新的密码 2026 湖滨供热站"},
                                    headers={"X-CSRF-Token": admin})  # fmt: skip
    assert (await reset.json())["sessions_revoked"] == 1
    assert (await panel.client.get("/api/me", cookies=hubin2)).status == 401
    assert (await login(panel.client, "hubin2", "新的密码 2026 湖滨供热站"))[0] == 302
    async with panel.sessions() as db:
        fields = (await db.scalars(select(AuditEntry.field).where(AuditEntry.entity == "user",
                                                                  AuditEntry.entity_id == "hubin2"))).all()  # fmt: skip
    assert "role" in fields and fields.count("active") >= 3 and "password_changed_at" in fields


async def test_an_administrator_cannot_disable_their_own_account(panel: Panel) -> None:
    _, admin = await login(panel.client, "admin")
    users = (await (await panel.client.get("/api/admin/users")).json())["items"]
    me = next(u for u in users if u["username"] == "admin")
    response = await panel.client.post(f"/admin/users/{me['id']}/active", data={"csrf_token": admin, "active": "0"})
    assert response.status == 400 and "own account" in await response.text()
    page = await (await panel.client.get("/admin/users")).text()
    assert page.count('action="/admin/users/') > 6 and 'data-testid="add-user"' in page
    await login(panel.client, "supervisor")  # reads, without the forms
    page = await (await panel.client.get("/admin/users")).text()
    assert "clerk" in page and 'data-testid="add-user"' not in page and "您的角色只能查看" in page


async def due_of(panel: Panel, case_id: int, rule: str = "D5") -> datetime:
    async with panel.sessions() as db:
        due = await db.scalar(select(CaseDeadline.due_at).where(CaseDeadline.case_id == case_id,
                                                                CaseDeadline.rule_id == rule))  # fmt: skip
    assert due is not None
    return due.astimezone(SHANGHAI)


async def test_a_calendar_edit_moves_the_due_times(panel: Panel) -> None:
    case_id = await add_case(panel.sessions, panel.clock(), to="assigned")  # Saturday 2026-11-21
    assert await due_of(panel, case_id) == datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)  # Mon, Tue
    _, admin = await login(panel.client, "admin")
    response = await panel.client.post("/admin/calendar/days", allow_redirects=False, data={
        "csrf_token": admin, "day": "2026-11-23", "is_workday": "holiday", "note": "供暖调度日", "reason": "测试"})  # fmt: skip
    assert response.status == 302 and response.headers["Location"] == "/admin/calendar?year=2026&moved=1"
    assert await due_of(panel, case_id) == datetime(2026, 11, 25, 17, 30, tzinfo=SHANGHAI)
    page = await (await panel.client.get("/admin/calendar?year=2026&moved=1")).text()
    assert "1 个计时中的期限已按新日历重新计算" in page and "供暖调度日" in page
    undo = await panel.client.delete("/api/calendar/days/2026-11-23", json={"reason": "撤销"},
                                     headers={"X-CSRF-Token": admin})  # fmt: skip
    assert (await undo.json())["due_times_moved"] == 1
    assert await due_of(panel, case_id) == datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)
    hours = await panel.client.put("/api/calendar/business-hours", json={"opens": "09:00", "closes": "17:00"},
                                   headers={"X-CSRF-Token": admin})  # fmt: skip
    assert hours.status == 200 and await due_of(panel, case_id) == datetime(2026, 11, 24, 17, 0, tzinfo=SHANGHAI)
    wrong = await panel.client.put("/api/calendar/business-hours", json={"opens": "18:00", "closes": "08:00"},
                                   headers={"X-CSRF-Token": admin})  # fmt: skip
    assert wrong.status == 400


@pytest.mark.parametrize("user, shown", [("admin", "alert"), ("supervisor", "info"), ("manager", "info"),
                                         ("clerk", None), ("station", None), ("office_head", None)])  # fmt: skip
async def test_an_unknown_year_is_told_to_the_roles_that_can_act(panel: Panel, user: str, shown: str | None) -> None:
    """The administrator enters the holidays (an alert with a link); a supervisor or a manager
    reads it as information; clerks, stations and office heads, who cannot act on it, see nothing."""
    await login(panel.client, user)
    page = await (await panel.client.get("/cases")).text()
    if shown is None:
        assert 'data-testid="calendar-banner"' not in page and "2027年节假日未录入" not in page
        return
    banner = page[page.index('data-testid="calendar-banner"') - 80:]
    assert "2027年节假日未录入" in banner
    if shown == "alert":
        assert 'role="alert"' in banner and 'href="/admin/calendar?year=2027"' in banner
    else:
        assert "banner-info" in banner and "请系统管理员录入" in banner and "/admin/calendar?year=2027" not in banner


async def test_the_calendar_page_says_what_to_do_until_the_year_is_confirmed(panel: Panel) -> None:
    await login(panel.client, "supervisor")
    page = await (await panel.client.get("/admin/calendar?year=2027")).text()
    assert 'data-testid="year-howto"' in page and "请系统管理员按国务院办公厅的放假安排通知录入" in page
    _, admin = await login(panel.client, "admin")
    page = await (await panel.client.get("/admin/calendar?year=2027")).text()
    assert 'data-testid="year-warning"' in page and 'data-testid="confirm-year"' in page
    assert "国务院办公厅" in page and "确认 2027 年节假日已录入" in page[page.index('data-testid="year-howto"'):]
    english = await (await panel.client.get("/admin/calendar?year=2027&lang=en")).text()
    assert "State Council" in english
    data = await (await panel.client.get("/api/calendar?year=2027")).json()
    assert data["status"] == "unknown" and data["warnings"][0]["year"] == 2027
    response = await panel.client.post("/api/calendar/years/2027/confirm", json={"reason": "国办通知已录入"},
                                       headers={"X-CSRF-Token": admin})  # fmt: skip
    assert response.status == 200
    page = await (await panel.client.get("/admin/calendar?year=2027&lang=zh")).text()
    assert 'data-testid="calendar-banner"' not in page and 'data-testid="year-howto"' not in page


async def test_rules_and_extraction_tables_are_shown_to_the_manager(panel: Panel) -> None:
    await login(panel.client, "manager")
    page = await (await panel.client.get("/admin/rules")).text()
    for rule in ("D1", "D2", "D3", "D4.minor", "D5", "D6", "D7", "D8", "D9", "R1", "R2", "R3"):
        assert f"<code>{rule}</code>" in page, rule  # the rule file's ids, as the administrator writes them
    # the rule book's events and readings in Chinese, not the file's codes and English notes
    assert "下达指令" in page and "反馈到专线" in page and "按1小时计算" in page
    assert ">accepted<" not in page and "wall clock" not in page.split("rules-raw")[0]
    rules = await (await panel.client.get("/api/rules")).json()
    assert {r["id"] for r in rules["rules"]} >= {"D1", "D5", "D9"} and len(rules["reports"]) == 3
    page = await (await panel.client.get("/admin/extraction")).text()
    assert "暖气不热" in page and "湖滨花园" in page and "演示数据" in page
    data = await (await panel.client.get("/api/extraction")).json()
    assert data["gazetteer"]["demo"] is True and data["versions"] == {"keywords": 0, "gazetteer": 0}
    directory = await (await panel.client.get("/api/directory")).json()
    assert {u["code"] for u in directory["units"]} >= {"office1", "hubin", "yinhu"}
    assert "第一供热管理所" in await (await panel.client.get("/admin/directory")).text()


async def test_an_admin_is_asked_to_add_stations_while_the_directory_has_none(panel: Panel) -> None:
    from sqlalchemy import update

    from callcenter.tickets.models import Unit

    await login(panel.client, "admin")
    assert 'data-testid="directory-hint"' not in await (await panel.client.get("/cases")).text()
    async with panel.sessions() as db, db.begin():
        await db.execute(update(Unit).where(Unit.kind == "station").values(active=False))  # as a fresh serve: none
    page = await (await panel.client.get("/cases")).text()
    hint = page[page.index('data-testid="directory-hint"'):]
    assert "请先添加管理所和供热站" in hint and 'href="/admin/directory"' in hint
    assert "Add your offices and stations" in await (await panel.client.get("/cases?lang=en")).text()
    await login(panel.client, "clerk")
    assert 'data-testid="directory-hint"' not in await (await panel.client.get("/cases?lang=zh")).text()
