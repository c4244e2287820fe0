"""The job queue on SQLite and PostgreSQL: claims are exclusive, leases lapse, settling
needs the claim, retries back off, the operator re-queues."""

from __future__ import annotations

import asyncio
import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from callcenter.db.models import Base
from callcenter.db.session import create_engine
from callcenter.transcribe import jobs
from callcenter.transcribe.drafts import create_draft
from callcenter.transcribe.models import TranscriptionJob
from tests.transcribe.vm_support import ASTERISK_INBOX, T0, Sessions, add_call, database

LEASE = dt.timedelta(seconds=60)


async def queued_jobs(sessions: Sessions, count: int) -> None:
    for n in range(count):
        call = await add_call(sessions, f"{ASTERISK_INBOX}/msg{n:04d}")
        assert await create_draft(sessions, call.id, now=T0) is not None


async def claim(sessions: Sessions, name: str, now: dt.datetime, limit: int = 10) -> list[int]:
    async with sessions() as session, session.begin():
        return await jobs.claim(session, name, now, limit, LEASE)


async def job_rows(sessions: Sessions) -> list[TranscriptionJob]:
    async with sessions() as session:
        return list((await session.scalars(select(TranscriptionJob).order_by(TranscriptionJob.id))).all())


async def test_migration_matches_the_models(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
            )
    finally:
        await engine.dispose()
    mine = [d for d in diff if "transcription_jobs" in repr(d) or "voicemail_drafts" in repr(d)]
    assert mine == []


async def test_two_instances_never_hold_the_same_job(migrated: str) -> None:
    async with database(migrated) as a, database(migrated) as b:
        await queued_jobs(a, 12)
        taken: dict[str, list[int]] = {"a": [], "b": []}
        for _ in range(8):
            got_a, got_b = await asyncio.gather(claim(a, "a", T0, 2), claim(b, "b", T0, 2))
            taken["a"] += got_a
            taken["b"] += got_b
        assert not set(taken["a"]) & set(taken["b"])
        assert sorted(taken["a"] + taken["b"]) == list(range(1, 13))
        rows = await job_rows(a)
    assert {r.state for r in rows} == {"running"} and {r.attempts for r in rows} == {1}
    assert all(r.lease_until == T0 + LEASE for r in rows)


async def test_a_lapsed_lease_is_taken_over_and_the_old_holder_cannot_settle(migrated: str) -> None:
    async with database(migrated) as sessions:
        await queued_jobs(sessions, 1)
        assert await claim(sessions, "crashed", T0) == [1]
        assert await claim(sessions, "other", T0 + LEASE) == []  # exactly at the expiry: still held
        later = T0 + LEASE + dt.timedelta(seconds=1)
        assert await claim(sessions, "other", later) == [1]
        async with sessions() as session, session.begin():
            assert not await jobs.settle(session, 1, "crashed", later, state="done")
            assert await jobs.settle(session, 1, "other", later, state="done")
        (row,) = await job_rows(sessions)
    assert (row.state, row.attempts, row.claimed_by, row.finished_at) == ("done", 2, None, later)


async def test_renewed_lease_is_not_taken_over(migrated: str) -> None:
    async with database(migrated) as sessions:
        await queued_jobs(sessions, 1)
        await claim(sessions, "me", T0)
        async with sessions() as session, session.begin():
            assert await jobs.renew(session, [1], "me", T0 + dt.timedelta(seconds=50), LEASE) == 1
            assert await jobs.renew(session, [1], "someone", T0 + dt.timedelta(seconds=50), LEASE) == 0
        assert await claim(sessions, "other", T0 + dt.timedelta(seconds=90)) == []


async def test_retry_waits_for_its_time(migrated: str) -> None:
    async with database(migrated) as sessions:
        await queued_jobs(sessions, 1)
        await claim(sessions, "me", T0)
        retry_at = T0 + jobs.backoff(1, dt.timedelta(seconds=30))
        async with sessions() as session, session.begin():
            assert await jobs.settle(session, 1, "me", T0, state="queued", error="boom", retry_at=retry_at)
        assert await claim(sessions, "me", retry_at - dt.timedelta(seconds=1)) == []
        assert await claim(sessions, "me", retry_at) == [1]
        (row,) = await job_rows(sessions)
    assert (row.attempts, row.last_error) == (2, "boom")


async def test_release_gives_jobs_back_without_counting_the_attempt(migrated: str) -> None:
    async with database(migrated) as sessions:
        await queued_jobs(sessions, 2)
        await claim(sessions, "me", T0)
        async with sessions() as session, session.begin():
            assert await jobs.release(session, [1, 2], "me", T0) == 2
        rows = await job_rows(sessions)
        assert [(r.state, r.attempts, r.claimed_by) for r in rows] == [("queued", 0, None)] * 2
        assert await claim(sessions, "next", T0) == [1, 2]


async def test_requeue_only_touches_failed_and_unavailable(migrated: str) -> None:
    async with database(migrated) as sessions:
        await queued_jobs(sessions, 4)
        await claim(sessions, "me", T0, 3)
        async with sessions() as session, session.begin():
            await jobs.settle(session, 1, "me", T0, state="failed", error="corrupt")
            await jobs.settle(session, 2, "me", T0, state="unavailable", error="no model")
            await jobs.settle(session, 3, "me", T0, state="done")
        later = T0 + dt.timedelta(minutes=5)
        async with sessions() as session, session.begin():
            assert await jobs.requeue(session, later, ids=[2]) == [2]
            assert await jobs.requeue(session, later) == [1]
        async with sessions() as session:
            listed = await jobs.list_jobs(session, ("queued",))
    assert [(r.id, r.attempts, r.last_error) for r in listed] == [(4, 0, None), (2, 0, "no model"), (1, 0, "corrupt")]


def test_backoff_doubles_up_to_the_cap() -> None:
    base = dt.timedelta(seconds=30)
    assert [jobs.backoff(n, base).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert jobs.backoff(50, base) == dt.timedelta(hours=1)
    assert len(jobs.instance_name()) <= 64
