"""The transcription job queue in the database: claim, lease, settle, retry, list.

A job is **claimed** with one conditional UPDATE (``state``, ``claimed_by``, ``lease_until``,
``attempts + 1``) committed at once: a queued job whose time has come, or a running one
whose lease lapsed (its instance crashed). On PostgreSQL the candidates are picked
``FOR UPDATE SKIP LOCKED``; on SQLite every write transaction is ``BEGIN IMMEDIATE``.
Two instances never hold the same job. The holder renews the lease while the job runs
and **settles** it with an UPDATE conditioned on still holding it: a result that comes
back after the lease was lost is dropped, never stored twice.

Functions taking a ``session`` run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.claims import claim_ids
from callcenter.db.models import Call
from callcenter.transcribe.models import TranscriptionJob, VoicemailDraft

J = TranscriptionJob
RETRYABLE = ("failed", "unavailable")
MAX_ERROR_CHARS = 2000


def instance_name() -> str:
    """``host:pid:random``: who holds a claim (fits the 64 characters of ``claimed_by``)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int, base: dt.timedelta, cap: dt.timedelta = dt.timedelta(hours=1)) -> dt.timedelta:
    """``base``, 2×, 4×, … after the 1st, 2nd, 3rd failed attempt; at most ``cap``."""
    return min(base * (1 << max(0, min(attempts - 1, 20))), cap)


@dataclass(frozen=True)
class ClaimedJob:
    """A job this instance holds, with what the runner needs to know about its voicemail."""

    id: int
    draft_id: int
    attempts: int
    last_error: str | None
    call_id: int
    case_id: int | None
    linkedid: str
    caller_number: str
    message_path: str | None


@dataclass(frozen=True)
class JobRow:
    """One line of ``callcenter voicemail list``."""

    id: int
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime
    updated_at: dt.datetime
    claimed_by: str | None
    draft_status: str
    case_id: int | None
    linkedid: str
    caller_number: str


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        and_(J.state == "queued", J.next_attempt_at <= now),
        and_(J.state == "running", J.lease_until < now),
    )


async def claim(session: AsyncSession, name: str, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[int]:
    """Claim up to ``limit`` due jobs for ``name``; their ids (commit right after)."""
    if limit <= 0:
        return []
    values = {"state": "running", "claimed_by": name, "lease_until": now + lease, "attempts": J.attempts + 1,
              "updated_at": now}  # fmt: skip
    return sorted(await claim_ids(session, J, [_due(now)], [J.next_attempt_at, J.id], limit, values))


async def claimed(session: AsyncSession, ids: Sequence[int]) -> list[ClaimedJob]:
    """The claimed jobs ``ids`` with their draft and call."""
    if not ids:
        return []
    stmt = (
        select(J.id, J.draft_id, J.attempts, J.last_error, VoicemailDraft.call_id, VoicemailDraft.case_id,
               Call.linkedid, Call.caller_number, VoicemailDraft.message_path)
        .join(VoicemailDraft, VoicemailDraft.id == J.draft_id)
        .join(Call, Call.id == VoicemailDraft.call_id)
        .where(J.id.in_(ids))
        .order_by(J.id)
    )
    return [ClaimedJob(*row) for row in (await session.execute(stmt)).all()]


async def settle(
    session: AsyncSession, job_id: int, name: str, now: dt.datetime, *, state: str,
    error: str | None = None, retry_at: dt.datetime | None = None,
) -> bool:  # fmt: skip
    """End ``name``'s claim on the job: ``done``, ``failed``, ``unavailable`` or ``queued``
    again (at ``retry_at``). False if ``name`` no longer holds it (the lease lapsed and
    another instance took it over): then nothing is written."""
    values: dict[str, object] = {
        "state": state, "claimed_by": None, "lease_until": None, "updated_at": now,
        "last_error": error[:MAX_ERROR_CHARS] if error else None,
    }  # fmt: skip
    if state == "queued":
        values["next_attempt_at"] = retry_at or now
    else:
        values["finished_at"] = now
    result = await session.execute(
        update(J).where(J.id == job_id, J.claimed_by == name, J.state == "running").values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def renew(session: AsyncSession, ids: Sequence[int], name: str, now: dt.datetime, lease: dt.timedelta) -> int:
    """Extend ``name``'s leases on ``ids``; how many it still held."""
    if not ids:
        return 0
    result = await session.execute(
        update(J).where(J.id.in_(ids), J.claimed_by == name, J.state == "running")
        .values(lease_until=now + lease).execution_options(synchronize_session=False)
    )  # fmt: skip
    return int(result.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, ids: Sequence[int], name: str, now: dt.datetime) -> int:
    """Give jobs back unfinished (shutdown): queued again at once, the attempt not counted."""
    if not ids:
        return 0
    result = await session.execute(
        update(J).where(J.id.in_(ids), J.claimed_by == name, J.state == "running")
        .values(state="queued", claimed_by=None, lease_until=None, next_attempt_at=now, updated_at=now,
                attempts=J.attempts - 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return int(result.rowcount)  # type: ignore[attr-defined]


async def requeue(
    session: AsyncSession, now: dt.datetime, *, states: Sequence[str] = RETRYABLE, ids: Sequence[int] | None = None
) -> list[int]:
    """Queue jobs in ``states`` (optionally only ``ids``) again with fresh attempts; the
    ids of their drafts."""
    stmt = update(J).where(J.state.in_(states))
    if ids is not None:
        stmt = stmt.where(J.id.in_(ids))
    stmt = (
        stmt.values(state="queued", attempts=0, next_attempt_at=now, finished_at=None, updated_at=now)
        .returning(J.draft_id)
        .execution_options(synchronize_session=False)
    )
    return sorted((await session.execute(stmt)).scalars().all())


async def list_jobs(session: AsyncSession, states: Sequence[str] | None = None, limit: int = 100) -> list[JobRow]:
    """Jobs newest first, optionally only in ``states``."""
    stmt = (
        select(J.id, J.state, J.attempts, J.last_error, J.next_attempt_at, J.updated_at, J.claimed_by,
               VoicemailDraft.status, VoicemailDraft.case_id, Call.linkedid, Call.caller_number)
        .join(VoicemailDraft, VoicemailDraft.id == J.draft_id)
        .join(Call, Call.id == VoicemailDraft.call_id)
        .order_by(J.id.desc())
        .limit(limit)
    )
    if states:
        stmt = stmt.where(J.state.in_(states))
    return [JobRow(*row) for row in (await session.execute(stmt)).all()]
