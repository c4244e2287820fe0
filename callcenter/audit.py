"""Audit trail: every change a person makes to a case, a call record or a setting.

One append-only row per changed field (entity, entity id, field, before, after, who, when,
why). Rows are hash-chained: ``hash = sha256(prev_hash + canonical JSON of the row)``, so an
edited, deleted or inserted row breaks the chain at that point (:func:`verify`). The table
also refuses UPDATE and DELETE by trigger (migration 0002); the chain catches whoever gets
round that.

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
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets.models import AuditEntry, AuditHead

GENESIS = "0" * 64
PAGE = 2000


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


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    body = {k: row[k] for k in ("seq", "at", "actor", "entity", "entity_id", "field", "before", "after", "reason")}
    return hashlib.sha256((prev_hash + canonical(body)).encode("utf-8")).hexdigest()


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
            "field": field, "before": before, "after": after, "reason": reason,
        }  # fmt: skip
        row["prev_hash"] = prev
        row["hash"] = prev = row_hash(prev, row)
        rows.append(row)
    await session.execute(insert(AuditEntry), rows)
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int
    broken_at: int | None = None  # the sequence number of the first bad row
    message: str = ""


def _check(row: AuditEntry, expected_seq: int, prev: str) -> str | None:
    if row.seq != expected_seq:
        return f"row {expected_seq} is missing (next row is {row.seq})"
    if row.prev_hash != prev:
        return f"row {row.seq}: prev_hash does not match row {row.seq - 1}"
    data = {c: getattr(row, c) for c in ("seq", "at", "actor", "entity", "entity_id", "field",
                                          "before", "after", "reason")}  # fmt: skip
    if row_hash(prev, data) != row.hash:
        return f"row {row.seq}: content does not match its hash (changed after it was written)"
    return None


async def verify(sessions: async_sessionmaker[AsyncSession]) -> Verdict:
    """Walk the chain in order; the first broken link, or ok with the number of rows."""
    prev, expected, last_seq = GENESIS, 1, 0
    while True:
        async with sessions() as session:
            page = (await session.scalars(
                select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(PAGE)
            )).all()  # fmt: skip
            head = (await session.execute(select(AuditHead.seq, AuditHead.hash))).one_or_none()
        for row in page:
            problem = _check(row, expected, prev)
            if problem:
                return Verdict(False, expected - 1, expected, problem)
            prev, expected, last_seq = row.hash, expected + 1, row.seq
        if len(page) < PAGE:
            break
    if head is None or (head.seq, head.hash) != (last_seq, prev):
        return Verdict(False, last_seq, last_seq + 1, f"the chain ends at row {last_seq} but the "
                       f"head says {head.seq if head else '?'}: rows were removed from the end")  # fmt: skip
    return Verdict(True, last_seq, None, f"ok {last_seq} rows")


async def history(session: AsyncSession, entity: str, entity_id: object) -> list[AuditEntry]:
    """The audit rows of one entity, oldest first (for the panel)."""
    stmt = select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
    return list((await session.scalars(stmt.order_by(AuditEntry.seq))).all())
