"""Audit trail: every change a person makes to a case, a call record or a setting.

One append-only row per changed field (entity, entity id, field, before, after, who, when,
why). Rows are chained with a key the database does not hold (:mod:`callcenter.audit_keys`):
``hash = HMAC-SHA256(key, prev_hash + canonical JSON of the row)``, the row naming its key.
An edited, deleted or inserted row breaks the chain at that point (:func:`verify`), and
whoever can write the database cannot re-seal it without the key file. The table also
refuses UPDATE and DELETE by trigger (migration 0002); the chain catches whoever gets round
that. A truncated tail is caught by the head row and, against someone who rewrites the head
too, by a checkpoint kept outside the database (:func:`checkpoint`, ``verify --against``).

Appends are serialised through the one-row ``audit_head`` (last sequence number and hash):
on PostgreSQL it is read ``FOR UPDATE``, so two writers queue on it and the chain cannot fork;
on SQLite every write transaction is ``BEGIN IMMEDIATE`` (engine hook), which serialises them
already. The head also tells a truncated tail.

:func:`record_change` runs inside the caller's transaction: the change and its audit rows
commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.audit_keys import AuditKeyError, AuditKeys
from callcenter.tickets.models import AuditEntry, AuditHead

GENESIS = "0" * 64
PAGE = 2000
KEYS = "audit_keys"  # where a session factory carries the keys (session.info; db.session_factory)
HASHED = ("seq", "at", "actor", "entity", "entity_id", "field", "before", "after", "reason", "key_id")


class AuditKeyMissing(RuntimeError):
    """A change was to be audited through a session that has no audit keys."""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept, datetimes as UTC ISO strings."""
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def decoded(raw: str | None) -> Any:
    """A stored before/after value back from its :func:`canonical` JSON (the text itself if a
    row holds something else)."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def row_hash(keys: AuditKeys, prev_hash: str, row: Mapping[str, Any]) -> str:
    body = {k: row[k] for k in HASHED}
    return keys.mac(str(row["key_id"]), prev_hash + canonical(body))


def session_keys(session: AsyncSession) -> AuditKeys:
    keys = session.info.get(KEYS)
    if not isinstance(keys, AuditKeys):
        raise AuditKeyMissing("no audit key for this database session: the session factory must be made "
                              "with the configured audit keys (audit_key_file)")  # fmt: skip
    return keys


async def record_change(
    session: AsyncSession,
    *,
    actor: str,
    entity: str,
    entity_id: object,
    changes: Mapping[str, tuple[Any, Any]],
    reason: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append one row per changed field (unchanged ones are skipped), in the caller's transaction."""
    items = [(f, canonical(b), canonical(a)) for f, (b, a) in changes.items() if canonical(b) != canonical(a)]
    if not items:
        return
    at = at or dt.datetime.now(dt.UTC)
    keys = session_keys(session)
    head = (
        await session.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()
        )
    ).one()
    seq, prev = head.seq, head.hash
    rows = []
    for field, before, after in items:
        seq += 1
        row = {
            "seq": seq, "at": at, "actor": actor, "entity": entity, "entity_id": str(entity_id),
            "field": field, "before": before, "after": after, "reason": reason, "key_id": keys.current,
        }  # fmt: skip
        row["prev_hash"] = prev
        row["hash"] = prev = row_hash(keys, prev, row)
        rows.append(row)
    await session.execute(insert(AuditEntry), rows)
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int
    broken_at: int | None = None  # the sequence number of the first bad row
    message: str = ""


def _check(keys: AuditKeys, row: AuditEntry, expected_seq: int, prev: str) -> str | None:
    if row.seq != expected_seq:
        return f"row {expected_seq} is missing (next row is {row.seq})"
    if row.prev_hash != prev:
        return f"row {row.seq}: prev_hash does not match row {row.seq - 1}"
    if not row.key_id:
        return f"row {row.seq}: written without a key (not by this service)"
    if row.key_id not in keys.keys:
        return f"row {row.seq}: its key {row.key_id} is not in the key file (restore the file's old lines)"
    data = {c: getattr(row, c) for c in HASHED}
    if not hmac.compare_digest(row_hash(keys, prev, data), row.hash):
        return f"row {row.seq}: content does not match its keyed hash (changed after it was written)"
    return None


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at some moment, signed with a key: stored outside the database, it
    lets :func:`verify` tell a rewritten or truncated chain even if the head row was rewritten."""

    seq: int
    hash: str
    at: str
    key_id: str
    signature: str

    def line(self) -> str:
        return canonical({"seq": self.seq, "hash": self.hash, "at": self.at, "key_id": self.key_id,
                          "signature": self.signature})  # fmt: skip


def _signed(keys: AuditKeys, key_id: str, seq: int, hash_: str, at: str) -> str:
    return keys.mac(key_id, "checkpoint|" + canonical({"seq": seq, "hash": hash_, "at": at}))


async def checkpoint(sessions: async_sessionmaker[AsyncSession], keys: AuditKeys, now: dt.datetime) -> Checkpoint:
    """The signed head of the chain (verify the chain first: a checkpoint vouches for it)."""
    async with sessions() as session:
        head = (await session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1))).one()
    at = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    return Checkpoint(head.seq, head.hash, at, keys.current, _signed(keys, keys.current, head.seq, head.hash, at))


def read_checkpoint(text: str, keys: AuditKeys) -> Checkpoint:
    """A checkpoint from its printed line; ValueError if it is malformed or not signed by our keys."""
    try:
        data = json.loads(text)
        point = Checkpoint(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["key_id"]),
                           str(data["signature"]))  # fmt: skip
    except (ValueError, KeyError, TypeError):
        raise ValueError("not a checkpoint (expected the JSON line `audit checkpoint` printed)") from None
    try:
        expected = _signed(keys, point.key_id, point.seq, point.hash, point.at)
    except AuditKeyError as exc:
        raise ValueError(f"checkpoint: {exc}") from None
    if not hmac.compare_digest(expected, point.signature):
        raise ValueError("checkpoint: the signature does not match (edited, or made with another key file)")
    return point


def factory_keys(sessions: async_sessionmaker[AsyncSession]) -> AuditKeys:
    """The audit keys a session factory was made with (:func:`callcenter.db.session.session_factory`)."""
    keys = (sessions.kw.get("info") or {}).get(KEYS)
    if not isinstance(keys, AuditKeys):
        raise AuditKeyMissing("no audit key for this database: configure audit_key_file")
    return keys


async def verify(sessions: async_sessionmaker[AsyncSession], keys: AuditKeys | None = None,
                 against: Checkpoint | None = None) -> Verdict:  # fmt: skip
    """Walk the chain in order; the first broken link, or ok with the number of rows. With a
    checkpoint, the row it names must still be there with the same hash. ``keys`` default to
    the session factory's."""
    keys = keys or factory_keys(sessions)
    prev, expected, last_seq = GENESIS, 1, 0
    while True:
        async with sessions() as session:
            page = (await session.scalars(
                select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(PAGE)
            )).all()  # fmt: skip
            head = (await session.execute(select(AuditHead.seq, AuditHead.hash))).one_or_none()
        for row in page:
            problem = _check(keys, row, expected, prev)
            if problem:
                return Verdict(False, expected - 1, expected, problem)
            if against is not None and row.seq == against.seq and row.hash != against.hash:
                return Verdict(False, expected - 1, row.seq, f"row {row.seq} differs from the checkpoint of "
                               f"{against.at}: the chain was rewritten")  # fmt: skip
            prev, expected, last_seq = row.hash, expected + 1, row.seq
        if len(page) < PAGE:
            break
    if against is not None and last_seq < against.seq:
        return Verdict(False, last_seq, last_seq + 1, f"the chain ends at row {last_seq} but the checkpoint of "
                       f"{against.at} saw row {against.seq}: rows were removed from the end")  # fmt: skip
    if head is None or (head.seq, head.hash) != (last_seq, prev):
        return Verdict(False, last_seq, last_seq + 1, f"the chain ends at row {last_seq} but the "
                       f"head says {head.seq if head else '?'}: rows were removed from the end")  # fmt: skip
    return Verdict(True, last_seq, None, f"ok {last_seq} rows" + (f", checkpoint of {against.at} (row "
                   f"{against.seq}) matches" if against is not None else ""))  # fmt: skip


async def history(session: AsyncSession, entity: str, entity_id: object) -> list[AuditEntry]:
    """The audit rows of one entity, oldest first (for the panel)."""
    stmt = select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
    return list((await session.scalars(stmt.order_by(AuditEntry.seq))).all())
