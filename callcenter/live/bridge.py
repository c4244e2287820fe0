"""The live feed across processes, through the shared database (SQLite file or PostgreSQL).

``serve --role ...`` can run the listener, the transcriber and the panel in different
processes; each has its own in-process :class:`~callcenter.live.LiveFeed`. The bridge joins
them through the ``live_events`` table (:mod:`callcenter.live.events`):

- **outbound** (a process that publishes: listener, transcriber): :class:`Outbox` follows
  the local feed (``local_only``: never what came from elsewhere) and writes what it gets
  every ``batch_interval`` in one short transaction. ``publish`` never waits for it: its
  queue and its retry buffer are bounded and lose their oldest messages (counted, logged)
  while the database is busy or away. It also prunes rows older than ``retention``.
- **inbound** (a process that consumes: the panel's websocket, the transcriber's draft
  follower): :class:`Inbox` starts at the newest row (no replay), reads ``id > cursor``
  every ``poll_interval`` and republishes into the local feed (``relayed=True``), skipping
  its own process's rows. On PostgreSQL a ``LISTEN`` connection wakes it at once on the
  writers' ``NOTIFY``; the poll stays as the fallback (notifications sent while that
  connection is down are lost).

The bridge has its own engine (and on SQLite a reader engine that never takes the write
lock), so it can neither take connections from the call log nor hold its lock for long.
Every failure is one log line when it starts and one when it ends; loops back off.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from callcenter.live import events
from callcenter.config import Config
from callcenter.db.session import create_engine, is_sqlite
from callcenter.live import LiveFeed, Subscription

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
PUBLISHING_ROLES = frozenset({"listener", "transcriber"})
CONSUMING_ROLES = frozenset({"web", "transcriber"})  # the transcriber follows ended voicemail calls
READ_BATCH = 500
PRUNE_EVERY = 30.0  # seconds between prunes (while rows are being written)
HEALTH_EVERY = 30.0  # seconds between checks of the LISTEN connection
DB_TIMEOUT = 5.0  # connect / statement timeout of the bridge's own connections


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Sides:
    outbound: bool
    inbound: bool


def sides(mode: str, roles: Collection[str], all_roles: Collection[str], *, panel_processes: int = 1) -> Sides:
    """Which sides a process runs. ``auto``: only when the roles are split over processes, or
    the panel runs in ``panel_processes`` > 1 processes (each has a feed of its own)."""
    alone = set(all_roles) <= set(roles) and not ("web" in roles and panel_processes > 1)
    if mode == "off" or (mode == "auto" and alone):
        return Sides(False, False)
    return Sides(outbound=bool(PUBLISHING_ROLES & set(roles)), inbound=bool(CONSUMING_ROLES & set(roles)))


class Trouble:
    """A failing step: one log line when it starts failing, one when it works again, and the
    delay before the next attempt (doubling from ``first`` up to ``longest``)."""

    def __init__(self, what: str, counters: dict[str, int], first: float = 0.25, longest: float = 10.0) -> None:
        self.what, self.counters, self.first, self.longest = what, counters, first, longest
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        self.counters["errors"] += 1
        if not self.failures:
            log.warning("live bridge: %s failed (%s: %s); retrying with backoff", self.what,
                        type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")  # fmt: skip
        self.failures += 1
        return min(self.longest, self.first * 2 ** (self.failures - 1))

    def ok(self) -> bool:
        """Note a success; True if it ended a run of failures."""
        if not self.failures:
            return False
        log.info("live bridge: %s works again after %d failed attempt(s)", self.what, self.failures)
        self.failures = 0
        return True


class Outbox:
    """This process's feed → ``live_events``."""

    def __init__(self, engine: AsyncEngine, origin: str, counters: dict[str, int], *, clock: Clock,
                 retention: dt.timedelta, buffer: int) -> None:  # fmt: skip
        self.engine, self.origin, self.counters, self.clock = engine, origin, counters, clock
        self.retention = retention
        self.pending: deque[str] = deque()  # encoded, not yet committed
        self.buffer = buffer
        self.sub: Subscription | None = None
        self.dropped = 0  # lost here (buffer full, not encodable); the subscription counts its own
        self.reported = 0  # ``lost`` as of the last log line about it
        self.dropping = False  # losing messages (logged once)
        self.next_prune = 0.0
        # Prune while rows written since the last start can still be there (leftovers included).
        self.prune_until = time.monotonic() + retention.total_seconds() + 2 * PRUNE_EVERY

    @property
    def lost(self) -> int:
        return self.dropped + (self.sub.lost if self.sub is not None else 0)

    def add(self, message: dict[str, Any]) -> None:
        try:
            self.pending.append(events.encode(message))
        except (TypeError, ValueError) as exc:
            self.dropped += 1
            self.reported += 1
            log.warning("live bridge: %s message not sent: %s", message.get("type"), exc)

    def take(self) -> None:
        """Move what the feed queued into the pending batch, keeping the newest ``buffer``."""
        assert self.sub is not None
        while not self.sub.queue.empty():
            self.add(self.sub.queue.get_nowait())
        excess = len(self.pending) - self.buffer
        if excess > 0:
            for _ in range(excess):
                self.pending.popleft()
            self.dropped += excess
        if self.lost > self.reported and not self.dropping:
            self.dropping = True
            log.warning("live bridge: the database is not keeping up; dropping the oldest messages")

    def _caught_up(self) -> None:
        if self.lost > self.reported:
            log.warning("live bridge: %d message(s) lost until the database caught up", self.lost - self.reported)
            self.reported = self.lost
        self.dropping = False

    async def flush(self) -> int:
        """Write what is pending in one transaction; how many rows."""
        self.take()
        if not self.pending:
            return 0
        batch = list(self.pending)
        async with self.engine.begin() as conn:
            await events.append(conn, self.origin, batch, self.clock())
        for _ in batch:
            self.pending.popleft()
        self.counters["written"] += len(batch)
        self._caught_up()
        self.prune_until = time.monotonic() + self.retention.total_seconds() + 2 * PRUNE_EVERY
        return len(batch)

    async def prune_if_due(self) -> None:
        now = time.monotonic()
        if self.next_prune <= now <= self.prune_until:
            await self.prune(self.clock())
            self.next_prune = now + PRUNE_EVERY

    async def prune(self, now: dt.datetime) -> int:
        """Delete rows older than ``retention``; how many."""
        async with self.engine.begin() as conn:
            return await events.prune(conn, now - self.retention)

    async def run(self, closing: asyncio.Event, batch_interval: float) -> None:
        """Forever (until ``closing``): wait for a message, let a burst gather, write, prune."""
        assert self.sub is not None
        trouble = Trouble("writing live_events", self.counters)
        while True:
            if not self.pending and not closing.is_set():
                first = await _next_message(self.sub, closing, PRUNE_EVERY)
                if first is not None:
                    self.add(first)
                    await _pause(closing, batch_interval)  # let a burst gather
            try:
                await self.flush()
                if not closing.is_set():
                    await self.prune_if_due()
                trouble.ok()
            except Exception as exc:  # the database is busy or away: keep the newest, retry
                if closing.is_set():
                    log.warning("live bridge: %d message(s) not written at shutdown (%s)", len(self.pending), exc)
                    self.dropped += len(self.pending)
                    self.pending.clear()
                    return
                await _pause(closing, trouble.failed(exc))
            if closing.is_set() and not self.pending:
                return


class Inbox:
    """``live_events`` → this process's feed (other processes' rows only)."""

    def __init__(self, engine: AsyncEngine, feed: LiveFeed, origin: str, counters: dict[str, int]) -> None:
        self.engine, self.feed, self.origin, self.counters = engine, feed, origin, counters
        self.cursor: int | None = None
        self.wake = asyncio.Event()
        self.listening = False

    async def open(self) -> None:
        """Start after the newest row: what was written before is not replayed."""
        async with self.engine.connect() as conn:
            self.cursor = await events.last_id(conn)

    async def poll(self) -> int:
        """Republish the rows written since the last poll; how many (own rows not counted)."""
        if self.cursor is None:
            await self.open()
            return 0
        received = 0
        while True:
            async with self.engine.connect() as conn:
                rows = await events.after(conn, self.cursor, READ_BATCH)
            for row_id, origin, payload in rows:
                self.cursor = row_id
                if origin != self.origin:
                    received += self._republish(row_id, payload)
            if len(rows) < READ_BATCH:
                return received

    def _republish(self, row_id: int, payload: str) -> int:
        try:
            message = events.decode(payload)
        except ValueError as exc:
            self.counters["errors"] += 1
            log.warning("live bridge: live_events row %d unreadable: %s", row_id, exc)
            return 0
        self.feed.publish(message, relayed=True)
        self.counters["received"] += 1
        return 1

    async def rewind_if_reset(self) -> None:
        """After an outage: if the table was recreated (ids below the cursor), follow it."""
        async with self.engine.connect() as conn:
            newest = await events.last_id(conn)
        if self.cursor is not None and newest < self.cursor:
            log.warning("live bridge: live_events ids went back from %d to %d; following", self.cursor, newest)
            self.cursor = newest

    async def run(self, closing: asyncio.Event, interval: float) -> None:
        """Forever (until ``closing``): poll, then wait ``interval`` or for a NOTIFY."""
        trouble = Trouble("reading live_events", self.counters)
        while not closing.is_set():
            self.wake.clear()  # before reading: a NOTIFY from here on wakes the wait below
            try:
                await self.poll()
                if trouble.ok():
                    await self.rewind_if_reset()
            except Exception as exc:
                await _pause(closing, trouble.failed(exc))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)

    async def listen(self) -> None:
        """PostgreSQL: forever, a connection that LISTENs and wakes :meth:`run` on NOTIFY."""
        trouble = Trouble("listening for NOTIFY", self.counters, first=1.0, longest=30.0)
        while True:
            try:
                await self._listen_once(trouble)
                delay = trouble.failed(ConnectionError("the LISTEN connection was closed"))
            except Exception as exc:
                delay = trouble.failed(exc)
            await asyncio.sleep(delay)

    async def _listen_once(self, trouble: Trouble) -> None:
        async with self.engine.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).driver_connection  # asyncpg.Connection
            lost = asyncio.Event()
            try:
                raw.add_termination_listener(lambda _conn: lost.set())
                await raw.add_listener(events.CHANNEL, lambda *_args: self.wake.set())
                self.listening = True
                trouble.ok()
                self.wake.set()  # read what was written while nobody listened
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), HEALTH_EVERY)
                    if not lost.is_set():  # a silently dead connection fails here
                        await asyncio.wait_for(raw.fetchval("SELECT 1"), DB_TIMEOUT)
            finally:
                self.listening = False
                await conn.invalidate()  # never back to the pool with a listener attached


async def _pause(closing: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``closing`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(closing.wait(), seconds)


async def _next_message(sub: Subscription, closing: asyncio.Event, timeout: float) -> dict[str, Any] | None:
    """The next message of ``sub``; None if ``closing`` is set or ``timeout`` passes first."""
    if not sub.queue.empty():
        return sub.queue.get_nowait()
    getter = asyncio.ensure_future(sub.get())
    closer = asyncio.ensure_future(closing.wait())
    await asyncio.wait({getter, closer}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in (getter, closer):
        task.cancel()  # no-op for the one that is done; a cancelled get leaves the message queued
    await asyncio.gather(getter, closer, return_exceptions=True)
    return getter.result() if getter.done() and not getter.cancelled() else None


class LiveBridge:
    """The two sides for one process; :meth:`start` runs them in tasks this object owns,
    :meth:`stop` writes what is pending (bounded) and reaps them."""

    def __init__(
        self, database_url: str, feed: LiveFeed, *, outbound: bool = True, inbound: bool = True,
        clock: Clock = utcnow, origin: str | None = None, batch_interval: float = 0.1,
        poll_interval: float = 0.25, retention: dt.timedelta = dt.timedelta(minutes=5), buffer: int = 1000,
    ) -> None:  # fmt: skip
        self.origin = origin or secrets.token_hex(8)
        self.feed = feed
        self.batch_interval, self.poll_interval = batch_interval, poll_interval
        self.counters = {"written": 0, "received": 0, "errors": 0}
        self.sqlite = is_sqlite(database_url)
        if self.sqlite:
            self.engine = create_engine(database_url)  # BEGIN IMMEDIATE: writes queue up, never fail half-way
            # Reads need no lock in WAL mode: a plain engine (no BEGIN IMMEDIATE) for them.
            self.reads = create_async_engine(database_url, connect_args={"timeout": DB_TIMEOUT})
        else:
            self.engine = create_engine(database_url, pool_size=3, max_overflow=2,
                                        connect_args={"timeout": DB_TIMEOUT, "command_timeout": DB_TIMEOUT})  # fmt: skip
            self.reads = self.engine
        self.outbox = Outbox(self.engine, self.origin, self.counters, clock=clock, retention=retention,
                             buffer=buffer) if outbound else None  # fmt: skip
        self.inbox = Inbox(self.reads, feed, self.origin, self.counters) if inbound else None
        self._closing = asyncio.Event()
        self._stack = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncio.Task[None] | None = None

    def stats(self) -> dict[str, int]:
        """written, received, lost (messages), errors (failed attempts), for the metrics."""
        return {**self.counters, "lost": self.outbox.lost if self.outbox else 0}

    async def open(self) -> None:
        """Follow the local feed and find the inbound cursor, without starting the loops."""
        if self.outbox is not None and self.outbox.sub is None:
            self.outbox.sub = await self._stack.enter_async_context(self.feed.subscribe(local_only=True))
        if self.inbox is not None and self.inbox.cursor is None:
            try:
                await asyncio.wait_for(self.inbox.open(), DB_TIMEOUT)
            except Exception as exc:  # the read loop tries again (and says so)
                log.debug("live bridge: live_events not readable yet: %r", exc)

    async def start(self) -> None:
        await self.open()
        if self.outbox is not None:
            self._tasks.append(asyncio.create_task(self.outbox.run(self._closing, self.batch_interval),
                                                   name="live-bridge-out"))  # fmt: skip
        if self.inbox is not None:
            self._tasks.append(asyncio.create_task(self.inbox.run(self._closing, self.poll_interval),
                                                   name="live-bridge-in"))  # fmt: skip
            if not self.sqlite:
                self._listener = asyncio.create_task(self.inbox.listen(), name="live-bridge-listen")
        log.info("live bridge: %s (process %s)", " and ".join(
            side for side, on in (("writing", self.outbox), ("reading", self.inbox)) if on), self.origin)  # fmt: skip

    async def stop(self, timeout: float = 5.0) -> None:
        """Write what is pending (up to ``timeout``), then end every task and close the engines."""
        self._closing.set()
        if self.inbox is not None:
            self.inbox.wake.set()
        if self._listener is not None:
            self._listener.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, *([self._listener] if self._listener else []), return_exceptions=True)
        self._tasks, self._listener = [], None
        await self._stack.aclose()
        await self.engine.dispose()
        if self.reads is not self.engine:
            await self.reads.dispose()


def for_process(config: Config, roles: Collection[str], feed: LiveFeed, *,
                all_roles: Collection[str]) -> LiveBridge | None:  # fmt: skip
    """The bridge this process needs (``config.live_bridge``, its roles), or None."""
    panels = config.http_workers  # the panel's processes (callcenter.web.workers)
    which = sides(config.live_bridge, roles, all_roles, panel_processes=panels)
    if not (which.outbound or which.inbound):
        return None
    return LiveBridge(config.database_url, feed, outbound=which.outbound, inbound=which.inbound)
