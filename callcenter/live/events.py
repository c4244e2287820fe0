"""The ``live_events`` table: live-feed messages on their way to other processes.

One row per message (:mod:`callcenter.live.bridge` writes and reads them): an id that only
grows (``AUTOINCREMENT`` on SQLite, so pruning every row never lets an id come back), the
time it was written, the writing process (``origin``) and the message as JSON. Rows live a
few minutes; created by migration 0006.

The payload keeps what ``json`` cannot: a ``datetime`` travels as ``{"$datetime": ISO}``
and comes back as an equal (aware or naive) ``datetime``, so a message read here is equal
to the one published (tuples become lists, as on the websocket). Today's messages hold
only JSON types (``started_at`` is a Unix time that the websocket localises).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Index, Integer, String, Text, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db.models import Base, UTCDateTime

CHANNEL = "callcenter_live"  # PostgreSQL NOTIFY channel: "new rows in live_events"
DATETIME_TAG = "$datetime"


class LiveEvent(Base):
    """A live-feed message written by one process for the others."""

    __tablename__ = "live_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    origin: Mapped[str] = mapped_column(String(32))  # the writing process (LiveBridge.origin)
    payload: Mapped[str] = mapped_column(Text)  # encode(message)

    __table_args__ = (Index("ix_live_events_created_at", "created_at"), {"sqlite_autoincrement": True})


# -- the payload ------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {DATETIME_TAG: value.isoformat()}
    raise TypeError(f"not JSON: {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and isinstance(obj.get(DATETIME_TAG), str):
        return dt.datetime.fromisoformat(obj[DATETIME_TAG])
    return obj


def encode(message: dict[str, Any]) -> str:
    """The message as JSON; TypeError/ValueError for what cannot travel."""
    return json.dumps(message, default=_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def decode(payload: str) -> dict[str, Any]:
    """The message back; ValueError if the payload is not a JSON object."""
    message = json.loads(payload, object_hook=_hook)
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    return message


# -- the statements (each runs on a connection the caller owns) ------------------------------


async def append(conn: AsyncConnection, origin: str, payloads: Sequence[str], now: dt.datetime) -> None:
    """Insert a batch in the caller's transaction, in order.

    PostgreSQL hands out ids when a row is inserted, not when it commits: two writers could
    commit 11 before 10, and a reader already past 11 would never see 10. So writers take
    turns (``EXCLUSIVE`` blocks other writers, never readers) and wake listeners on commit.
    On SQLite the database's write lock already orders them.
    """
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        await conn.execute(text("LOCK TABLE live_events IN EXCLUSIVE MODE"))
    await conn.execute(insert(LiveEvent), [{"created_at": now, "origin": origin, "payload": p} for p in payloads])
    if postgresql:
        await conn.execute(select(func.pg_notify(CHANNEL, "")))


async def prune(conn: AsyncConnection, before: dt.datetime) -> int:
    """Delete the rows written before ``before``; how many."""
    result = await conn.execute(delete(LiveEvent).where(LiveEvent.created_at < before))
    return result.rowcount or 0


async def last_id(conn: AsyncConnection) -> int:
    """The newest id (0 for an empty table): where a new reader starts."""
    return int(await conn.scalar(select(func.coalesce(func.max(LiveEvent.id), 0))) or 0)


async def after(conn: AsyncConnection, cursor: int, limit: int) -> list[tuple[int, str, str]]:
    """Up to ``limit`` rows (id, origin, payload) with an id above ``cursor``, oldest first."""
    rows = await conn.execute(
        select(LiveEvent.id, LiveEvent.origin, LiveEvent.payload)
        .where(LiveEvent.id > cursor).order_by(LiveEvent.id).limit(limit)
    )  # fmt: skip
    return [(int(i), str(o), str(p)) for i, o, p in rows]
