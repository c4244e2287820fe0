"""The in-process live feed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from callcenter.ami.replay import ReplayServer
from callcenter.live import LiveFeed
from callcenter.service import CallLogService
from tests.ami.harness import service_config, settle


async def test_feed_announces_ringing_answered_ended(migrated: str, traces: Path) -> None:
    feed = LiveFeed()
    async with feed.subscribe() as sub, ReplayServer([traces / "answered_caller_hangs_up"], speed=20) as pbx:
        service = CallLogService(service_config(migrated, pbx.port), feed=feed)
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 30)
            await settle(service, migrated, 1)
        finally:
            await service.stop()
        changes = []
        while not sub.queue.empty():
            message = await sub.get()
            if message.get("type") == "call":  # (the feed also carries the clerks' phone states)
                changes.append(message)
    kinds = [m["change"] for m in changes]
    assert kinds[0] in ("started", "ringing") and kinds[-1] == "ended"
    assert "answered" in kinds or any(m["answered_by"] == "8001" for m in changes)
    assert changes[-1]["answered_by"] == "8001" and changes[-1]["disposition"] == "answered"
    assert {m["linkedid"] for m in changes} == {"1795898248.0"}


async def test_slow_subscriber_loses_oldest_never_blocks() -> None:
    feed = LiveFeed(maxsize=3)
    async with feed.subscribe() as sub:
        for i in range(10):
            feed.publish({"n": i})
        assert [(await sub.get())["n"] for _ in range(3)] == [7, 8, 9]
        assert sub.lost == 7
    assert feed.subscribers == 0
