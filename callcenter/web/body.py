"""The JSON body of a request to a handler not declared through :mod:`callcenter.web.endpoints`
(which parses its own): an object, or a clear 400 (no body at all reads as ``{}``).

Parsed by pydantic-core's JSON parser, as the declared endpoints are: nesting deeper than its
limit (a body nested 100,000 deep) and a lone surrogate (``"\\ud800"``, which no database can
store) are ordinary 400s, not a RecursionError or a UnicodeEncodeError later on.
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from aiohttp import web

from callcenter.web.errors import BadRequest


async def json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = pydantic_core.from_json(raw)
    except ValueError as exc:
        raise BadRequest(f"body: not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    return body
