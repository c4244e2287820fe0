"""The ``clerk_states`` table: each clerk phone's state as the listener last saw it.

One row per extension, written by :class:`callcenter.ami.clerk_tracker.ClerkTracker` (upsert
on change), read by every panel process: the wallboard after a restart or in another process
shows the same clerks as the listener. Created by migration 0010.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db.models import Base, UTCDateTime


class ClerkStateRow(Base):
    __tablename__ = "clerk_states"

    extension: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    view: Mapped[dict[str, Any]] = mapped_column(JSON)  # callcenter.ami.clerks.view(...)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


async def save(session: AsyncSession, views: list[dict[str, Any]], now: dt.datetime) -> None:
    """Upsert the given clerks' rows in the caller's transaction."""
    if not views:
        return
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    rows = [{"extension": v["extension"], "state": v["state"], "view": v, "updated_at": now} for v in views]
    stmt = insert(ClerkStateRow).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ClerkStateRow.extension],
        set_={"state": stmt.excluded.state, "view": stmt.excluded.view, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)


async def load(session: AsyncSession) -> list[dict[str, Any]]:
    """Every clerk's last view, by extension."""
    rows = await session.scalars(select(ClerkStateRow).order_by(ClerkStateRow.extension))
    return [dict(row.view) for row in rows]
