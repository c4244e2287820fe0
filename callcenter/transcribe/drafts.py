"""Voicemail → draft case: created when the call ends, filled in when the transcript is there.

:func:`create_draft` turns an ended call whose disposition is ``voicemail`` into, in one
transaction, the draft case (caller's number, linked to the call), the ``voicemail_drafts``
row (recording resolved inside the spool, the message's ``.txt`` metadata) and a queued
transcription job, then announces it on the live feed. One draft per call (a unique key):
running it twice, or in two instances, creates nothing twice. :func:`follow` runs it as
soon as the live feed announces a voicemail call, once the call is committed: the end of a
call the recorder followed (a ``call`` message) or a call the reconciler recovered from
the CDR (a ``call_recovered`` message). :func:`on_call_logged` does the same for a
call id (an after-commit hook of the call log). :func:`enqueue_missing`, run every minute,
catches what they missed (a crash, messages dropped by a slow subscriber).

The job runner (:mod:`callcenter.transcribe.transcriber`) stores its outcome with
:func:`store_transcript` or :func:`store_outcome`; each settles the job and updates the
draft (and pre-fills the case) in one short transaction, only while it holds the job.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami.reconcile import RECOVERED
from callcenter.db.models import Call
from callcenter.live import LiveFeed
from callcenter.phones import known_caller
from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.cases import NewCase, create_in
from callcenter.tickets.workflow import SYSTEM
from callcenter.transcribe import jobs
from callcenter.transcribe.models import TranscriptionJob, VoicemailDraft
from callcenter.transcribe.prefill import DRAFT_KIND, SYSTEM_ACTOR, extracted_from, prefill_case
from callcenter.transcribe.tables import KeywordTable
from callcenter.transcribe.voicemail import (
    MetadataError,
    SpoolPathError,
    audio_candidates,
    metadata_int,
    parse_callerid,
    read_metadata,
    resolve_message,
)
from callcenter.transcribe.worker import JobResult

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
Clock = Callable[[], dt.datetime]
SCAN_HORIZON = dt.timedelta(days=30)  # enqueue_missing looks back this far


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the message on disk -------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """What the spool holds for a message path from AMI."""

    audio: list[Path] = field(default_factory=list)  # existing recordings, best first
    metadata: dict[str, str] | None = None
    refused: str | None = None  # the path is unusable (permanent)
    note: str | None = None


def inspect_message(spool_dir: Path | None, message_path: str | None) -> Inspection:
    """Resolve ``message_path`` (untrusted) inside ``spool_dir``; list its recordings and
    read its metadata. Blocking file I/O: run it in a thread."""
    if not message_path:
        return Inspection(refused="no recording path was logged for this call")
    if spool_dir is None:
        return Inspection()
    try:
        base = resolve_message(spool_dir, message_path)
    except SpoolPathError as exc:
        return Inspection(refused=f"recording refused: {exc}")
    try:
        metadata, note = read_metadata(base), None
    except MetadataError as exc:
        metadata, note = None, f"message metadata unreadable: {exc}"
    return Inspection(audio_candidates(base), metadata, None, note)


def status_text(status: str, reason: str | None) -> str:
    """What the panel shows: "transcribing…", "transcription unavailable: <reason>", …"""
    if status == "transcribing":
        return "transcribing…"
    if status == "transcribed":
        return "transcribed" + (f": {reason}" if reason else "")
    label = "transcription unavailable" if status == "unavailable" else "transcription failed"
    return f"{label}: {reason or 'unknown reason'}"


def draft_message(*, case_id: int | None, call_id: int, linkedid: str, caller_number: str, status: str,
                  reason: str | None) -> dict[str, Any]:  # fmt: skip
    """The live feed's announcement of a draft (created or changed)."""
    return {
        "type": "draft", "case_id": case_id, "call_id": call_id, "linkedid": linkedid,
        "caller_number": caller_number, "status": status, "status_text": status_text(status, reason),
    }  # fmt: skip


def publish(feed: LiveFeed | None, message: dict[str, Any]) -> None:
    if feed is None:
        return
    try:
        feed.publish(message)
    except Exception:
        log.exception("voicemail: publishing draft of case %s failed", message.get("case_id"))


# --- creating drafts -----------------------------------------------------------------


async def on_call_logged(
    sessions: Sessions, call_id: int, *, feed: LiveFeed | None = None, spool_dir: Path | None = None,
    clock: Clock = utcnow,
) -> None:  # fmt: skip
    """Hook run after a call is committed: a draft case and a transcription job for a
    voicemail call. Idempotent; never raises (the call log must not break): errors are
    logged, and :func:`enqueue_missing` picks the call up later."""
    try:
        await create_draft(sessions, call_id, feed=feed, spool_dir=spool_dir, now=clock())
    except Exception:
        log.exception("voicemail: draft for call %d not created; the next scan retries", call_id)


async def on_call_ended(
    sessions: Sessions, linkedid: str, *, feed: LiveFeed | None = None, spool_dir: Path | None = None,
    clock: Clock = utcnow,
) -> int:  # fmt: skip
    """Like :func:`on_call_logged`, from a live-feed "call ended" message (which names the
    Linkedid, not the row): the drafts of that Linkedid's recent voicemail calls; how many."""
    now = clock()
    made = 0
    try:
        async with sessions() as session:
            ids = (await session.scalars(select(Call.id).where(
                Call.linkedid == linkedid, Call.disposition == "voicemail", Call.status == "ended",
                Call.started_at >= now - SCAN_HORIZON, ~exists().where(VoicemailDraft.call_id == Call.id),
            ))).all()  # fmt: skip
        for call_id in ids:
            made += await create_draft(sessions, call_id, feed=feed, spool_dir=spool_dir, now=now) is not None
    except Exception:
        log.exception("voicemail: draft for call %s not created; the next scan retries", linkedid)
    return made


async def on_call_recovered(
    sessions: Sessions, call_id: int, *, feed: LiveFeed | None = None, spool_dir: Path | None = None,
    clock: Clock = utcnow,
) -> int:  # fmt: skip
    """Like :func:`on_call_ended`, for a call the reconciler recovered from the CDR (named by
    its row id): its draft, if it is a voicemail call within the scan's horizon (a first
    start on a long Master.csv recovers years of calls: no drafts for those); how many."""
    now = clock()
    try:
        async with sessions() as session:
            started = await session.scalar(select(Call.started_at).where(Call.id == call_id))
        if started is None or started < now - SCAN_HORIZON:
            return 0
        return int(await create_draft(sessions, call_id, feed=feed, spool_dir=spool_dir, now=now) is not None)
    except Exception:
        log.exception("voicemail: draft for recovered call %d not created; the next scan retries", call_id)
        return 0


async def drafts_for(
    sessions: Sessions, message: dict[str, Any], *, feed: LiveFeed | None = None, spool_dir: Path | None = None,
    clock: Clock = utcnow,
) -> int:  # fmt: skip
    """The drafts a live-feed message calls for: an ended voicemail call the recorder followed
    (``call``, named by its Linkedid) or one the reconciler recovered (``call_recovered``,
    named by its row id); how many were made."""
    if not message.get("voicemail"):
        return 0
    if message.get("type") == "call" and message.get("ended"):
        return await on_call_ended(sessions, str(message.get("linkedid")), feed=feed, spool_dir=spool_dir,
                                   clock=clock)  # fmt: skip
    call_id = message.get("call_id")
    if message.get("type") == RECOVERED and isinstance(call_id, int) and not isinstance(call_id, bool):
        return await on_call_recovered(sessions, call_id, feed=feed, spool_dir=spool_dir, clock=clock)
    return 0


async def follow(
    sessions: Sessions, feed: LiveFeed, *, spool_dir: Path | None = None, clock: Clock = utcnow,
    on_draft: Callable[[], None] | None = None,
) -> None:  # fmt: skip
    """Forever: a draft as soon as the live feed announces a voicemail call that ended or
    was recovered (run it as a task you own; cancel it to stop). ``on_draft`` is called
    after drafts were made (e.g. ``Transcriber.wake``). The feed drops messages for a slow
    subscriber: :func:`enqueue_missing`, run periodically, catches what this misses."""
    async with feed.subscribe() as sub:
        while True:
            message = await sub.get()
            made = await drafts_for(sessions, message, feed=feed, spool_dir=spool_dir, clock=clock)
            if made and on_draft is not None:
                on_draft()


async def enqueue_missing(
    sessions: Sessions, feed: LiveFeed | None = None, *, spool_dir: Path | None = None, clock: Clock = utcnow,
    horizon: dt.timedelta = SCAN_HORIZON,
) -> int:  # fmt: skip
    """Create the drafts of voicemail calls (ended within ``horizon``) that have none; how many."""
    now = clock()
    async with sessions() as session:
        ids = (await session.scalars(
            select(Call.id).where(
                Call.disposition == "voicemail", Call.status == "ended", Call.started_at >= now - horizon,
                ~exists().where(VoicemailDraft.call_id == Call.id),
            ).order_by(Call.id)
        )).all()  # fmt: skip
    made = 0
    for call_id in ids:
        try:
            made += await create_draft(sessions, call_id, feed=feed, spool_dir=spool_dir, now=now) is not None
        except Exception:
            log.exception("voicemail: draft for call %d not created", call_id)
    if made:
        log.info("voicemail: created %d missing draft(s)", made)
    return made


async def create_draft(
    sessions: Sessions, call_id: int, *, now: dt.datetime, feed: LiveFeed | None = None,
    spool_dir: Path | None = None,
) -> int | None:  # fmt: skip
    """Create the draft of voicemail call ``call_id``; its case id, or None if the call is not
    an ended voicemail call or already has a draft."""
    async with sessions() as session:
        call = await session.get(Call, call_id)
        if call is None or call.disposition != "voicemail" or call.status != "ended":
            return None
        if await session.scalar(select(VoicemailDraft.id).where(VoicemailDraft.call_id == call_id)):
            return None
    inspection = await asyncio.to_thread(inspect_message, spool_dir, call.voicemail_path)
    try:
        async with sessions() as session, session.begin():
            case_id, status, reason = await _insert(session, call, inspection, now)
    except IntegrityError:
        async with sessions() as session:
            if await session.scalar(select(VoicemailDraft.id).where(VoicemailDraft.call_id == call_id)):
                return None  # another instance was first
        raise
    log.info("voicemail: call %s from %r: draft case %d (%s)", call.linkedid, call.caller_number, case_id,
             status_text(status, reason))  # fmt: skip
    publish(feed, draft_message(case_id=case_id, call_id=call.id, linkedid=call.linkedid,
                                 caller_number=call.caller_number, status=status, reason=reason))  # fmt: skip
    return case_id


async def _insert(session: AsyncSession, call: Call, seen: Inspection, now: dt.datetime) -> tuple[int, str, str | None]:
    meta = seen.metadata or {}
    status, reason = ("failed", seen.refused) if seen.refused else ("transcribing", None)
    draft = VoicemailDraft(
        call_id=call.id, message_path=(call.voicemail_path or "")[:1024] or None,
        audio_path=str(seen.audio[0]) if seen.audio else None, message_info=meta,
        callerid=meta.get("callerid"), origtime=_epoch(metadata_int(meta, "origtime")),
        duration_seconds=_duration(meta, call), status=status, reason=reason, filled=[],
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(draft)
    await session.flush()  # the unique call_id: a second draft fails here, before the case
    clockwork = await load_clockwork(session)
    case = await create_in(session, _new_case(call, meta), actor=SYSTEM_ACTOR, role=SYSTEM, now=now,
                           accept=False, call_id=call.id, clockwork=clockwork)  # fmt: skip
    draft.case_id = case.id
    session.add(TranscriptionJob(
        draft_id=draft.id, state="failed" if seen.refused else "queued", attempts=0, last_error=seen.refused,
        next_attempt_at=now, created_at=now, updated_at=now, finished_at=now if seen.refused else None,
    ))  # fmt: skip
    if seen.note:
        log.warning("voicemail: call %s: %s", call.linkedid, seen.note)
    return case.id, status, reason


def _new_case(call: Call, meta: dict[str, str]) -> NewCase:
    name, number = parse_callerid(meta.get("callerid", ""))
    return NewCase(
        kind=DRAFT_KIND, source="voicemail",
        # A withheld caller ID ("anonymous" / "Anonymous") is no name and no number to call back.
        caller_name=(known_caller(call.caller_name) or known_caller(name) or "")[:128],
        caller_phone=(known_caller(call.caller_number) or known_caller(number) or "")[:64],
        received_at=call.ended_at or call.started_at,
    )  # fmt: skip


def _epoch(seconds: int | None) -> dt.datetime | None:
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _duration(meta: dict[str, str], call: Call) -> float | None:
    seconds = metadata_int(meta, "duration")
    return float(seconds) if seconds is not None else call.voicemail_duration


# --- storing what the job runner found ----------------------------------------------


async def store_transcript(
    sessions: Sessions, job: jobs.ClaimedJob, name: str, now: dt.datetime, result: JobResult, model: str | None,
    *, keywords: KeywordTable | None = None,
) -> bool:  # fmt: skip
    """Store a transcript: job done, draft filled in, the case's empty fields pre-filled
    (the category's hint from ``keywords``: the table the fields were read with).
    False (nothing written) if ``name`` no longer holds the job."""
    transcript = result.transcript or {}
    async with sessions() as session, session.begin():
        if not await jobs.settle(session, job.id, name, now, state="done"):
            return False
        filled: list[str] = []
        if job.case_id is not None:
            filled = await prefill_case(session, job.case_id, extracted_from(result.extracted),
                                        str(transcript.get("text") or ""), now, keywords=keywords)  # fmt: skip
        await session.execute(update(VoicemailDraft).where(VoicemailDraft.id == job.draft_id).values(
            status="transcribed", reason=result.note, transcript=transcript.get("text") or "",
            confidence=transcript.get("confidence"), words=transcript.get("words") or [],
            extracted=result.extracted, filled=filled, model=(model or "")[:256] or None,
            audio_path=(result.audio_path or "")[:1024] or None, transcribed_at=now, updated_at=now,
        ))  # fmt: skip
    return True


async def store_outcome(
    sessions: Sessions, job: jobs.ClaimedJob, name: str, now: dt.datetime, *, job_state: str,
    status: str, reason: str | None, retry_at: dt.datetime | None = None,
) -> bool:  # fmt: skip
    """Settle the job without a transcript (retry, failure, model unavailable) and say why
    on the draft. False (nothing written) if ``name`` no longer holds the job."""
    async with sessions() as session, session.begin():
        if not await jobs.settle(session, job.id, name, now, state=job_state, error=reason, retry_at=retry_at):
            return False
        await session.execute(update(VoicemailDraft).where(VoicemailDraft.id == job.draft_id)
                              .values(status=status, reason=reason, updated_at=now))  # fmt: skip
    return True


async def mark_transcribing(session: AsyncSession, draft_ids: Sequence[int], now: dt.datetime) -> None:
    """Drafts whose jobs were queued again show "transcribing…" again."""
    if draft_ids:
        await session.execute(update(VoicemailDraft).where(VoicemailDraft.id.in_(draft_ids))
                              .values(status="transcribing", reason=None, updated_at=now))  # fmt: skip
