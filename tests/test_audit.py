"""The audit trail: hash chain, append-only, two writers, ``callcenter audit verify``."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter import cli
from callcenter.audit import canonical, history, record_change, verify
from callcenter.db.session import create_engine, session_factory
from callcenter.tickets.models import AuditEntry

T0 = dt.datetime(2026, 9, 21, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def sessions(migrated: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def write(sessions: async_sessionmaker[AsyncSession], n: int, actor: str = "8001") -> None:
    for i in range(n):
        async with sessions() as session, session.begin():
            await record_change(session, actor=actor, entity="call", entity_id=1000 + i,
                                changes={"caller_name": (None, f"张三{i}"), "note": ("", "漏水")},
                                reason="corrected", at=T0 + dt.timedelta(minutes=i))  # fmt: skip


async def drop_guard(sessions: async_sessionmaker[AsyncSession]) -> None:
    """What someone with database access could do to edit the log."""
    async with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(text("DROP TRIGGER audit_log_no_update"))
            await session.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            await session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))


def test_canonical_json_is_stable() -> None:
    assert canonical({"b": 1, "a": [dt.date(2026, 1, 2), "银川"]}) == '{"a":["2026-01-02","银川"],"b":1}'
    assert canonical(dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))) == \
        '"2026-01-01T00:00:00.000000+00:00"'


async def test_chain_verifies_and_skips_unchanged_fields(sessions) -> None:
    await write(sessions, 3)
    async with sessions() as session, session.begin():
        await record_change(session, actor="x", entity="case", entity_id=1, changes={"a": (1, 1)})
    verdict = await verify(sessions)
    assert (verdict.ok, verdict.rows, verdict.message) == (True, 6, "ok 6 rows")
    async with sessions() as session:
        rows = await history(session, "call", 1001)
    assert [(r.field, r.before, r.after, r.actor, r.reason) for r in rows] == [
        ("caller_name", "null", '"张三1"', "8001", "corrected"), ("note", '""', '"漏水"', "8001", "corrected")]  # fmt: skip


async def test_the_table_refuses_updates_and_deletes(sessions) -> None:
    await write(sessions, 1)
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with sessions() as session, session.begin():
                await session.execute(text(sql))


@pytest.mark.parametrize("tamper, broken_at", [
    ("UPDATE audit_log SET after = '\"李四\"' WHERE seq = 3", 3),
    ("DELETE FROM audit_log WHERE seq = 2", 2),
    ("DELETE FROM audit_log WHERE seq = 6", 6),
])  # fmt: skip
async def test_verify_reports_the_first_broken_link(sessions, tamper: str, broken_at: int) -> None:
    await write(sessions, 3)
    await drop_guard(sessions)
    async with sessions() as session, session.begin():
        await session.execute(text(tamper))
    verdict = await verify(sessions)
    assert not verdict.ok and verdict.broken_at == broken_at, verdict


async def test_two_writers_never_fork_the_chain(sessions, migrated: str) -> None:
    engines = [create_engine(migrated) for _ in range(2)]
    try:
        await asyncio.gather(*(write(session_factory(e), 15, actor=f"w{i}") for i, e in enumerate(engines)))
    finally:
        for e in engines:
            await e.dispose()
    verdict = await verify(sessions)
    assert verdict.ok and verdict.rows == 60
    async with sessions() as session:
        seqs = list((await session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq))).all())
    assert seqs == list(range(1, 61))


async def test_cli_audit_verify(sessions, migrated: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", migrated)
    await write(sessions, 2)
    assert await asyncio.to_thread(cli.main, ["audit", "verify"]) == 0
    assert capsys.readouterr().out == "ok 4 rows\n"
    await drop_guard(sessions)
    async with sessions() as session, session.begin():
        await session.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))
    assert await asyncio.to_thread(cli.main, ["audit", "verify"]) == 1
    assert "broken at row 2" in capsys.readouterr().err
