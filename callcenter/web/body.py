"""The JSON body of an API request: an object, or a clear 400 (no body at all reads as ``{}``)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from callcenter.web.errors import BadRequest


async def json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("body: expected a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    return body
