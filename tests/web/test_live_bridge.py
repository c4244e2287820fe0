"""/ws/live sends the same thing for a change published in the panel's own process and for one
relayed from another process through the database (callcenter.live.bridge)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from callcenter.ami.calls import CallState, Leg
from callcenter.live import LiveFeed
from callcenter.live.bridge import LiveBridge
from callcenter.transcribe.drafts import draft_message
from tests.web.conftest import Panel, add_call, login


def answered_state() -> CallState:
    state = CallState(linkedid="1795898248.0", started_at=1795898248.0, caller_number="13909511234",
                      caller_name="<b>Zhang</b>", answered_by="8001")  # fmt: skip
    state.legs["a"] = Leg(uniqueid="a", channel="SIP/8001-00000002", role="agent", created_at=1795898248.1,
                          extension="8001", rang_at=1795898248.2)  # fmt: skip
    return state


async def next_message(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return msg.json()


async def test_a_relayed_change_reaches_the_socket_like_a_local_one(panel: Panel, migrated: str) -> None:
    call_id = await add_call(panel.sessions, linkedid="1795898248.0", status="open", disposition=None,
                             state=answered_state().to_json())  # fmt: skip
    await login(panel.client, "clerk")
    listener = LiveFeed()  # the feed of a listener process elsewhere
    writer = LiveBridge(migrated, listener, inbound=False, batch_interval=0.01)
    reader = LiveBridge(migrated, panel.feed, outbound=False, poll_interval=0.05)
    await writer.start()
    await reader.start()
    draft = draft_message(case_id=None, call_id=call_id, linkedid="1795898248.0", caller_number="13909511234",
                          status="transcribing", reason=None)  # fmt: skip
    try:
        async with panel.client.ws_connect("/ws/live", headers={"Origin": panel.origin}) as ws:
            assert (await next_message(ws))["type"] == "snapshot"
            got = []
            for feed, message in ((listener, None), (panel.feed, None), (listener, draft), (panel.feed, draft)):
                if message is None:
                    feed.publish_call("answered", answered_state())
                else:
                    feed.publish(message)
                got.append(await next_message(ws))
    finally:
        await reader.stop()
        await writer.stop()
    relayed_call, local_call, relayed_draft, local_draft = got
    assert relayed_call == local_call
    assert relayed_call["call_id"] == call_id and relayed_call["answered_by_name"] == "王丽"
    assert relayed_call["started_at"].endswith("+08:00") and relayed_call["caller_name"] == "<b>Zhang</b>"
    assert relayed_draft == local_draft and relayed_draft["type"] == "draft"
