"""The OpenAPI document is valid and describes exactly the app's /api routes."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from callcenter.web.openapi import document
from tests.web.conftest import Panel, login


def test_document_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(document())  # raises on any error


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_api_route_is_described(panel: Panel) -> None:
    described = {(method.upper(), path) for path, item in document()["paths"].items() for method in item}
    in_app = set()
    for route in panel.app.router.routes():
        if route.method == "HEAD" or isinstance(route.resource, web.StaticResource):
            continue
        info = route.resource.get_info()
        path = re.sub(r":[^}]+}", "}", info.get("formatter") or info.get("path") or "")
        if path.startswith("/api/"):
            in_app.add((route.method, path))
    assert in_app == described
    await login(panel.client, "station")  # any logged-in user may read it
    response = await panel.client.get("/api/openapi.json")
    assert response.status == 200 and (await response.json())["openapi"].startswith("3.")
