"""Delivery of outbox notices to a webhook (config ``webhook_url``), retried with backoff.

The panel reads the outbox directly; the webhook is optional. :meth:`Deliverer.run_once`
claims notices whose ``deliver_at`` has come (conditional UPDATE, as the sweep does), POSTs each
one *outside* any transaction, then records ``sent_at`` or ``attempts``/``last_error``/
``next_attempt_at`` in a short transaction. Delivery is at-least-once (a crash between the POST
and the record repeats it); every POST carries the notice's unique key as ``Idempotency-Key``
so the receiver can drop a repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.claims import claim_ids
from callcenter.tickets.models import Outbox
from callcenter.tickets.sweep import instance_name

log = logging.getLogger(__name__)
Post = Callable[[str, dict[str, Any]], Awaitable[None]]
MAX_BACKOFF = dt.timedelta(hours=1)


def delivery_backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … at most an hour."""
    return min(dt.timedelta(seconds=30 * 2 ** min(attempts - 1, 10)), MAX_BACKOFF)


def payload(row: Outbox) -> dict[str, Any]:
    return {
        "key": row.key, "case_id": row.case_id, "kind": row.kind, "level": row.level,
        "recipient_role": row.recipient_role, "recipient": row.recipient,
        "text_zh": row.text_zh, "text_en": row.text_en,
        "created_at": row.created_at.isoformat(), "deliver_at": row.deliver_at.isoformat(),
    }  # fmt: skip


class WebhookClient:
    """POST JSON with aiohttp; any non-2xx status is a failure."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def __call__(self, url: str, body: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        headers = {"Idempotency-Key": str(body["key"])}
        async with self._session.post(url, json=body, headers=headers) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered HTTP {response.status}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class Deliverer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        url: str,
        *,
        post: Post | None = None,
        name: str | None = None,
        batch: int = 50,
        claim_ttl: dt.timedelta = dt.timedelta(minutes=2),
    ) -> None:
        self.sessions = sessions
        self.url = url
        self.client = None if post is not None else WebhookClient()
        self.post: Post = post or self.client  # type: ignore[assignment]
        self.name = name or instance_name()
        self.batch = batch
        self.claim_ttl = claim_ttl

    async def run_once(self, now: dt.datetime) -> int:
        """Deliver what is due at ``now``; the number of notices tried."""
        rows = await self._claim(now)
        results: list[tuple[int, int, Exception | None]] = []
        for row in rows:
            try:
                await self.post(self.url, payload(row))
                results.append((row.id, row.attempts, None))
            except Exception as exc:  # noqa: BLE001 - recorded and retried
                results.append((row.id, row.attempts, exc))
        if results:
            await self._record(results, now)
        return len(results)

    async def _claim(self, now: dt.datetime) -> Sequence[Outbox]:
        free = or_(Outbox.claimed_by.is_(None), Outbox.claim_until < now)
        ready = or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now)
        due = (Outbox.sent_at.is_(None), Outbox.deliver_at <= now, ready, free)
        async with self.sessions() as session, session.begin():
            ids = await claim_ids(session, Outbox, due, [Outbox.deliver_at], self.batch,
                                  {"claimed_by": self.name, "claim_until": now + self.claim_ttl})  # fmt: skip
            if not ids:
                return []
            return list((await session.scalars(select(Outbox).where(Outbox.id.in_(ids)).order_by(Outbox.id))).all())

    async def _record(self, results: list[tuple[int, int, Exception | None]], now: dt.datetime) -> None:
        async with self.sessions() as session, session.begin():
            for outbox_id, attempts, exc in results:
                mine = (Outbox.id == outbox_id, Outbox.claimed_by == self.name)
                if exc is None:
                    values: dict[str, Any] = {"sent_at": now, "attempts": attempts + 1, "last_error": None}
                else:
                    values = {"attempts": attempts + 1, "last_error": f"{type(exc).__name__}: {exc}"[:1000],
                              "next_attempt_at": now + delivery_backoff(attempts + 1)}  # fmt: skip
                    log.warning("outbox %d: delivery failed (%s); attempt %d", outbox_id, exc, attempts + 1)
                await session.execute(update(Outbox).where(*mine).values(claimed_by=None, claim_until=None, **values))

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


async def list_outbox(
    session: AsyncSession, *, now: dt.datetime, role: str | None = None, recipient: str | None = None,
    case_id: int | None = None, include_held: bool = False, before_id: int | None = None, limit: int = 50,
    where: ColumnElement[bool] | None = None,
) -> list[Outbox]:  # fmt: skip
    """Notices for the panel, newest first; held ones (``deliver_at`` in the future) only with
    ``include_held``; ``where``: a further condition (the reader's scope)."""
    stmt = select(Outbox).order_by(Outbox.id.desc()).limit(limit)
    if where is not None:
        stmt = stmt.where(where)
    if not include_held:
        stmt = stmt.where(Outbox.deliver_at <= now)
    if role:
        stmt = stmt.where(Outbox.recipient_role == role)
    if recipient:
        stmt = stmt.where(Outbox.recipient == recipient)
    if case_id is not None:
        stmt = stmt.where(Outbox.case_id == case_id)
    if before_id is not None:
        stmt = stmt.where(Outbox.id < before_id)
    return list((await session.scalars(stmt)).all())
