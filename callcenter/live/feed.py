"""In-process publish/subscribe of call state changes (ringing, answered, ended, ...).

The panel pushes these over a websocket. A slow subscriber loses its oldest items,
never blocks the publisher (the call log must not wait for a browser).
``callcenter.live.bridge`` carries the messages to the feeds of other processes; what it
brings in is published ``relayed=True`` and skips ``local_only`` subscriptions (its own
outbound side), so nothing is sent back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from callcenter.ami import calls as sm

log = logging.getLogger(__name__)


def call_message(kind: str, state: sm.CallState) -> dict[str, Any]:
    rec = sm.record(state)
    ringing = sm.ringing_now(state)
    return {
        "type": "call",
        "change": kind,
        "linkedid": state.linkedid,
        "caller_number": state.caller_number,
        "caller_name": state.caller_name,
        "dialed_number": state.dialed_number,
        "started_at": state.started_at,
        "answered_by": state.answered_by,
        "ringing": ringing,
        "transferred_to": list(state.transferred_to),
        "ended": state.ended,
        "stage": sm.live_stage(state),
        "disposition": rec["disposition"],
        "abandon_stage": rec["abandon_stage"],
        "voicemail": rec["voicemail"] is not None,
    }


class Subscription:
    def __init__(self, maxsize: int, *, local_only: bool = False) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.lost = 0
        self.local_only = local_only  # only messages published in this process

    def put(self, message: dict[str, Any]) -> None:
        while True:
            try:
                self.queue.put_nowait(message)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()
                self.lost += 1

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()


class LiveFeed:
    def __init__(self, maxsize: int = 1000) -> None:
        self.maxsize = maxsize
        self._subscribers: set[Subscription] = set()

    def publish(self, message: dict[str, Any], *, relayed: bool = False) -> None:
        """Hand ``message`` to every subscriber; ``relayed``: it came from another process."""
        for sub in list(self._subscribers):
            if not (relayed and sub.local_only):
                sub.put(message)

    def publish_call(self, kind: str, state: sm.CallState) -> None:
        if self._subscribers:
            self.publish(call_message(kind, state))

    @asynccontextmanager
    async def subscribe(self, *, local_only: bool = False) -> AsyncIterator[Subscription]:
        sub = Subscription(self.maxsize, local_only=local_only)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
