"""Every route: anonymous → /login or 401, wrong role → 403, no CSRF token → 403.

The table below must name every route of the app (a test checks it), so a new route
cannot be added without deciding who may use it.
"""

from __future__ import annotations

import pytest
from aiohttp import web

from callcenter.web.auth import PUBLIC
from callcenter.web.roles import GRANTS, Perm, Role
from tests.web.conftest import Panel, add_call, login

# (method, route template, concrete path, body for unsafe requests)
ROUTES: list[tuple[str, str, str, dict[str, str] | None]] = [
    ("GET", "/login", "/login", None),
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
    ("GET", "/api/calls", "/api/calls", None),
    ("GET", "/api/calls/missed", "/api/calls/missed", None),
    ("GET", r"/api/calls/{call_id}", "/api/calls/{id}", None),
    ("PATCH", r"/api/calls/{call_id}/notes", "/api/calls/{id}/notes", {"version": "1", "summary": "y"}),
    ("POST", r"/api/calls/{call_id}/called-back", "/api/calls/{id}/called-back", {}),
    ("GET", "/api/caller", "/api/caller?number=13909511234", None),
    ("GET", "/api/openapi.json", "/api/openapi.json", None),
]
UNSAFE = [r for r in ROUTES if r[0] != "GET"]


def _template(resource: web.AbstractResource) -> str:
    info = resource.get_info()
    return info.get("formatter") or info.get("path") or ""


def _perm(panel: Panel, method: str, template: str) -> object:
    for route in panel.app.router.routes():
        if route.method == method and _template(route.resource).replace(r":\d+", "") == template:
            return getattr(route.handler, "permission", None)
    raise AssertionError(f"no route {method} {template}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_table_names_every_route(panel: Panel) -> None:
    in_app = {
        (route.method, _template(route.resource).replace(r":\d+", ""))
        for route in panel.app.router.routes()
        if route.method != "HEAD" and not isinstance(route.resource, web.StaticResource)
    }
    assert in_app == {(m, t) for m, t, _, _ in ROUTES}
    for method, template, _, _ in ROUTES:
        assert _perm(panel, method, template) is not None, f"{method} {template} has no permission"


async def _send(panel: Panel, method: str, path: str, body: dict[str, str] | None, **kw: object) -> int:
    if path.startswith("/api/") and body is not None:
        response = await panel.client.request(method, path, json=body, allow_redirects=False, **kw)
    else:
        response = await panel.client.request(method, path, data=body, allow_redirects=False, **kw)
    if response.status in (301, 302, 303):
        return 302 if response.headers["Location"].startswith("/login") else 399
    return response.status


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_anonymous(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, disposition="voicemail",
                             voicemail_path="/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000")
    for method, template, path, body in ROUTES:
        perm = _perm(panel, method, template)
        status = await _send(panel, method, path.format(id=call_id), body)
        if perm == PUBLIC:
            assert status not in (302, 401), (method, path, status)
        elif path.startswith(("/api/", "/ws/")):
            assert status == 401, (method, path, status)
        else:
            assert status == 302, (method, path, status)


# The cast member lacking each permission (None: every role has it).
WRONG_ROLE = {Perm.CALLS_VIEW: ("station",), Perm.CALLS_EDIT: ("station", "manager", "office_head", "admin"),
              Perm.LOGGED_IN: (), Perm.CASES_VIEW: ()}  # fmt: skip


def test_wrong_role_table_matches_grants() -> None:
    from tests.web.conftest import CAST

    for perm, users in WRONG_ROLE.items():
        assert {u for u, (role, *_) in CAST.items() if Role(role) not in GRANTS[perm]} == set(users)


def _right_role(perm: object) -> str:
    return "clerk" if perm != PUBLIC and Role.CLERK in GRANTS[Perm(perm)] else "station"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_wrong_role_is_403(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, disposition="abandoned", answered_by=None)
    checked = 0
    for user in ("station", "manager"):
        _, token = await login(panel.client, user)
        for method, template, path, body in ROUTES:
            perm = _perm(panel, method, template)
            if perm == PUBLIC or user not in WRONG_ROLE[Perm(perm)]:  # type: ignore[arg-type]
                continue
            status = await _send(panel, method, path.format(id=call_id), body, headers={"X-CSRF-Token": token})
            assert status == 403, (user, method, path, status)
            checked += 1
    assert checked == 14 + 4  # station: every calls route; manager: the 4 edits


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_unsafe_without_csrf_is_403(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, disposition="abandoned", answered_by=None)
    for method, template, path, body in UNSAFE:
        if template in ("/login",):
            continue  # tests/web/test_auth.py: the login form's own token
        assert (await login(panel.client, _right_role(_perm(panel, method, template))))[0] == 302
        assert await _send(panel, method, path.format(id=call_id), body) == 403, (method, path)
        wrong = {"X-CSRF-Token": "not-the-token"}
        assert await _send(panel, method, path.format(id=call_id), body, headers=wrong) == 403, (method, path)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_unsafe_from_another_origin_is_403(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, disposition="abandoned", answered_by=None)
    _, token = await login(panel.client, "clerk")
    headers = {"X-CSRF-Token": token, "Origin": "http://evil.example"}
    for method, _, path, body in UNSAFE:
        assert await _send(panel, method, path.format(id=call_id), body, headers=headers) == 403, path
    # The same request from our own origin goes through.
    ok = {"X-CSRF-Token": token, "Origin": panel.origin}
    assert await _send(panel, "POST", f"/api/calls/{call_id}/called-back", {}, headers=ok) == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_right_role_gets_through(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, disposition="voicemail", answered_by=None,
                             voicemail_path="/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000")
    _, token = await login(panel.client, "clerk")
    for method, _t, path, body in ROUTES:
        if path in ("/login", "/logout", "/ws/live"):
            continue
        status = await _send(panel, method, path.format(id=call_id), body, headers={"X-CSRF-Token": token})
        assert status in (200, 399), (method, path, status)
