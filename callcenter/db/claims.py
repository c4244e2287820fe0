"""Claiming work rows so that two workers never take the same one ("claim, don't check-then-act").

Used by the deadline sweep (``case_deadlines``), the notification outbox and the transcription
jobs. One statement picks up to ``limit`` due rows and marks them taken:

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` in a CTE (a CTE runs once; ``IN (subquery …
  LIMIT)`` may be re-run by the planner and take more), so concurrent claimers skip each
  other's rows instead of waiting;
* SQLite: ``IN (subquery)``; the writers' ``BEGIN IMMEDIATE`` already serialises claimers.

The UPDATE repeats the due conditions, so a row that stopped being due in between is not taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession


async def claim_ids(
    session: AsyncSession,
    model: Any,
    due: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    limit: int,
    values: Mapping[str, Any],
) -> list[int]:
    """Set ``values`` on up to ``limit`` rows of ``model`` matching ``due`` (first by
    ``order_by``); the ids taken. The caller commits."""
    pick = select(model.id).where(*due).order_by(*order_by).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picked = pick.with_for_update(skip_locked=True).cte("picked")
        target = model.id == picked.c.id
    else:
        target = model.id.in_(pick.scalar_subquery())
    stmt = (
        update(model).where(target, *due).values(**values)
        .returning(model.id).execution_options(synchronize_session=False)
    )  # fmt: skip
    return list((await session.execute(stmt)).scalars().all())
