"""Tables of the voicemail pipeline: one draft per voicemail call, one transcription job per draft.

On ``callcenter.db.models.Base`` (one metadata); created by migration 0004. Times are UTC.

``voicemail_drafts`` is what the clerk sees next to the draft case: the recording, the
metadata Asterisk wrote, the transcript with its words and confidence, the fields read
from it, and why there is no transcript when there is none. ``transcription_jobs`` is the
durable work queue: claimed with a conditional UPDATE and a lease, retried with backoff.
``extraction_tables`` (migration 0008) holds the keyword table and the gazetteer as an
administrator edited them (:mod:`callcenter.transcribe.table_store`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db.models import Base, UTCDateTime

# Draft status (what the panel shows): transcribing → transcribed | unavailable | failed.
DRAFT_STATUSES = ("transcribing", "transcribed", "unavailable", "failed")
# Job state: queued → running → done | failed | unavailable (queued again on retry).
JOB_STATES = ("queued", "running", "done", "failed", "unavailable")


class VoicemailDraft(Base):
    """The voicemail behind a draft case: recording, metadata, transcript, extracted fields."""

    __tablename__ = "voicemail_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    message_path: Mapped[str | None] = mapped_column(String(1024))  # as Asterisk logged it (untrusted)
    audio_path: Mapped[str | None] = mapped_column(String(1024))  # resolved, inside the spool
    message_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the .txt's [message]
    callerid: Mapped[str | None] = mapped_column(String(1024))
    origtime: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    words: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    extracted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    filled: Mapped[list[str]] = mapped_column(JSON, default=list)  # case fields set from the transcript
    model: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    transcribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TranscriptionJob(Base):
    """The durable transcription job of one draft; ``claimed_by``/``lease_until`` is the claim."""

    __tablename__ = "transcription_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("voicemail_drafts.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_transcription_jobs_due", "state", "next_attempt_at"),)


class ExtractionTable(Base):
    """An edited extraction table (``keywords`` or ``gazetteer``): its TOML text. No row:
    the packaged file is in force. ``version`` only grows (also across resets)."""

    __tablename__ = "extraction_tables"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
