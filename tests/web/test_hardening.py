"""The hardening issue's recipes, one by one: each was a 500 or a loosely typed write on
``c1a4b3f`` and is now a 4xx that names the field and writes nothing (the fuzz test,
``test_fuzz.py``, covers the same ground at random)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Panel, login
from tests.web.test_access import world
from tests.web.test_fuzz import snapshot

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
HUGE = "99999999999999999999999"


async def call(panel: Panel, user: str, method: str, path: str, body: Any = None, raw: str | None = None
               ) -> tuple[int, dict[str, Any]]:  # fmt: skip
    _, token = await login(panel.client, user)
    headers = {"X-CSRF-Token": token, "Origin": panel.origin, "Content-Type": "application/json"}
    before = await snapshot(panel)
    if raw is not None:
        response = await panel.client.request(method, path, data=raw, headers=headers)
    else:
        response = await panel.client.request(method, path, json=body, headers=headers)
    data = await response.json()
    assert response.status < 500, (path, data)
    if response.status >= 400:
        assert await snapshot(panel) == before, f"{method} {path} wrote on a {response.status}"
    return response.status, data


async def test_ids_past_bigint_are_not_found(panel: Panel) -> None:
    for user, method, path in [("clerk", "GET", f"/api/calls/{HUGE}"), ("clerk", "GET", f"/api/cases/{HUGE}"),
                               ("clerk", "POST", f"/api/calls/{HUGE}/case"),
                               ("admin", "POST", f"/api/admin/users/{HUGE}/active")]:  # fmt: skip
        status, data = await call(panel, user, method, path, {"active": True} if "active" in path else {})
        assert status == 404 and data["error"] == "not_found", (path, data)


async def test_report_anchors_out_of_range_are_400(panel: Panel) -> None:
    for path in ("/api/reports/R1?anchor=9999-12-31", "/api/reports/R2?anchor=0001-01-01"):
        status, data = await call(panel, "supervisor", "GET", path)
        assert status == 400 and data["field"] == "anchor", data


async def test_a_body_nested_100000_deep_and_a_lone_surrogate_are_400(panel: Panel) -> None:
    w = await world(panel)
    deep = '{"summary":' * 100_000 + '"x"' + "}" * 100_000
    for raw in ("[" * 100_000 + "]" * 100_000, deep[:200_000]):
        status, _ = await call(panel, "clerk", "PATCH", f"/api/calls/{w.ids['id']}/notes", raw=raw)
        assert status in (400, 413)
    status, data = await call(panel, "clerk", "PATCH", f"/api/calls/{w.ids['id']}/notes",
                              raw='{"version": 0, "caller_name": "\\ud800"}')  # fmt: skip
    assert status == 400


@pytest.mark.parametrize("path_key, body, field", [
    ("notes", {"version": 0, "caller_name": "a\x00b"}, "caller_name"),
    ("notes", {"version": 0, "summary": 12345}, "summary"),
    ("edit", {"version": 3, "problem": {"a": 1}}, "problem"),
    ("edit", {"version": 3, "caller_name": 12345}, "caller_name"),
    ("edit", {"version": 3, "caller_name": "a\x00b"}, "caller_name"),
])  # fmt: skip
async def test_loose_types_are_refused_by_field(panel: Panel, path_key: str, body: dict[str, Any], field: str) -> None:
    w = await world(panel)
    path = f"/api/calls/{w.ids['id']}/notes" if path_key == "notes" else f"/api/cases/{w.ids['edit']}"
    status, data = await call(panel, "clerk", "PATCH", path, body)
    assert status == 400 and data["field"] == field, data


async def test_admin_inputs_are_typed(panel: Panel) -> None:
    await world(panel)
    status, data = await call(panel, "admin", "POST", "/api/admin/users",
                              {"username": "typed", "role": "clerk", "password": 12345678})  # fmt: skip
    assert status == 400 and data["field"] == "password"
    for day in ("1900-01-01", "9999-12-31", 20270101):
        status, data = await call(panel, "admin", "POST", "/api/calendar/days", {"day": day, "is_workday": False})
        assert status == 400 and data["field"] == "day", (day, data)
    status, data = await call(panel, "admin", "POST", "/api/calendar/days",
                              {"day": "2027-01-03", "is_workday": True, "note": "bell\x07"})  # fmt: skip
    assert status == 400 and data["field"] == "note"
