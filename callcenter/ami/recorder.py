"""The consumer: AMI messages in order → state machine → call log, in short transactions.

One task reads the link's queue, converts each message once into a typed event, applies
it to its call and marks the call dirty; a writer task commits dirty calls in batches
(one transaction per batch, a few ms apart), then publishes the changes on the live feed.
Every failure is logged with the linkedid and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami import calls as sm
from callcenter.ami import events as ev
from callcenter.ami.listener import EventQueue
from callcenter.db import calls as store
from callcenter.db.session import whole
from callcenter.live import LiveFeed

log = logging.getLogger(__name__)

RECENTLY_ENDED = 20_000  # linkedids remembered after their end (stray late events)
BATCH_INTERVAL = 0.02
CDR_GRACE = 10.0  # seconds a gap-ended call waits for its CDR


class Recorder:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        queue: EventQueue,
        *,
        feed: LiveFeed | None = None,
        user_event: str = "CallcenterVoicemail",
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.feed = feed or LiveFeed()
        self.user_event = user_event
        self.states: dict[str, sm.CallState] = {}
        self.call_ids: dict[str, int] = {}
        self.last_seen: dict[str, float] = {}
        self.ended: OrderedDict[str, int] = OrderedDict()  # linkedid -> call row id
        self.dirty: dict[str, list[str]] = {}
        self.hangup_times: dict[str, float] = {}
        self.latencies: list[float] = []
        self.counters = {"messages": 0, "events": 0, "malformed": 0, "errors": 0, "calls_logged": 0}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._flush_lock = asyncio.Lock()
        self.pending_cdr: list[dict[str, str]] = []
        self.clock_offset = 0.0
        # In-transaction hooks: run by the writer right after a call is closed, each in a
        # savepoint (a failing hook is rolled back alone and logged; the call stays logged).
        # Each gets the batch's closed calls as (call id, caller number).
        self.tx_hooks: list[Callable[[AsyncSession, list[tuple[int, str]]], Awaitable[Any]]] = []
        # After-commit hooks: called with the call's row id in their own task, so a slow one
        # never delays the call log (e.g. voicemail drafts, which do their own transactions).
        self.hooks: list[Callable[[int], Awaitable[None]]] = []
        self._logged: asyncio.Queue[int] = asyncio.Queue()
        self.awaiting_cdr: dict[str, float] = {}  # linkedid -> monotonic deadline
        self.reconciler: Any = None  # set by the service: callcenter.ami.reconcile.Reconciler
        # Followers of the same stream (e.g. callcenter.ami.clerk_tracker): ``on_message(headers,
        # arrival)`` before parsing, ``on_call(state, time)`` after a call changed, ``await
        # on_connected(t)`` after the reconciler. Each failure is logged; the call log goes on.
        self.observers: list[Any] = []

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        await self.restore()
        self._tasks = [
            asyncio.create_task(self._consume(), name="ami-consumer"),
            asyncio.create_task(self._write_loop(), name="call-writer"),
            asyncio.create_task(self._hook_loop(), name="call-hooks"),
        ]

    async def close(self, timeout: float = 5.0) -> None:
        """Stop taking work, commit what is pending (bounded), cancel the rest."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await asyncio.wait_for(self.flush(), timeout)
        except Exception:  # noqa: BLE001
            log.exception("recorder: final flush failed; open calls are recovered at next start")

    def notify_logged(self, call_id: int) -> None:
        if self.hooks:
            self._logged.put_nowait(call_id)

    async def _hook_loop(self) -> None:
        while True:
            call_id = await self._logged.get()
            for hook in self.hooks:
                try:
                    await hook(call_id)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - the call is logged; the hook's failure is its own
                    log.exception("recorder: hook %s failed for call %s", getattr(hook, "__name__", hook), call_id)

    async def restore(self) -> None:
        """Load the snapshots of calls that were open when the service last stopped."""
        async with self.sessions() as session:
            for linkedid, (call_id, state) in (await store.load_open_states(session)).items():
                self.states[linkedid] = state
                self.call_ids[linkedid] = call_id
                self.last_seen[linkedid] = state.started_at
        if self.states:
            log.info("recorder: %d calls were open at the last stop; adopting them", len(self.states))

    # -- consuming ---------------------------------------------------------------------------
    async def _consume(self) -> None:
        while True:
            kind, payload, t = await self.queue.get()
            try:
                if kind == "message":
                    self.handle_message(payload, t)
                elif kind == "connected":
                    if self.reconciler is not None:
                        await self.flush()
                        await self.reconciler.on_connected(t)
                    for observer in self.observers:
                        await observer.on_connected(t)
                elif kind == "disconnected" and self.reconciler is not None:
                    self.reconciler.on_disconnected(payload, t)
                elif kind == "scan" and self.reconciler is not None:
                    await self.flush()
                    await self.reconciler.scan_and_recover()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the consumer survives its own errors
                self.counters["errors"] += 1
                log.exception("recorder: error on %s item; skipped", kind)

    def handle_message(self, headers: dict[str, str], arrival: float) -> None:
        self.counters["messages"] += 1
        for observer in self.observers:
            self._observe(observer.on_message, headers, arrival)
        try:
            event = ev.parse_event(headers, arrival, user_event=self.user_event)
        except ev.MalformedEvent as exc:
            self.counters["malformed"] += 1
            log.warning("AMI: malformed %s skipped: %s", headers.get("Event", "?")[:40], exc)
            return
        if event is None:
            return
        self.counters["events"] += 1
        if event.time != arrival:  # a Timestamp header: learn the PBX clock's offset
            self.clock_offset = event.time - arrival
        self.apply(event, arrival)

    def pbx_time(self, arrival: float) -> float:
        """An arrival time on the PBX's clock (the clock of the events' Timestamp headers)."""
        return arrival + self.clock_offset

    def apply(self, event: ev.Event, arrival: float | None = None) -> None:
        linkedid = sm.linkedid_of(event)
        if linkedid is None:
            if isinstance(event, ev.CdrRecord):
                self._cdr_seen(event)
            return
        state = self.states.get(linkedid)
        if state is None and linkedid in self.ended:
            if not (isinstance(event, ev.NewChannel) and event.uniqueid == linkedid):
                return  # a late event of a call already logged
            del self.ended[linkedid]  # the Linkedid came back (Asterisk restarted)
        if state is not None and state.adopted and isinstance(event, ev.NewChannel) and event.uniqueid == linkedid:
            state.started_at, state.adopted = event.time, False
        if state is None and not isinstance(event, ev.ChannelEvent):
            return
        new_state, effects = sm.apply(state, event)
        if new_state is None:
            return
        if state is None:
            new_state.adopted = not (isinstance(event, ev.NewChannel) and event.uniqueid == linkedid)
            self.states[linkedid] = new_state
        self.last_seen[linkedid] = event.time
        for observer in self.observers:
            self._observe(observer.on_call, new_state, event.time)
        if effects:
            kinds = self.dirty.setdefault(linkedid, [])
            kinds.extend(e.kind for e in effects)
            if any(e.kind == "ended" for e in effects):
                self.hangup_times[linkedid] = arrival if arrival is not None else time.time()
            self._wake.set()

    def _observe(self, method: Callable[..., None], *args: Any) -> None:
        try:
            method(*args)
        except Exception:  # noqa: BLE001 - a follower's failure is its own
            self.counters["errors"] += 1
            log.exception("recorder: observer %s failed", getattr(method, "__qualname__", method))

    def mark_dirty(self, linkedid: str, kind: str) -> None:
        self.dirty.setdefault(linkedid, []).append(kind)
        self._wake.set()

    def _cdr_seen(self, event: ev.CdrRecord) -> None:
        self.pending_cdr.append(dict(event.fields))
        linkedid = event.get("UniqueID")
        if linkedid in self.awaiting_cdr:
            self.dirty.setdefault(linkedid, []).append("ended")
        self._wake.set()

    # -- writing -----------------------------------------------------------------------------
    async def _write_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except (asyncio.TimeoutError, TimeoutError):
                self._recheck_waiting()
                if not self.dirty:
                    continue
            self._wake.clear()
            await asyncio.sleep(BATCH_INTERVAL)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                self.counters["errors"] += 1
                log.exception("recorder: batch commit failed; retrying")
                await asyncio.sleep(1.0)
                self._wake.set()

    async def flush(self) -> None:
        async with self._flush_lock:
            if not self.dirty and not self.pending_cdr:
                return
            dirty, self.dirty = self.dirty, {}
            cdr, self.pending_cdr = self.pending_cdr, []
            # whole(): a cancellation (close() stops the writer) waits for the transaction to end
            # instead of leaving the connection inside it, holding SQLite's write lock
            commit = asyncio.ensure_future(self._commit(dirty, cdr))
            try:
                await whole(commit)
            except BaseException:
                if not (commit.done() and not commit.cancelled() and commit.exception() is None):
                    for linkedid, kinds in dirty.items():  # not committed: put the work back
                        self.dirty.setdefault(linkedid, [])[:0] = kinds
                    self.pending_cdr[:0] = cdr
                    raise
                self._published(commit.result())  # committed, then cancelled: still announce it
                raise
            self._published(commit.result())

    def _published(self, published: list[tuple[str, list[str], bool]]) -> None:
        now = time.time()
        for linkedid, kinds, closed in published:
            self._after_commit(linkedid, kinds, now, closed)

    async def _commit(self, dirty: dict[str, list[str]], cdr: list[dict[str, str]]) -> list[tuple[str, list[str], bool]]:
        """One transaction for the whole batch, a handful of statements whatever its size."""
        states = {lid: self.states[lid] for lid in dirty if lid in self.states}
        async with self.sessions() as session, session.begin():
            new = [st for lid, st in states.items() if lid not in self.call_ids]
            opened = await store.open_calls(session, new)
            ids = {lid: self.call_ids.get(lid) or opened[lid] for lid in states}
            if cdr and self.reconciler is not None:
                links = {}
                for headers in cdr:  # rows of calls followed live (or just ended) belong to them
                    uid = headers.get("UniqueID", "")
                    cid = ids.get(uid) or self.call_ids.get(uid) or self.ended.get(uid)
                    if cid and cid > 0:
                        links[uid] = cid
                await self.reconciler.store_ami_cdr(session, cdr, links)
            await store.save_progress_many(session, [(ids[lid], st) for lid, st in states.items() if not st.ended])
            finishing, waiting = [], []
            finished: set[str] = set()  # closed by this transaction (a call may end meanwhile: not these)
            for lid, st in states.items():
                if st.ended:
                    rec, incomplete = sm.record(st), False
                    if (st.adopted or st.gap) and self.reconciler is not None:
                        rec, incomplete = await self.reconciler.complete_from_cdr(session, st, rec)
                    if incomplete and self._still_waiting(lid):
                        waiting.append((ids[lid], st))  # its CDR may be a moment behind
                        continue
                    self.awaiting_cdr.pop(lid, None)
                    finishing.append((ids[lid], rec, st, incomplete))
                    finished.add(lid)
            await store.save_progress_many(session, waiting)
            closed = await store.finish_many(session, finishing)
            await self._run_tx_hooks(session, [(cid, st.caller_number) for cid, _, st, _ in finishing if cid in closed])
        self.call_ids.update(ids)  # type: ignore[arg-type]
        self.counters["calls_logged"] += len(closed)
        return [(lid, dirty[lid], lid in finished) for lid in states if lid not in self.awaiting_cdr]

    async def _run_tx_hooks(self, session: AsyncSession, calls: list[tuple[int, str]]) -> None:
        if not calls:
            return
        for hook in self.tx_hooks:
            try:
                async with session.begin_nested():
                    await hook(session, calls)
            except Exception:  # noqa: BLE001 - rolled back to the savepoint; the calls are logged
                log.exception("recorder: hook %s failed for %d calls", getattr(hook, "__name__", hook), len(calls))

    def _still_waiting(self, linkedid: str) -> bool:
        """A call that ended while nobody listened waits up to CDR_GRACE for Asterisk's
        record of it (a Cdr event or a Master.csv row) before it is closed as incomplete."""
        deadline = self.awaiting_cdr.setdefault(linkedid, time.monotonic() + CDR_GRACE)
        return time.monotonic() < deadline

    def _recheck_waiting(self) -> None:
        if not self.awaiting_cdr:
            return
        for linkedid in list(self.awaiting_cdr):
            self.dirty.setdefault(linkedid, []).append("ended")
        if self.reconciler is not None and self.reconciler.cdr_csv is not None:
            self.queue.put_nowait(("scan", None, 0.0))

    def _after_commit(self, linkedid: str, kinds: list[str], now: float, closed: bool) -> None:
        state = self.states.get(linkedid)
        if state is None:
            return
        self.feed.publish_call(kinds[-1], state)
        # Only a call this commit closed is forgotten: one that ended while the commit ran (the
        # consumer goes on meanwhile) is still open in the database and is closed by the next batch.
        if closed:
            rec = sm.record(state)
            log.info(
                "call %s from %r: %s%s%s", linkedid, state.caller_number, rec["disposition"],
                f" by {rec['answered_by']}" if rec["answered_by"] else "",
                f" ({rec['abandon_stage']})" if rec["abandon_stage"] else "",
            )  # fmt: skip
            self.states.pop(linkedid, None)
            call_id = self.call_ids.pop(linkedid, None)
            if call_id is not None:
                self.notify_logged(call_id)
            self.last_seen.pop(linkedid, None)
            self.ended[linkedid] = call_id if call_id is not None else -1
            while len(self.ended) > RECENTLY_ENDED:
                self.ended.popitem(last=False)
            hung = self.hangup_times.pop(linkedid, None)
            if hung is not None:
                self.latencies.append(now - hung)
