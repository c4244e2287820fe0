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
from callcenter.db import calls as store
from tests.ami.tracedata import run_state_machine


async def store_trace(sessions: async_sessionmaker[AsyncSession], trace: Path, start: datetime) -> list[int]:
    """The trace's calls, ended and stored with their legs; their ids in the order they ended."""
    ended, _states = run_state_machine(trace, start.timestamp())
    ids = []
    async with sessions() as db, db.begin():
        for state in ended:
            call = await store.open_call(db, state)
            await db.flush()
            assert await store.finish(db, call.id, sm.record(state), state=state)
            ids.append(call.id)
    return ids
