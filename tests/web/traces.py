"""Recorded AMI traces (/work/shared/ami-traces) as stored calls, legs and all (test helper).

The trace's messages drive the real state machine (:mod:`callcenter.ami.calls`) and the real
store (:mod:`callcenter.db.calls`), as the service does; the recorded offsets are placed at
``start`` so the calls fall on a known day.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami import calls as sm
from callcenter.ami import events as ev
from callcenter.db import calls as store
from tests.ami.tracedata import messages


async def store_trace(sessions: async_sessionmaker[AsyncSession], trace: Path, start: datetime) -> list[int]:
    """The trace's calls, ended and stored with their legs; their ids in the order they ended."""
    states: dict[str, sm.CallState] = {}
    ended: list[sm.CallState] = []
    for t, headers in messages(trace):
        event = ev.parse_event(headers, start.timestamp() + t)
        linkedid = sm.linkedid_of(event) if event else None
        if event is None or linkedid is None:
            continue
        state = states.get(linkedid)
        if sm.starts_new_call(state, event):
            state = None
        state, effects = sm.apply(state, event)
        if state is not None:
            states[linkedid] = state
        ended += [e.call for e in effects if e.kind == "ended"]
    ids = []
    async with sessions() as db, db.begin():
        for state in ended:
            call = await store.open_call(db, state)
            await db.flush()
            assert await store.finish(db, call.id, sm.record(state), state=state)
            ids.append(call.id)
    return ids
