"""The websocket /ws/live: snapshot, changes from LiveFeed, Origin check, revoked sessions."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from callcenter.ami.calls import CallState, Leg
from tests.web.conftest import Panel, add_call, login

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def ringing_state() -> CallState:
    state = CallState(linkedid="1795898248.0", started_at=1795898248.0, caller_number="13909511234",
                      caller_name="<b>Zhang</b>")  # fmt: skip
    state.legs["a"] = Leg(uniqueid="a", channel="SIP/8001-00000002", role="agent", created_at=1795898248.1,
                          extension="8001", rang_at=1795898248.2)  # fmt: skip
    return state


async def _next(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return msg.json()


async def test_snapshot_then_changes(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, linkedid="1795898248.0", status="open", disposition=None,
                             state=ringing_state().to_json())  # fmt: skip
    await login(panel.client, "clerk")
    async with panel.client.ws_connect("/ws/live", headers={"Origin": panel.origin}) as ws:
        first = await _next(ws)
        assert first["type"] == "snapshot"
        [call] = first["calls"]
        assert call["call_id"] == call_id and call["ringing"] == ["8001"] and call["ringing_names"] == ["王丽"]
        assert call["started_at"].endswith("+08:00")
        state = ringing_state()
        state.answered_by = "8001"
        panel.feed.publish_call("answered", state)
        change = await _next(ws)
        assert (change["type"], change["change"], change["answered_by_name"]) == ("call", "answered", "王丽")
        assert change["call_id"] == call_id and change["caller_name"] == "<b>Zhang</b>"


async def test_cross_origin_websocket_is_refused(panel: Panel) -> None:
    await login(panel.client, "clerk")
    for headers in ({"Origin": "http://evil.example"}, {}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await panel.client.ws_connect("/ws/live", headers=headers)
        assert info.value.status == 403


async def test_logout_closes_the_socket(panel: Panel) -> None:
    _, token = await login(panel.client, "clerk")
    async with panel.client.ws_connect("/ws/live", headers={"Origin": panel.origin}) as ws:
        assert (await _next(ws))["type"] == "snapshot"
        await panel.client.post("/logout", data={"csrf_token": token})
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4401


async def test_slow_client_gets_a_fresh_snapshot(panel: Panel) -> None:
    await login(panel.client, "clerk")
    panel.feed.maxsize = 2
    async with panel.client.ws_connect("/ws/live", headers={"Origin": panel.origin}) as ws:
        assert (await _next(ws))["type"] == "snapshot"
        await asyncio.sleep(0.05)
        for _ in range(5):  # published faster than the socket is served
            panel.feed.publish_call("ringing", ringing_state())
        kinds = [(await _next(ws))["type"] for _ in range(2)]
        assert "snapshot" in kinds


async def test_server_shutdown_closes_sockets(panel: Panel) -> None:
    await login(panel.client, "clerk")
    ws = await panel.client.ws_connect("/ws/live", headers={"Origin": panel.origin})
    assert (await _next(ws))["type"] == "snapshot"
    await panel.client.close()
    assert ws.closed or (await asyncio.wait_for(ws.receive(), 5)).type in (
        aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
