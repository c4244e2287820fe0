"""One websocket of the panel fed by the live feed (the live page, the wallboard): accept it,
subscribe to the feed, read what the browser sends (so close frames and pongs are processed)
while ``pump`` sends, and on any ending unsubscribe, stop the reader and close the socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, web

from callcenter.web import keys

Pump = Callable[[web.Request, web.WebSocketResponse, Any, "asyncio.Task[None]"], Awaitable[None]]


async def _drain(ws: web.WebSocketResponse) -> None:
    async for _msg in ws:
        pass


async def feed_socket(request: web.Request, pump: Pump, name: str) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096)
    await ws.prepare(request)
    sockets = request.app[keys.WEBSOCKETS]
    sockets.add(ws)
    async with request.app[keys.FEED].subscribe() as sub:
        reader = asyncio.create_task(_drain(ws), name=f"{name}-reader")
        try:
            await pump(request, ws, sub, reader)
        except ConnectionResetError:  # the browser went away mid-send
            pass
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            sockets.discard(ws)
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY)
    return ws
