"""The call log's store with two writers at once (a second listener started by mistake)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from callcenter.ami.calls import CallState, record
from callcenter.db import calls as store
from callcenter.db.models import Call
from callcenter.db.session import create_engine, session_factory


async def test_a_call_opened_and_closed_by_one_writer_is_not_opened_again_by_the_other(migrated: str) -> None:
    """Writer A opens and closes a short call in one transaction while writer B, following the
    same PBX, opens it too. B must take A's row, not insert a second one: on PostgreSQL B's
    insert waited on the open-rows-only unique index and found no open row once A committed."""
    engine = create_engine(migrated)
    sessions = session_factory(engine)
    state = CallState(linkedid="1795900000.7", started_at=1795900000.0, caller_number="13909511234")
    ended = CallState(**{**state.__dict__, "ended_at": 1795900004.0})
    try:
        a = sessions()
        await a.begin()
        a_ids = await store.open_calls(a, [state])
        assert await store.finish_many(a, [(a_ids[state.linkedid], record(ended), ended, False)]) == {
            a_ids[state.linkedid]
        }

        async def writer_b() -> dict[str, int]:
            async with sessions() as b, b.begin():
                return await store.open_calls(b, [state])

        b_task = asyncio.create_task(writer_b())
        await asyncio.sleep(0.5)  # B is now waiting on A (the lock / SQLite's write lock)
        assert not b_task.done()
        await a.commit()
        await a.close()
        b_ids = await asyncio.wait_for(b_task, 30)
        assert b_ids == a_ids
        async with sessions() as s:
            rows = (await s.execute(select(Call.id, Call.status).where(Call.linkedid == state.linkedid))).all()
        assert [tuple(r) for r in rows] == [(a_ids[state.linkedid], "ended")]
    finally:
        await engine.dispose()
