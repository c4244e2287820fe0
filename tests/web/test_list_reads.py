"""SQLite's list reader (whole statements in a thread, list_reads.py) against the async engine:
the same rows, the latest commit seen by the very next read, and no wait on a writer that holds
the database's write lock."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import Call
from callcenter.web.calls import ledger
from callcenter.web.app import _sqlite_reader_pragmas
from callcenter.web.list_reads import ThreadReads
from tests.web.conftest import T0, add_call

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = ZoneInfo("Asia/Shanghai")


def thread_reads(url: str) -> ThreadReads:
    plain = create_engine(url.replace("sqlite+aiosqlite", "sqlite"), connect_args={"check_same_thread": False})
    event.listen(plain, "connect", _sqlite_reader_pragmas)
    return ThreadReads(plain)


async def test_same_page_as_the_async_engine_and_the_latest_commit(
    sessions: async_sessionmaker[AsyncSession], migrated: str
) -> None:
    ids = [await add_call(sessions, started_at=T0 + timedelta(minutes=n), caller_number=f"1390951{n:04d}")
           for n in range(7)]  # fmt: skip
    reads = thread_reads(migrated)
    try:
        filters = ledger.Filters(limit=5)
        async with reads.connect() as db:
            threaded = await ledger.fetch_page(db, filters, TZ)
        async with sessions() as db:
            direct = await ledger.fetch_page(db, filters, TZ)
        assert [r.id for r, _ in threaded.rows] == [r.id for r, _ in direct.rows] == ids[::-1][:5]
        assert [r.started_at for r, _ in threaded.rows] == [r.started_at for r, _ in direct.rows]
        assert threaded.rows[0][0].started_at.tzinfo is not None and threaded.next_cursor == direct.next_cursor
        async with sessions() as db, db.begin():
            await db.execute(update(Call).where(Call.id == ids[-1]).values(caller_number="13800000000"))
        async with reads.connect() as db:
            assert await db.scalar(select(Call.caller_number).where(Call.id == ids[-1])) == "13800000000"
            assert list(await db.scalars(select(Call.id).order_by(Call.id))) == ids
    finally:
        reads.close()


async def test_a_writer_holding_the_lock_does_not_hold_up_the_lists(
    sessions: async_sessionmaker[AsyncSession], migrated: str
) -> None:
    call_id = await add_call(sessions)
    reads = thread_reads(migrated)
    try:
        async with sessions() as db, db.begin():  # BEGIN IMMEDIATE: the write lock, held
            await db.execute(update(Call).where(Call.id == call_id).values(caller_number="13800000000"))
            started = time.monotonic()
            async with reads.connect() as reader:
                rows = await asyncio.wait_for(reader.execute(select(Call.caller_number)), 2.0)
                assert [r[0] for r in rows] != ["13800000000"]  # the last commit, not the open write
            assert time.monotonic() - started < 1.0
    finally:
        reads.close()
