"""Every route: anonymous → /login or 401, wrong role → 403, no CSRF token → 403.

The table below must name every route of the app (a test checks it), so a new route
cannot be added without deciding who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select

from callcenter.tickets import directory_edit, duty
from callcenter.tickets.directory import unit_by_code
from callcenter.web.auth.session import PUBLIC
from callcenter.web.models import User
from callcenter.web.auth.roles import GRANTS, Perm, Role
from tests.web.conftest import CAST, Panel, add_call, add_case, login

KEYWORDS = '[[category]]\nname = "heat"\nkeywords = ["暖气"]\n'
GAZETTEER = '[stations]\n"湖滨" = "一所"\n'
# (method, route template, concrete path, body for unsafe requests)
ROUTES: list[tuple[str, str, str, dict[str, object] | None]] = [
    ("GET", "/login", "/login", None),
    ("GET", "/favicon.ico", "/favicon.ico", None),
    ("POST", "/login", "/login", {"username": "clerk", "password": "x"}),
    ("POST", "/logout", "/logout", {}),
    ("GET", "/", "/", None),
    ("GET", "/live", "/live", None),
    ("GET", "/ws/live", "/ws/live", None),
    ("GET", "/calls", "/calls", None),
    ("GET", "/calls/missed", "/calls/missed", None),
    ("GET", r"/calls/{call_id}", "/calls/{id}", None),
    ("POST", r"/calls/{call_id}/notes", "/calls/{id}/notes", {"version": "0", "summary": "x"}),
    ("POST", r"/calls/{call_id}/called-back", "/calls/{id}/called-back", {}),
    ("GET", r"/calls/{call_id}/audio", "/calls/{id}/audio", None),
    ("GET", "/api/me", "/api/me", None),
    ("GET", "/account/password", "/account/password", None),
    ("POST", "/account/password", "/account/password", {"old_password": "x", "new_password": "y",
                                                         "new_password_again": "y"}),
    ("POST", "/api/me/password", "/api/me/password", {"old_password": "x", "new_password": "winter-boiler-7731"}),
    ("GET", "/api/calls", "/api/calls", None),
    ("GET", "/api/calls/missed", "/api/calls/missed", None),
    ("GET", "/api/calls/totals", "/api/calls/totals?number=1390951", None),
    ("GET", "/calls/export.csv", "/calls/export.csv?name=Zhang", None),
    ("GET", "/calls/export.xlsx", "/calls/export.xlsx?number=0951", None),
    ("GET", r"/api/calls/{call_id}", "/api/calls/{id}", None),
    ("PATCH", r"/api/calls/{call_id}/notes", "/api/calls/{id}/notes", {"version": 1, "summary": "y"}),
    ("POST", r"/api/calls/{call_id}/called-back", "/api/calls/{id}/called-back", {}),
    ("GET", "/api/caller", "/api/caller?number=13909511234", None),
    ("GET", "/api/openapi.json", "/api/openapi.json", None),
    # cases
    ("GET", "/cases", "/cases", None),
    ("GET", "/cases/{case_id}", "/cases/{case}", None),
    ("POST", "/cases/{case_id}/actions/{action}", "/cases/{case}/actions/handle", {"reason": "ok"}),
    ("GET", "/calls/{call_id}/case/new", "/calls/{id}/case/new", None),
    ("POST", "/calls/{call_id}/case", "/calls/{id}/case", {"kind": "consultation", "problem": "问停暖时间"}),
    ("GET", "/api/cases", "/api/cases", None),
    ("GET", "/api/cases/{case_id}", "/api/cases/{case}", None),
    ("POST", "/api/cases/{case_id}/actions/{action}", "/api/cases/{case}/actions/feedback", {"reason": "已上门处理，暖气恢复正常"}),
    ("GET", "/api/calls/{call_id}/case", "/api/calls/{id}/case", None),
    ("POST", "/api/calls/{call_id}/case", "/api/calls/{call2}/case", {"kind": "consultation", "problem": "问停暖时间"}),
    # correcting a case
    ("POST", "/cases/{case_id}/edit", "/cases/{edit}/edit", {"version": "3", "caller_name": "王先生"}),
    ("PATCH", "/api/cases/{case_id}", "/api/cases/{edit2}", {"version": 3, "caller_name": "王先生"}),
    # voicemail drafts
    ("GET", "/drafts", "/drafts", None),
    ("GET", "/drafts/{case_id}", "/drafts/{draft}", None),
    ("POST", "/drafts/{case_id}/confirm", "/drafts/{draft}/confirm", {"kind": "repair"}),
    ("POST", "/drafts/{case_id}/discard", "/drafts/{draft4}/discard", {"reason": "silence"}),
    ("GET", "/api/drafts", "/api/drafts", None),
    ("GET", "/api/drafts/{case_id}", "/api/drafts/{draft2}", None),
    ("POST", "/api/drafts/{case_id}/confirm", "/api/drafts/{draft2}/confirm", {"kind": "repair"}),
    ("POST", "/api/drafts/{case_id}/discard", "/api/drafts/{draft3}/discard", {"reason": "silence"}),
    # supervision
    ("GET", "/supervision", "/supervision", None),
    ("GET", "/supervision/outbox", "/supervision/outbox", None),
    ("GET", "/reports", "/reports", None),
    ("GET", "/reports/{report_id}/download", "/reports/R1/download?format=csv", None),
    ("GET", "/audit", "/audit?entity=case&id={case}", None),
    ("GET", "/audit/export", "/audit/export?case={case}&format=csv", None),
    ("GET", "/api/supervision", "/api/supervision", None),
    ("GET", "/api/supervision/charts", "/api/supervision/charts", None),
    ("GET", "/api/outbox", "/api/outbox", None),
    ("GET", "/api/reports/{report_id}", "/api/reports/R3", None),
    ("GET", "/api/audit", "/api/audit", None),
    ("GET", "/api/audit/verify", "/api/audit/verify", None),
    # the wallboard and the queue reports
    ("GET", "/wallboard", "/wallboard", None),
    ("GET", "/ws/wallboard", "/ws/wallboard", None),
    ("GET", "/wallboard/reports", "/wallboard/reports", None),
    ("GET", "/wallboard/reports/export", "/wallboard/reports/export?format=csv", None),
    ("GET", "/api/wallboard", "/api/wallboard", None),
    ("GET", "/api/queue-report", "/api/queue-report?group=hour", None),
    # administration
    ("GET", "/admin", "/admin", None),
    ("GET", "/admin/users", "/admin/users", None),
    ("POST", "/admin/users", "/admin/users", {"username": "newclerk", "role": "clerk", "password": "long enough 1"}),
    ("POST", "/admin/users/{user_id}/active", "/admin/users/{user}/active", {"active": "1"}),
    ("POST", "/admin/users/{user_id}/password", "/admin/users/{user}/password", {"password": "long enough 2"}),
    ("POST", "/admin/users/{user_id}/office", "/admin/users/{head}/office", {"office_code": "office2"}),
    ("GET", "/admin/directory", "/admin/directory", None),
    ("GET", "/admin/rules", "/admin/rules", None),
    ("GET", "/admin/extraction", "/admin/extraction", None),
    ("GET", "/admin/calendar", "/admin/calendar?year=2027", None),
    ("POST", "/admin/calendar/days", "/admin/calendar/days", {"day": "2027-01-02", "is_workday": "work"}),
    ("POST", "/admin/calendar/days/{day}/delete", "/admin/calendar/days/2027-01-02/delete", {}),
    ("POST", "/admin/calendar/years/{year}/confirm", "/admin/calendar/years/2027/confirm", {}),
    ("POST", "/admin/calendar/hours", "/admin/calendar/hours", {"opens": "08:30", "closes": "17:30"}),
    ("POST", "/admin/calendar/preview", "/admin/calendar/preview", {"lines": "2027-01-04 休"}),
    ("POST", "/admin/calendar/bulk", "/admin/calendar/bulk", {"lines": "2027-01-05 休"}),
    ("GET", "/api/admin/users", "/api/admin/users", None),
    ("POST", "/api/admin/users", "/api/admin/users", {"username": "apiclerk", "role": "clerk", "password": "long enough 3"}),
    ("POST", "/api/admin/users/{user_id}/active", "/api/admin/users/{user}/active", {"active": True}),
    ("POST", "/api/admin/users/{user_id}/password", "/api/admin/users/{user}/password", {"password": "long enough 4"}),
    ("POST", "/api/admin/users/{user_id}/office", "/api/admin/users/{head}/office", {"office_code": "office1"}),
    ("GET", "/api/directory", "/api/directory", None),
    # editing the directory
    ("POST", "/admin/directory/units", "/admin/directory/units", {"code": "spare9", "kind": "department", "name_zh": "备用九"}),
    ("POST", "/admin/directory/units/{unit_id}", "/admin/directory/units/{unit}", {"name_zh": "备用一科", "phone": "1"}),
    ("POST", "/admin/directory/units/{unit_id}/active", "/admin/directory/units/{unit}/active", {"active": "0"}),
    ("POST", "/admin/directory/units/{unit_id}/delete", "/admin/directory/units/{unit}/delete", {}),
    ("POST", "/admin/directory/people", "/admin/directory/people", {"login": "p9", "name": "赵九", "role": "clerk", "unit_id": "{business}"}),
    ("POST", "/admin/directory/people/{person_id}", "/admin/directory/people/{person}", {"name": "钱一", "phone": "2"}),
    ("POST", "/admin/directory/people/{person_id}/active", "/admin/directory/people/{person}/active", {"active": "0"}),
    ("POST", "/admin/directory/people/{person_id}/delete", "/admin/directory/people/{person}/delete", {}),
    ("POST", "/api/directory/units", "/api/directory/units", {"code": "spare8", "kind": "department", "name_zh": "备用八"}),
    ("PATCH", "/api/directory/units/{unit_id}", "/api/directory/units/{unit2}", {"name_zh": "备用二科"}),
    ("DELETE", "/api/directory/units/{unit_id}", "/api/directory/units/{unit2}", {}),
    ("POST", "/api/directory/people", "/api/directory/people", {"login": "p8", "name": "赵八", "role": "clerk", "unit_id": "{business}"}),
    ("PATCH", "/api/directory/people/{person_id}", "/api/directory/people/{person2}", {"name": "钱二"}),
    ("DELETE", "/api/directory/people/{person_id}", "/api/directory/people/{person2}", {}),
    ("GET", "/api/calendar", "/api/calendar?year=2027", None),
    ("POST", "/api/calendar/days", "/api/calendar/days", {"day": "2027-01-03", "is_workday": True}),
    ("DELETE", "/api/calendar/days/{day}", "/api/calendar/days/2027-01-03", {}),
    ("POST", "/api/calendar/days/bulk", "/api/calendar/days/bulk", {"text": "2027-01-06 休", "dry_run": True}),
    ("POST", "/api/calendar/years/{year}/confirm", "/api/calendar/years/2027/confirm", {}),
    ("PUT", "/api/calendar/business-hours", "/api/calendar/business-hours", {"opens": "08:30", "closes": "17:30"}),
    ("GET", "/api/rules", "/api/rules", None),
    ("GET", "/api/extraction", "/api/extraction", None),
    # editing the extraction tables
    ("POST", "/admin/extraction/{name}", "/admin/extraction/keywords", {"version": "0", "content": KEYWORDS}),
    ("POST", "/admin/extraction/{name}/reset", "/admin/extraction/keywords/reset", {}),
    ("POST", "/admin/extraction/try", "/admin/extraction/try", {"text": "暖气不热"}),
    ("GET", "/api/admin/extraction/{name}", "/api/admin/extraction/gazetteer", None),
    ("PUT", "/api/admin/extraction/{name}", "/api/admin/extraction/gazetteer", {"version": 0, "content": GAZETTEER}),
    ("DELETE", "/api/admin/extraction/{name}", "/api/admin/extraction/gazetteer", {}),
    ("POST", "/api/admin/extraction/try", "/api/admin/extraction/try", {"text": "暖气不热"}),
    # a case's linked calls
    ("POST", "/cases/{case_id}/calls/{call_id}/unlink", "/cases/{linked}/calls/{rcall}/unlink", {}),
    ("POST", "/api/cases/{case_id}/calls/{call_id}/unlink", "/api/cases/{linked}/calls/{rcall2}/unlink", {}),
    ("POST", "/api/cases/{case_id}/calls/{call_id}/move", "/api/cases/{linked}/calls/{rcall3}/move", {"to_case": "{linked2}"}),
    # the notification inbox and the duty rota
    ("GET", "/notices", "/notices", None),
    ("POST", "/notices/read", "/notices/read", {"all": "1"}),
    ("GET", "/notices/duty", "/notices/duty", None),
    ("POST", "/notices/duty", "/notices/duty", {"username": "clerk", "starts_at": "2026-11-22T08:00", "ends_at": "2026-11-22T20:00"}),
    ("POST", "/notices/duty/{shift_id}/delete", "/notices/duty/{shift}/delete", {}),
    ("GET", "/api/notices", "/api/notices", None),
    ("POST", "/api/notices/read", "/api/notices/read", {"all": True}),
    ("GET", "/api/duty", "/api/duty", None),
    ("POST", "/api/duty", "/api/duty", {"username": "clerk", "starts_at": "2026-11-22T08:00:00+08:00",
                                        "ends_at": "2026-11-22T20:00:00+08:00"}),
    ("DELETE", "/api/duty/{shift_id}", "/api/duty/{shift2}", {}),
]  # fmt: skip
UNSAFE = [r for r in ROUTES if r[0] != "GET"]
CHANGES_OWN_PASSWORD = {("POST", "/account/password"), ("POST", "/api/me/password")}
ID_FIELDS = {"unit_id", "parent_id", "station_id", "responsible_person_id", "person_id", "to_case"}
# Added by callcenter/web/ops.py where the app registers it: public by design (their own guards).
OPS_ROUTES = {("GET", "/healthz"), ("GET", "/metrics")}
VM = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"


@dataclass
class World:
    ids: dict[str, int]

    def path(self, template: str) -> str:
        return template.format(**self.ids)

    def body(self, body: dict[str, object] | None, *, as_json: bool = False) -> dict[str, object] | None:
        """The body with ids filled in (``"{business}"`` → the unit's id: a number in JSON, text in a form)."""
        if body is None:
            return None
        filled = {k: self.path(v) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
        if as_json:
            return {k: int(v) if isinstance(v, str) and k in ID_FIELDS and v.isdigit() else v for k, v in filled.items()}
        return filled


async def world(panel: Panel) -> World:
    now = panel.clock()
    call = await add_call(panel.sessions, disposition="voicemail", answered_by=None, voicemail_path=VM)
    ids = {"id": call, "case": await add_case(panel.sessions, now, to="assigned")}
    ids["call2"] = await add_call(panel.sessions, caller_number="13900000099")  # a call opens one case: one per route
    ids["edit"] = await add_case(panel.sessions, now, to="assigned")  # version 3: create, accept, assign
    ids["edit2"] = await add_case(panel.sessions, now, to="assigned")
    for key in ("draft", "draft2", "draft3", "draft4"):
        ids[key] = await add_case(panel.sessions, now, to="draft")
    ids["linked"] = await add_case(panel.sessions, now, to="assigned", phone="13900000077")
    ids["linked2"] = await add_case(panel.sessions, now, to="assigned", phone="13900000078")
    for key in ("rcall", "rcall2", "rcall3"):
        ids[key] = await add_call(panel.sessions, caller_number="13900000077", started_at=now + timedelta(hours=len(ids)))
    async with panel.sessions() as db, db.begin():
        from callcenter.tickets.cases import link_call_in

        for key in ("rcall", "rcall2", "rcall3"):
            await link_call_in(db, ids["linked"], ids[key], actor="system", now=now, reason="repeat")
        ids["user"] = await db.scalar(select(User.id).where(User.username == "other_clerk")) or 0
        ids["head"] = await db.scalar(select(User.id).where(User.username == "office_head")) or 0
        ids["business"] = (await unit_by_code(db, "business")).id  # type: ignore[union-attr]
        for n in (1, 2):  # a unit and a person nothing refers to: they may be edited and deleted
            unit = await directory_edit.add_unit(db, {"code": f"spare{n}", "kind": "department",
                                                      "name_zh": f"备用{n}"}, actor="admin", now=now)  # fmt: skip
            person = await directory_edit.add_person(db, {"login": f"spare-{n}", "name": f"钱{n}", "role": "clerk",
                                                          "unit_id": ids["business"]}, actor="admin", now=now)  # fmt: skip
            ids[f"unit{'' if n == 1 else n}"], ids[f"person{'' if n == 1 else n}"] = unit.id, person.id
            shift = await duty.add_shift(db, "clerk", now, now + timedelta(hours=8), actor="admin", now=now)
            ids[f"shift{'' if n == 1 else n}"] = shift.id
    return World(ids)


def _template(resource: web.AbstractResource) -> str:
    info = resource.get_info()
    return info.get("formatter") or info.get("path") or ""


def _perm(panel: Panel, method: str, template: str) -> object:
    for route in panel.app.router.routes():
        if route.method == method and _template(route.resource) == template:
            return getattr(route.handler, "permission", None)
    raise AssertionError(f"no route {method} {template}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_table_names_every_route(panel: Panel) -> None:
    in_app = {
        (route.method, _template(route.resource))
        for route in panel.app.router.routes()
        if route.method != "HEAD" and not isinstance(route.resource, web.StaticResource)
    }
    assert in_app - OPS_ROUTES == {(m, t) for m, t, _, _ in ROUTES}
    for method, template in in_app & OPS_ROUTES:
        assert _perm(panel, method, template) == PUBLIC, template
    for method, template, _, _ in ROUTES:
        assert _perm(panel, method, template) is not None, f"{method} {template} has no permission"


async def _send(panel: Panel, method: str, path: str, body: dict[str, object] | None, **kw: object) -> int:
    if path.startswith("/api/") and body is not None:
        response = await panel.client.request(method, path, json=body, allow_redirects=False, **kw)
    else:
        response = await panel.client.request(method, path, data=body, allow_redirects=False, **kw)
    if response.status in (301, 302, 303):
        return 302 if response.headers["Location"].startswith("/login") else 399
    return response.status


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_anonymous(panel: Panel) -> None:
    w = await world(panel)
    for method, template, path, body in ROUTES:
        perm = _perm(panel, method, template)
        status = await _send(panel, method, w.path(path), w.body(body, as_json=path.startswith("/api/")))
        if perm == PUBLIC:
            assert status not in (302, 401), (method, path, status)
        elif path.startswith(("/api/", "/ws/")):
            assert status == 401, (method, path, status)
        else:
            assert status == 302, (method, path, status)


def lacking(perm: Perm) -> list[str]:
    """The cast members whose role lacks ``perm``."""
    return [u for u, (role, *_) in CAST.items() if Role(role) not in GRANTS[perm]]


def test_every_permission_is_refused_to_someone_or_open_to_all() -> None:
    assert lacking(Perm.CALLS_VIEW) == ["station"]
    assert lacking(Perm.CALL_VIEW) == []  # a station: the calls of its own cases (test_form_traps)
    assert set(lacking(Perm.ADMIN_EDIT)) == set(CAST) - {"admin"}
    assert lacking(Perm.CASES_ACT) == ["admin"] and lacking(Perm.CASES_VIEW) == []
    assert set(lacking(Perm.CASES_EDIT)) == {"station", "manager", "admin"}
    assert set(lacking(Perm.SUPERVISE)) == {"clerk", "other_clerk", "station"}
    assert set(lacking(Perm.CASES_CREATE)) == {"station", "admin"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_wrong_role_is_403(panel: Panel) -> None:
    w = await world(panel)
    checked = expected = 0
    for user in CAST:
        _, token = await login(panel.client, user)
        for method, template, path, body in ROUTES:
            perm = _perm(panel, method, template)
            if perm == PUBLIC or user not in lacking(Perm(str(perm))):
                continue
            expected += 1
            status = await _send(panel, method, w.path(path), w.body(body, as_json=path.startswith("/api/")), headers={"X-CSRF-Token": token})
            assert status == 403, (user, method, path, status)
            checked += 1
    assert checked == expected > 150


def right_user(perm: object) -> str:
    for user in ("clerk", "supervisor", "admin", "station"):
        if perm == PUBLIC or Role(CAST[user][0]) in GRANTS[Perm(str(perm))]:
            return user
    raise AssertionError(perm)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_unsafe_without_csrf_is_403(panel: Panel) -> None:
    w = await world(panel)
    for method, template, path, body in UNSAFE:
        if template in ("/login",):
            continue  # tests/web/test_auth.py: the login form's own token
        assert (await login(panel.client, right_user(_perm(panel, method, template))))[0] == 302
        assert await _send(panel, method, w.path(path), w.body(body, as_json=path.startswith("/api/"))) == 403, (method, path)
        wrong = {"X-CSRF-Token": "not-the-token"}
        assert await _send(panel, method, w.path(path), w.body(body, as_json=path.startswith("/api/")), headers=wrong) == 403, (method, path)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_unsafe_from_another_origin_is_403(panel: Panel) -> None:
    w = await world(panel)
    _, token = await login(panel.client, "admin")
    headers = {"X-CSRF-Token": token, "Origin": "http://evil.example"}
    for method, _, path, body in UNSAFE:
        assert await _send(panel, method, w.path(path), w.body(body, as_json=path.startswith("/api/")), headers=headers) == 403, path
    # The same request from our own origin goes through.
    _, token = await login(panel.client, "clerk")
    ok = {"X-CSRF-Token": token, "Origin": panel.origin}
    assert await _send(panel, "POST", f"/api/calls/{w.ids['id']}/called-back", {}, headers=ok) == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_right_role_gets_through(panel: Panel) -> None:
    w = await world(panel)
    current = ""
    token = ""
    for method, template, path, body in ROUTES:
        if path in ("/login", "/logout", "/ws/live", "/ws/wallboard") or (method, path) in CHANGES_OWN_PASSWORD:
            continue  # sockets: test_live, test_wallboard; changing one's password: test_login_limits
        user = right_user(_perm(panel, method, template))
        if user != current:
            _, token = await login(panel.client, user)
            current = user
        status = await _send(panel, method, w.path(path), w.body(body, as_json=path.startswith("/api/")), headers={"X-CSRF-Token": token})
        assert status in (200, 201, 399), (user, method, path, status)
