"""The edge of the clerk board (:mod:`callcenter.ami.clerks`): follows the recorder's stream,
rebuilds the board from the PBX after every (re)connect, stores and publishes what changed.

- ``on_message`` / ``on_call`` (called by the recorder, in order, synchronously): apply one
  event; only marks extensions dirty.
- ``on_connected``: asks the PBX ``QueueStatus``, ``DeviceStateList`` and ``PJSIPShowContacts``
  (read-only actions: the AMI user needs the ``agent`` and ``reporting`` classes, see
  ``asterisk-conf/manager.conf``) and rebuilds the board from the answers plus the calls the
  recorder holds open. An action that is refused or unanswered (a PBX without PJSIP, a user
  without the class) is logged and its part is left to the events that follow.
- a writer task upserts the dirty clerks into ``clerk_states`` in one short transaction every
  ``BATCH_INTERVAL`` and then publishes ``{"type": "clerks", "clerks": [...]}`` on the live feed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami import clerk_store, clerks
from callcenter.ami.calls import CallState
from callcenter.ami.events import event_time
from callcenter.db.session import whole
from callcenter.live import LiveFeed

log = logging.getLogger(__name__)
BATCH_INTERVAL = 0.1
ACTION_TIMEOUT = 5.0
SNAPSHOT_ACTIONS = ("QueueStatus", "DeviceStateList", "PJSIPShowContacts")


def clerks_message(views: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "clerks", "clerks": views}


class ClerkTracker:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], feed: LiveFeed, *, link: Any = None,
                 recorder: Any = None, clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.sessions, self.feed, self.link, self.recorder, self.clock = sessions, feed, link, recorder, clock
        self.board = clerks.Board()
        self.dirty: set[str] = set()
        self.counters = {"events": 0, "ignored": 0, "rebuilds": 0, "snapshot_failures": 0}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self._write_loop(), name="clerk-writer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await asyncio.wait_for(self.flush(), 5.0)
        except Exception:  # noqa: BLE001
            log.exception("clerks: final write failed")

    # -- followers of the recorder's stream --------------------------------------------------
    def on_message(self, headers: dict[str, str], arrival: float) -> None:
        if headers.get("Event") not in clerks.EVENTS:
            return
        event = clerks.parse(headers, event_time(headers, arrival))
        if event is None:  # not about a phone (Queue:hotline's device state) or lacking its keys
            self.counters["ignored"] += 1
            if headers.get("Event") != "DeviceStateChange":
                log.warning("clerks: %s without a usable interface/queue skipped", headers.get("Event", "?")[:40])
            return
        self.counters["events"] += 1
        self._changed(clerks.apply(self.board, event))

    def on_call(self, state: CallState, t: float) -> None:
        if any(leg.extension for leg in state.legs.values()):
            self._changed(clerks.apply(self.board, clerks.legs_of(state, t)))

    async def on_connected(self, t: float) -> None:
        """Rebuild the board from the PBX's answers (see the module docstring)."""
        if self.link is None:
            return
        answers = {name: await self._ask(name) for name in SNAPSHOT_ACTIONS}
        members, devices, contacts = [], [], []
        for name, rows in answers.items():
            for headers in rows or ():
                event = clerks.parse(headers, t)
                if isinstance(event, clerks.Member):
                    members.append(event)
                elif isinstance(event, clerks.Device):
                    devices.append(event)
                elif isinstance(event, clerks.Contact):
                    contacts.append(event)
        open_calls = list(self.recorder.states.values()) if self.recorder is not None else []
        calls = [clerks.legs_of(state, t) for state in open_calls if not state.ended]
        old = self.board
        names = {ext: c.name for ext, c in old.clerks.items()}
        self.board = clerks.rebuild(members if answers["QueueStatus"] is not None else None, devices, contacts,
                                    calls, names=names, known=old.clerks)  # fmt: skip
        if answers["QueueStatus"] is None:  # keep what the events told about the queues
            for ext, clerk in self.board.clerks.items():
                before = old.clerks.get(ext)
                if before is not None:
                    clerk.queues, clerk.member_seen = set(before.queues), before.member_seen
                    clerk.paused, clerk.pause_reason = before.paused, before.pause_reason
                    clerk.shown = clerks.state_of(clerk)
        for ext, clerk in self.board.clerks.items():
            before = old.clerks.get(ext)
            if before is not None and before.shown == clerk.shown and clerks._headline(before) == clerks._headline(clerk):
                clerk.since = before.since
            elif clerk.since is None:
                clerk.since = t
        self.counters["rebuilds"] += 1
        self._changed(list(self.board.clerks))
        log.info("clerks: board rebuilt after connect (%d clerks, %d queue rows)", len(self.board.clerks), len(members))

    async def _ask(self, action: str) -> list[dict[str, str]] | None:
        try:
            # as_list=None: a list when the answer says "EventList: start", else the one response
            # (a refusal resolves at once instead of waiting for a list that never comes)
            response = await self.link.action({"Action": action}, timeout=ACTION_TIMEOUT, as_list=None)
        except (asyncio.TimeoutError, TimeoutError, ConnectionError) as exc:
            self.counters["snapshot_failures"] += 1
            log.warning("clerks: %s got no answer (%s); the events that follow will tell", action,
                        type(exc).__name__)  # fmt: skip
            return None
        messages = response if isinstance(response, list) else [response]
        if messages and str(messages[0].get("Response", "")).lower() == "error":
            self.counters["snapshot_failures"] += 1
            log.warning("clerks: %s refused: %s", action, messages[0].get("Message", ""))
            return None
        return [{k: (v[0] if isinstance(v, list) else v) for k, v in m.items()} for m in messages if m.get("Event")]

    # -- writing -----------------------------------------------------------------------------
    def _changed(self, extensions: list[str]) -> None:
        if extensions:
            self.dirty.update(extensions)
            self._wake.set()

    def views(self) -> list[dict[str, Any]]:
        return [clerks.view(c) for _, c in sorted(self.board.clerks.items())]

    async def flush(self) -> None:
        if not self.dirty:
            return
        dirty, self.dirty = self.dirty, set()
        views = [clerks.view(self.board.clerks[ext]) for ext in sorted(dirty) if ext in self.board.clerks]
        try:  # whole(): see Recorder.flush (an upsert, so putting it back after a commit is harmless)
            await whole(self._save(views))
        except BaseException:
            self.dirty |= dirty
            raise
        self.feed.publish(clerks_message(views))

    async def _save(self, views: list[dict[str, Any]]) -> None:
        async with self.sessions() as session, session.begin():
            await clerk_store.save(session, views, dt.datetime.now(dt.timezone.utc))

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(BATCH_INTERVAL)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - retried with the next change
                log.exception("clerks: writing the board failed; retrying")
                await asyncio.sleep(1.0)
                self._wake.set()
