"""Every ``/api`` route, as every role, with random and hostile values (Hypothesis).

For each request: never a 5xx; a 4xx wrote nothing (the database's content is the same before
and after, sessions and login counters aside); a 400 names the field (or ``body``/``query``).
Values: the declared fields of the route's models with values of the wrong type, out of range,
too long, nested 100,000 deep, with NUL and other control characters, lone surrogates, dates
of year 1 and 9999, integers past BIGINT; random JSON; ids of real and of impossible records.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from callcenter.web.endpoints import Declared
from callcenter.web.openapi import TABLES
from tests.web.conftest import CAST, Panel, login
from tests.web.test_access import ROUTES, _perm, right_user, world

UNWATCHED = {"web_sessions", "login_failures", "live_events", "alembic_version"}  # written by any request
EXAMPLES = 400

HOSTILE_TEXT = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\x07bell", "\u202eevil", "\ud800", "\udfff", "😀" * 3, "张三" * 2000, "x" * 70_000,
    "<script>alert(1)</script>", "'; DROP TABLE calls;--", "${SHELL(id)}", "../../etc/passwd", "null", "true",
    "1900-01-01", "0001-01-01", "9999-12-31", "2027-02-30", "20270101", "25:61", "-1", "0", "1e309", "NaN",
    "99999999999999999999999", "１２３",
])  # fmt: skip
HOSTILE_NUMBER = st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64, 10**30, -(10**30), 1.5, float("1e308"), True, False])
SCALAR = st.one_of(HOSTILE_TEXT, HOSTILE_NUMBER, st.none(), st.text(max_size=40), st.integers(), st.floats(allow_nan=False))
JSON = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                    max_leaves=12)  # fmt: skip
DEEP = "[" * 100_000 + "]" * 100_000  # 200 kB: under the body limit, past any recursion limit


def _encodable(text: str) -> bool:
    """A URL carries UTF-8: a lone surrogate cannot be sent in a query string at all."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fields(model: Any) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _template(resource: web.AbstractResource) -> str:
    info = resource.get_info()
    return info.get("formatter") or info.get("path") or ""


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # aiohttp's, with {name:regex}
    body_fields: tuple[str, ...]
    query_fields: tuple[str, ...]

    def url(self, values: dict[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            return values.get(match.group(1), "1")

        return re.sub(r"\{(\w+)(?::(?:[^{}]|\{[^}]*\})*)?\}", fill, self.template)


def api_routes(app: web.Application) -> list[Route]:
    declared: dict[tuple[str, str], Declared] = {}
    for table in TABLES:
        for d in table.declared:
            declared[(d.method, d.path)] = d
    routes = []
    for route in app.router.routes():
        template = _template(route.resource)
        if route.method == "HEAD" or not template.startswith("/api/"):
            continue
        d = declared.get((route.method, template))
        routes.append(Route(route.method, template, tuple(_fields(d.body if d else None)),
                            tuple(_fields(d.query if d else None))))  # fmt: skip
    return sorted(routes, key=lambda r: (r.template, r.method))


async def snapshot(panel: Panel) -> str:
    """A digest of every table's rows but the ones any request may touch (SQLite and PostgreSQL)."""
    digest = hashlib.sha256()
    async with panel.sessions() as db:
        if db.get_bind().dialect.name == "sqlite":
            names = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        else:
            names = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        for (table,) in (await db.execute(text(names))).all():
            if table in UNWATCHED:
                continue
            for row in (await db.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))).all():
                digest.update(repr((table, tuple(row))).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def requests(routes: list[Route], w: Any, panel: Panel) -> st.SearchStrategy[dict[str, Any]]:
    """A route (as its concrete example of test_access.ROUTES), mostly as a role allowed to use
    it, with a valid body that has one or two fields made hostile, or a wholly hostile one."""
    examples = {(m, t): (p, b) for m, t, p, b in ROUTES}
    path_value = st.sampled_from(["0", "99999999999999999999999", "9223372036854775808", "2027-02-30",
                                  "0001-01-01", "9999-12-31", "keywords", "1"])  # fmt: skip

    @st.composite
    def one(draw: st.DrawFn) -> dict[str, Any]:
        route = draw(st.sampled_from(routes))
        concrete, base = examples.get((route.method, route.template), (route.template, None))
        allowed = right_user(_perm(panel, route.method, route.template))
        role = draw(st.sampled_from([allowed] * 6 + sorted(CAST)))
        if draw(st.integers(0, 4)) or "{" not in route.template:
            url = w.path(concrete)
        else:
            url = route.url({k: draw(path_value) for k in re.findall(r"\{(\w+)", route.template)})
        body: Any = None
        if route.method != "GET":
            valid = w.body(base, as_json=True) or {}
            fields = sorted(set(route.body_fields) | set(valid))
            hostile = st.dictionaries(st.sampled_from(fields), st.one_of(SCALAR, JSON), min_size=1, max_size=2) \
                if fields else st.just({})  # fmt: skip
            body = draw(st.one_of(hostile.map(lambda h: {**valid, **h}), hostile.map(lambda h: {**valid, **h}),
                                  hostile.map(lambda h: {**valid, **h}), JSON, st.just(DEEP), st.just("not json"),
                                  st.just("")))  # fmt: skip
        query_keys = route.query_fields or ("anchor", "year", "limit", "from", "to", "number", "cursor")
        query = draw(st.dictionaries(st.sampled_from(query_keys), HOSTILE_TEXT.filter(_encodable), max_size=3))
        return {"route": route, "url": url, "query": query, "body": body, "role": role}

    return one()


async def send(clients: dict[str, tuple[TestClient, str]], origin: str, case: dict[str, Any]) -> tuple[int, Any]:
    client, token = clients[case["role"]]
    route: Route = case["route"]
    headers = {"X-CSRF-Token": token, "Origin": origin, "Accept": "application/json"}
    body = case["body"]
    data: Any = None
    if body is not None:
        data = body if isinstance(body, str) else json.dumps(body)
        headers["Content-Type"] = "application/json"
    query = {k: v for k, v in case["query"].items()}
    url = case["url"]
    if query:
        url = str(client.make_url(url).extend_query(query)).split(str(client.make_url("")).rstrip("/"), 1)[1]
    response = await client.request(route.method, url, data=data, headers=headers, allow_redirects=False)
    text = await response.text()
    try:
        payload = json.loads(text)
    except ValueError:
        payload = text[:200]
    return response.status, payload


async def judged(panel: Panel, clients: dict[str, tuple[TestClient, str]], case: dict[str, Any]) -> int:
    """Send one request and judge it: no 5xx; a 4xx wrote nothing; a 400 names the field."""
    before = await snapshot(panel)
    status, payload = await send(clients, panel.origin, case)
    where = f"{case['route'].method} {case['url']} {case['query']} as {case['role']}: {status} {payload!r:.300}" \
            f" body {case['body']!r:.300}"  # fmt: skip
    assert status < 500, where
    if 400 <= status < 500:
        assert await snapshot(panel) == before, f"a {status} wrote: {where}"
    if status == 400 and isinstance(payload, dict):
        assert payload.get("field") or payload.get("message", "").split(":")[0], where
    return status


async def logged_in(panel: Panel) -> dict[str, tuple[TestClient, str]]:
    clients: dict[str, tuple[TestClient, str]] = {}
    for user in CAST:
        client = TestClient(panel.client.server)
        await client.start_server()
        status, token = await login(client, user)
        assert status == 302
        clients[user] = (client, token)
    return clients


PROBES: list[Any] = ["\ud800", "a\x00b", "\x07", 10**30, -1, {"a": 1}, [1], None, True, "x" * 70_000, "9999-12-31"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_every_field_of_every_route_refuses_hostile_values(panel: Panel) -> None:
    """The systematic half: each body field of each route, as a role allowed to use it, gets each
    probe in an otherwise valid body; and each route gets a body nested 100,000 deep."""
    w = await world(panel)
    routes = api_routes(panel.app)
    examples = {(m, t): (p, b) for m, t, p, b in ROUTES}
    clients = await logged_in(panel)
    sent = 0
    try:
        for route in routes:
            if route.method == "GET" or (route.method, route.template) not in examples:
                continue
            concrete, base = examples[(route.method, route.template)]
            valid = w.body(base, as_json=True) or {}
            role = right_user(_perm(panel, route.method, route.template))
            bodies: list[Any] = [DEEP, "not json", [valid]]
            bodies += [{**valid, field: probe} for field in sorted(set(route.body_fields) | set(valid))
                       for probe in PROBES]  # fmt: skip
            for body in bodies:
                await judged(panel, clients, {"route": route, "url": w.path(concrete), "query": {}, "body": body,
                                              "role": role})  # fmt: skip
                sent += 1
    finally:
        for client, _ in clients.values():
            await client.close()
    assert sent > 300


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_hostile_values_never_make_a_server_error(panel: Panel) -> None:
    """The random half (Hypothesis): routes, roles, ids, queries and bodies drawn at random."""
    w = await world(panel)
    routes = api_routes(panel.app)
    assert len(routes) > 40
    clients = await logged_in(panel)
    loop = asyncio.get_running_loop()
    seen: dict[int, int] = {}

    def one(case: dict[str, Any]) -> None:
        status = asyncio.run_coroutine_threadsafe(judged(panel, clients, case), loop).result(120)
        seen[status] = seen.get(status, 0) + 1

    check = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))(given(case=requests(routes, w, panel))(one))  # fmt: skip
    try:
        await asyncio.to_thread(check)
    finally:
        for client, _ in clients.values():
            await client.close()
    assert seen.get(400, 0) > 20 and sum(v for k, v in seen.items() if k < 300) > 10, seen
