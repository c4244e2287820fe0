"""The live feed across processes (callcenter.live.bridge) on SQLite and PostgreSQL: what one
feed publishes comes out of another through the database, once, in order; old rows are
pruned; a busy or unreachable database never holds up ``publish``; NOTIFY beats the poll."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from callcenter.live import events as live_events
from callcenter.ami.calls import CallState, Leg
from callcenter.config import ConfigError, load_config
from callcenter.db.models import Base
from callcenter.db.session import create_engine
from callcenter.live import LiveFeed, Subscription, call_message
from callcenter.live.bridge import LiveBridge, Sides, sides
from callcenter.live.events import LiveEvent
from callcenter.metrics import ServiceMetrics, render
from callcenter.service import ROLES
from callcenter.transcribe.drafts import draft_message
from tests.conftest import _pg_admin
from tests.test_cli import free_port

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)


def ringing_state() -> CallState:
    state = CallState(linkedid="1795898248.0", started_at=1795898248.0, caller_number="13909511234",
                      caller_name="<b>Zhang</b>")  # fmt: skip
    state.legs["a"] = Leg(uniqueid="a", channel="SIP/8001-00000002", role="agent", created_at=1795898248.1,
                          extension="8001", rang_at=1795898248.2)  # fmt: skip
    return state


@asynccontextmanager
async def bridge(url: str, feed: LiveFeed, **kwargs: Any) -> AsyncIterator[LiveBridge]:
    """A started bridge (quick intervals unless given), stopped afterwards."""
    kwargs = {"batch_interval": 0.02, "poll_interval": 0.05, **kwargs}
    running = LiveBridge(url, feed, **kwargs)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def receive(sub: Subscription, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(sub.get(), timeout) for _ in range(count)]


async def rows(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(LiveEvent)) or 0)
    finally:
        await engine.dispose()


# -- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "roles", "expected"),
    [
        ("auto", ROLES, (False, False)),  # the all-in-one process
        ("auto", ("listener",), (True, False)),
        ("auto", ("web",), (False, True)),
        ("auto", ("listener", "web"), (True, True)),
        ("auto", ("transcriber",), (True, True)),  # publishes drafts, follows ended calls
        ("auto", ("timer",), (False, False)),
        ("on", ROLES, (True, True)),  # e.g. next to extra panel processes
        ("off", ("web",), (False, False)),
    ],
)
def test_which_sides_a_process_runs(mode: str, roles: tuple[str, ...], expected: tuple[bool, bool]) -> None:
    which = sides(mode, roles, ROLES)
    assert (which.outbound, which.inbound) == expected


def test_panel_worker_processes_need_the_bridge_in_the_all_in_one_process() -> None:
    assert sides("auto", ROLES, ROLES, panel_processes=3) == Sides(outbound=True, inbound=True)
    assert sides("auto", ("web",), ROLES, panel_processes=3) == Sides(outbound=False, inbound=True)
    assert sides("off", ROLES, ROLES, panel_processes=3) == Sides(outbound=False, inbound=False)


def test_payload_round_trip_is_exact() -> None:
    call = call_message("ringing", ringing_state())
    draft = draft_message(case_id=7, call_id=3, linkedid="1.0", caller_number="139", status="failed", reason="x")
    stamped = {"type": "note", "at": T0, "naive": dt.datetime(2026, 1, 1, 8, 30), "nested": {"at": [T0]}}
    for message in (call, draft, stamped):
        assert live_events.decode(live_events.encode(message)) == message
    assert live_events.decode(live_events.encode(stamped))["at"].tzinfo is not None
    with pytest.raises(TypeError):
        live_events.encode({"bad": {1, 2}})


async def test_migration_matches_the_model(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert [d for d in diff if "live_events" in repr(d)] == []


# -- through the database -----------------------------------------------------------------------


async def test_messages_cross_to_another_feed_in_order(migrated: str) -> None:
    here, there = LiveFeed(), LiveFeed()
    async with bridge(migrated, here, inbound=False), bridge(migrated, there, outbound=False) as reader:
        async with there.subscribe() as sub:
            state = ringing_state()
            here.publish_call("ringing", state)
            state.answered_by = "8001"
            here.publish_call("answered", state)
            for n in range(50):
                here.publish({"type": "draft", "n": n})
            got = await receive(sub, 52)
    assert got[0] == call_message("ringing", ringing_state())
    assert (got[1]["change"], got[1]["answered_by"]) == ("answered", "8001")
    assert [m["n"] for m in got[2:]] == list(range(50))
    assert reader.stats()["received"] == 52


async def test_own_rows_are_not_doubled_nor_sent_back(migrated: str) -> None:
    both, other = LiveFeed(), LiveFeed()
    mine = LiveBridge(migrated, both, origin="mine")
    writer = LiveBridge(migrated, other, origin="other", inbound=False)
    await mine.open()
    await writer.open()
    try:
        async with both.subscribe() as sub:
            both.publish({"type": "draft", "from": "here"})
            assert await mine.outbox.flush() == 1  # type: ignore[union-attr]
            assert await mine.inbox.poll() == 0  # type: ignore[union-attr]
            other.publish({"type": "draft", "from": "there"})
            assert await writer.outbox.flush() == 1  # type: ignore[union-attr]
            assert await mine.inbox.poll() == 1  # type: ignore[union-attr]
            assert await mine.outbox.flush() == 0  # type: ignore[union-attr]  # the relayed one stays here
            assert [m["from"] for m in await receive(sub, 2)] == ["here", "there"]
            assert sub.queue.empty()
    finally:
        await mine.stop()
        await writer.stop()
    assert await rows(migrated) == 2


async def test_an_unreadable_row_is_skipped_and_hostile_text_crosses_as_text(
    migrated: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A corrupt row (not JSON, not an object) is one log line and is skipped; the rows after it
    arrive; a hostile caller ID is carried exactly, as text (the browser shows it as text)."""
    hostile = "<script>alert(1)</script>\"'; DROP TABLE calls;--\u202e"
    there = LiveFeed()
    reader = LiveBridge(migrated, there, origin="reader", outbound=False)
    await reader.open()
    engine = create_engine(migrated)
    try:
        async with there.subscribe() as sub:
            async with engine.begin() as conn:
                await live_events.append(conn, "pbx", ["{not json", "[1, 2]",
                                                       live_events.encode({"type": "call", "caller_name": hostile})],
                                         T0)  # fmt: skip
            with caplog.at_level(logging.WARNING, logger="callcenter.live.bridge"):
                assert await reader.inbox.poll() == 1  # type: ignore[union-attr]
            [message] = await receive(sub, 1)
    finally:
        await reader.stop()
        await engine.dispose()
    assert message == {"type": "call", "caller_name": hostile}
    assert caplog.text.count("unreadable") == 2 and reader.stats()["errors"] == 2


async def test_a_new_reader_does_not_replay_old_rows(migrated: str) -> None:
    feed, theirs = LiveFeed(), LiveFeed()
    writer = LiveBridge(migrated, feed, inbound=False)
    reader = LiveBridge(migrated, theirs, outbound=False)
    await writer.open()
    try:
        for n in range(3):
            feed.publish({"n": n})
        await writer.outbox.flush()  # type: ignore[union-attr]
        await reader.open()
        feed.publish({"n": 3})
        await writer.outbox.flush()  # type: ignore[union-attr]
        async with theirs.subscribe() as sub:
            assert await reader.inbox.poll() == 1  # type: ignore[union-attr]
            assert (await sub.get())["n"] == 3
    finally:
        await writer.stop()
        await reader.stop()


async def test_rows_older_than_the_retention_are_pruned(migrated: str) -> None:
    now = [T0]
    feed = LiveFeed()
    writer = LiveBridge(migrated, feed, inbound=False, clock=lambda: now[0], retention=dt.timedelta(minutes=5))
    await writer.open()
    outbox = writer.outbox
    assert outbox is not None
    try:
        feed.publish({"n": 0})
        await outbox.flush()  # written at T0
        now[0] = T0 + dt.timedelta(minutes=4)
        feed.publish({"n": 1})
        await outbox.flush()
        assert await outbox.prune(T0 + dt.timedelta(minutes=5)) == 0  # exactly 5 minutes old: kept
        assert await outbox.prune(T0 + dt.timedelta(minutes=5, seconds=1)) == 1
        assert await rows(migrated) == 1
        assert await outbox.prune(T0 + dt.timedelta(minutes=9, seconds=1)) == 1
        assert await rows(migrated) == 0
        feed.publish({"n": 2})  # ids keep growing after the table was emptied (a reader's cursor)
        await outbox.flush()
        engine = create_engine(migrated)
        async with engine.connect() as conn:
            assert await live_events.last_id(conn) == 3
        await engine.dispose()
    finally:
        await writer.stop()


@asynccontextmanager
async def table_locked(url: str) -> AsyncIterator[None]:
    """Another connection holds the lock the writer needs (SQLite: the write lock)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    tx = pg.transaction()
    await tx.start()
    await pg.execute("LOCK TABLE live_events IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        await tx.rollback()
        await pg.close()


async def test_a_busy_database_never_holds_up_publish(migrated: str) -> None:
    here, there = LiveFeed(maxsize=100), LiveFeed()
    async with bridge(migrated, here, inbound=False, buffer=100) as writer, \
            bridge(migrated, there, outbound=False) as reader, there.subscribe() as sub:  # fmt: skip
        async with table_locked(migrated):
            started = time.monotonic()
            for n in range(3000):
                here.publish({"n": n})
                if n == 0:
                    await asyncio.sleep(0.1)  # the writer is now stuck on the lock with a batch
            assert time.monotonic() - started < 0.5
            await asyncio.sleep(0.5)
        got = []
        while not got or got[-1]["n"] != 2999:
            got.append(await asyncio.wait_for(sub.get(), 10))
        stats = writer.stats()
        assert stats["written"] + stats["lost"] == 3000 and stats["lost"] >= 2700
        assert [m["n"] for m in got] == sorted(m["n"] for m in got)  # oldest lost, order kept
        assert reader.stats()["received"] == len(got)


async def test_an_unreachable_database_is_one_log_line_per_side(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="callcenter.live.bridge")
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    feed = LiveFeed()
    started = time.monotonic()
    async with bridge(url, feed, buffer=10) as down:
        for n in range(50):
            feed.publish({"n": n})
        await asyncio.sleep(1.5)
    assert time.monotonic() - started < 8
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    for what in ("writing live_events failed", "reading live_events failed", "listening for NOTIFY failed"):
        assert sum(what in line for line in lines) == 1, lines
    stats = down.stats()
    assert stats["written"] == 0 and stats["lost"] == 50 and stats["errors"] >= 3  # 40 dropped, 10 at shutdown


async def test_metrics_show_the_counters(migrated: str) -> None:
    feed = LiveFeed()
    async with bridge(migrated, feed, inbound=False) as writer:
        feed.publish({"n": 1})
        for _ in range(100):
            if writer.stats()["written"]:
                break
            await asyncio.sleep(0.02)
        text = render(ServiceMetrics(None, bridge=writer).bridge_families())  # type: ignore[arg-type]
    assert 'callcenter_live_bridge_messages_total{kind="written"} 1' in text
    assert 'callcenter_live_bridge_messages_total{kind="lost"} 0' in text


# -- PostgreSQL: LISTEN/NOTIFY ------------------------------------------------------------------


async def wait_listening(reader: LiveBridge, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not (reader.inbox and reader.inbox.listening):
        assert time.monotonic() < deadline, "the LISTEN connection did not come up"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_notify_delivers_before_the_poll_would(migrated: str) -> None:
    here, there = LiveFeed(), LiveFeed()
    async with bridge(migrated, here, inbound=False, batch_interval=0.01), \
            bridge(migrated, there, outbound=False, poll_interval=30.0) as reader, there.subscribe() as sub:  # fmt: skip
        await wait_listening(reader)
        await asyncio.sleep(0.3)  # the catch-up poll after LISTEN is done
        for n in range(3):
            started = time.monotonic()
            here.publish({"n": n})
            assert (await receive(sub, 1, timeout=5))[0]["n"] == n
            assert time.monotonic() - started < 1.0  # the poll would take 30 s


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_connections_killed_by_the_server_come_back(migrated: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="callcenter.live.bridge")
    here, there = LiveFeed(), LiveFeed()
    async with bridge(migrated, here, inbound=False), \
            bridge(migrated, there, outbound=False, poll_interval=30.0) as reader, there.subscribe() as sub:  # fmt: skip
        await wait_listening(reader)
        here.publish({"n": 0})
        await receive(sub, 1)
        await _pg_admin(migrated, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")  # fmt: skip
        await asyncio.sleep(0.2)
        await wait_listening(reader)
        here.publish({"n": 1})
        assert (await receive(sub, 1, timeout=10))[0]["n"] == 1
    assert any("listening for NOTIFY works again" in r.getMessage() for r in caplog.records)


def test_the_setting_names_its_key_and_takes_a_toml_boolean(tmp_path: Path) -> None:
    assert load_config(env={}).live_bridge == "auto"
    assert load_config(env={"CALLCENTER_LIVE_BRIDGE": " On "}).live_bridge == "on"
    with pytest.raises(ConfigError, match="CALLCENTER_LIVE_BRIDGE: expected one of auto, on, off"):
        load_config(env={"CALLCENTER_LIVE_BRIDGE": "sometimes"})
    toml = tmp_path / "c.toml"
    toml.write_text("live_bridge = false\n")
    assert load_config(env={"CALLCENTER_CONFIG": str(toml)}).live_bridge == "off"
    toml.write_text("live_bridge = 1\n")
    with pytest.raises(ConfigError, match=r"c\.toml: live_bridge"):
        load_config(env={"CALLCENTER_CONFIG": str(toml)})
