"""The audit trail: hash chain, append-only, two writers, ``callcenter audit verify``."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter import audit_keys, cli
from callcenter.audit import (HASHED, AuditKeyMissing, canonical, checkpoint, history, read_checkpoint, record_change,
                              row_hash, verify)
from callcenter.audit_keys import AuditKeys
from callcenter.db.session import create_engine, session_factory
from callcenter.tickets.models import AuditEntry
from tests.keys import AUDIT_KEYS

T0 = dt.datetime(2026, 9, 21, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def sessions(migrated: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated)
    try:
        yield session_factory(engine, AUDIT_KEYS)
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
            await session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            await session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        else:
            await session.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))


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
        await asyncio.gather(*(write(session_factory(e, AUDIT_KEYS), 15, actor=f"w{i}") for i, e in enumerate(engines)))
    finally:
        for e in engines:
            await e.dispose()
    verdict = await verify(sessions)
    assert verdict.ok and verdict.rows == 60
    async with sessions() as session:
        seqs = list((await session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq))).all())
    assert seqs == list(range(1, 61))


def cli_env(monkeypatch, migrated: str, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    """The CLI on the test database with the tests' audit key in a key file."""
    keyfile = tmp_path / "audit.key"
    keyfile.write_text("k1 " + base64.urlsafe_b64encode(AUDIT_KEYS.keys["k1"]).decode() + "\n")
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", migrated)
    monkeypatch.setenv("CALLCENTER_AUDIT_KEY_FILE", str(keyfile))
    return keyfile


async def test_cli_audit_verify(sessions, migrated: str, monkeypatch, capsys, tmp_path) -> None:
    cli_env(monkeypatch, migrated, tmp_path)
    await write(sessions, 2)
    assert await asyncio.to_thread(cli.main, ["audit", "verify"]) == 0
    assert capsys.readouterr().out == "ok 4 rows\n"
    await drop_guard(sessions)
    async with sessions() as session, session.begin():
        await session.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))
    assert await asyncio.to_thread(cli.main, ["audit", "verify"]) == 1
    assert "broken at row 2" in capsys.readouterr().err


def unkeyed_hash(prev: str, row: AuditEntry) -> str:
    """The chain as it was before it was keyed: what a forger can recompute."""
    body = {c: getattr(row, c) for c in ("seq", "at", "actor", "entity", "entity_id", "field", "before", "after",
                                         "reason", "key_id")}  # fmt: skip
    return hashlib.sha256((prev + canonical(body)).encode()).hexdigest()


async def forge(sessions, seq: int, actor: str, rehash) -> None:  # type: ignore[no-untyped-def]
    """The recipe of the issue: drop the guard, change a row, recompute every hash after it and the head."""
    await drop_guard(sessions)
    async with sessions() as session, session.begin():
        await session.execute(text("UPDATE audit_log SET actor = :a WHERE seq = :s"), {"a": actor, "s": seq})
        rows = list((await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())
        prev = "0" * 64
        for row in rows:
            new = rehash(prev, row)
            await session.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
                                  {"p": prev, "h": new, "s": row.seq})  # fmt: skip
            prev = new
        await session.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})


async def test_a_forger_without_the_key_cannot_reseal_the_chain(sessions) -> None:
    await write(sessions, 3)
    await forge(sessions, 2, "nobody", unkeyed_hash)
    verdict = await verify(sessions)
    assert not verdict.ok and verdict.broken_at == 1 and "keyed hash" in verdict.message
    # nor with a key of their own
    theirs = AuditKeys.of(b"a key the forger made up, 32 bytes+")
    await forge(sessions, 2, "nobody", lambda prev, row: row_hash(theirs, prev, {c: getattr(row, c) for c in HASHED}))
    assert not (await verify(sessions)).ok
    # the same recompute with the real key is what only the service can do
    await forge(sessions, 2, "8001", lambda prev, row: row_hash(AUDIT_KEYS, prev, {c: getattr(row, c) for c in HASHED}))
    assert (await verify(sessions)).ok


async def test_rotation_keeps_old_rows_verifiable(migrated: str, tmp_path) -> None:
    path = tmp_path / "audit.key"
    first = audit_keys.load(path)
    assert (path.stat().st_mode & 0o777) == 0o600 and first.current == "k1"
    engine = create_engine(migrated)
    try:
        await write(session_factory(engine, first), 2)
        assert audit_keys.rotate(path) == "k2"
        second = audit_keys.load(path, create=False)
        assert second.current == "k2" and second.keys["k1"] == first.keys["k1"]
        sessions = session_factory(engine, second)
        await write(sessions, 1)
        async with sessions() as session:
            assert list((await session.scalars(select(AuditEntry.key_id).order_by(AuditEntry.seq))).all()) == \
                ["k1"] * 4 + ["k2"] * 2
        assert (await verify(sessions)).ok
        lost = AuditKeys({"k2": second.keys["k2"]}, "k2")  # someone deleted the old line
        verdict = await verify(sessions, lost)
        assert not verdict.ok and "k1 is not in the key file" in verdict.message
    finally:
        await engine.dispose()


async def test_a_checkpoint_outside_the_database_catches_a_cut_tail(sessions) -> None:
    await write(sessions, 3)
    point = await checkpoint(sessions, AUDIT_KEYS, T0)
    assert read_checkpoint(point.line(), AUDIT_KEYS) == point and point.seq == 6
    await write(sessions, 1)
    assert (await verify(sessions, against=point)).ok
    # the last four rows removed and the head rewritten: the chain alone still looks whole
    await drop_guard(sessions)
    async with sessions() as session, session.begin():
        await session.execute(text("DELETE FROM audit_log WHERE seq > 4"))
        prev = (await session.execute(text("SELECT hash FROM audit_log WHERE seq = 4"))).scalar_one()
        await session.execute(text("UPDATE audit_head SET seq = 4, hash = :h"), {"h": prev})
    assert (await verify(sessions)).ok
    verdict = await verify(sessions, against=point)
    assert not verdict.ok and "checkpoint" in verdict.message and verdict.broken_at == 5
    forged = point.line().replace('"seq":6', '"seq":4')
    with pytest.raises(ValueError, match="signature"):
        read_checkpoint(forged, AUDIT_KEYS)
    with pytest.raises(ValueError, match="not a checkpoint"):
        read_checkpoint("{", AUDIT_KEYS)


async def test_cli_checkpoint_and_verify_against(sessions, migrated: str, monkeypatch, capsys, tmp_path) -> None:
    keyfile = cli_env(monkeypatch, migrated, tmp_path)
    await write(sessions, 2)
    assert await asyncio.to_thread(cli.main, ["audit", "checkpoint"]) == 0
    saved = tmp_path / "head.json"
    saved.write_text(capsys.readouterr().out)
    assert json.loads(saved.read_text())["seq"] == 4
    assert await asyncio.to_thread(cli.main, ["audit", "verify", "--against", str(saved)]) == 0
    assert "checkpoint of" in capsys.readouterr().out
    assert await asyncio.to_thread(cli.main, ["audit", "rotate-key"]) == 0
    assert "k2" in capsys.readouterr().out and keyfile.read_text().count("\nk") == 1
    assert await asyncio.to_thread(cli.main, ["audit", "verify", "--against", str(saved)]) == 0


async def test_the_upgrade_seals_an_unkeyed_chain_once(db_url: str) -> None:
    """A database written before the chain was keyed: migration audit_key checks the old chain,
    then seals it with the key; a broken old chain is refused, and so is an upgrade without keys."""
    from callcenter.db.migrate import upgrade

    engine = create_engine(db_url)
    try:
        await upgrade(engine, "0008")
        prev = "0" * 64
        async with engine.begin() as conn:
            for seq in (1, 2):
                row = {"seq": seq, "at": T0, "actor": "8001", "entity": "call", "entity_id": "1", "field": f"f{seq}",
                       "before": "null", "after": f'"{seq}"', "reason": None}  # fmt: skip
                body = {**row, "at": T0.isoformat(timespec="microseconds")}
                h = hashlib.sha256((prev + canonical(body)).encode()).hexdigest()
                await conn.execute(insert(AuditEntry.__table__).values(**row, prev_hash=prev, hash=h))
                prev = h
            await conn.execute(text("UPDATE audit_head SET seq = 2, hash = :h"), {"h": prev})
        with pytest.raises(RuntimeError, match="needs|seal"):
            await upgrade(engine, "heads")
        await upgrade(engine, "heads", audit_keys=AUDIT_KEYS)
        sessions = session_factory(engine, AUDIT_KEYS)
        verdict = await verify(sessions)
        assert verdict.ok and verdict.rows == 2
        await write(sessions, 1)
        assert (await verify(sessions)).ok
    finally:
        await engine.dispose()


async def test_a_session_without_keys_writes_no_audit_row(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        with pytest.raises(AuditKeyMissing):
            await write(session_factory(engine), 1)  # no keys
    finally:
        await engine.dispose()
