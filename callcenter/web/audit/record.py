"""The panel's side of the audit trail (``callcenter.audit``, hash-chained, append-only).

Changes are recorded with ``record_change`` in the same transaction as the change, at the
panel's clock; ``history`` gives one entity's changes with the before/after values decoded
from the trail's canonical JSON, for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import audit


async def record_change(
    session: AsyncSession,
    *,
    actor: str,
    entity: str,
    entity_id: str | int,
    changes: Mapping[str, tuple[Any, Any]],
    at: datetime,
    reason: str | None = None,
) -> None:
    await audit.record_change(
        session, actor=actor, entity=entity, entity_id=entity_id, changes=changes, reason=reason, at=at
    )


async def history(session: AsyncSession, entity: str, entity_id: str | int) -> list[dict[str, Any]]:
    """The audited changes of one entity, oldest first."""
    return [
        {"at": row.at, "actor": row.actor, "field": row.field, "before": audit.decoded(row.before),
         "after": audit.decoded(row.after), "reason": row.reason}
        for row in await audit.history(session, entity, entity_id)
    ]  # fmt: skip
