"""SQLAlchemy 2 models. Times are stored in UTC; the panel shows Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Call(Base):
    """One call to the PBX: everything that shared a Linkedid."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | ended
    source: Mapped[str] = mapped_column(String(16), default="live")  # live | recovered
    caller_number: Mapped[str] = mapped_column(String(512), default="", index=True)
    caller_name: Mapped[str] = mapped_column(String(512), default="")
    dialed_number: Mapped[str] = mapped_column(String(512), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ring_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    disposition: Mapped[str | None] = mapped_column(String(16), index=True)
    abandon_stage: Mapped[str | None] = mapped_column(String(16))
    answered_by: Mapped[str | None] = mapped_column(String(64), index=True)
    transferred_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    voicemail_mailbox: Mapped[str | None] = mapped_column(String(128))
    voicemail_path: Mapped[str | None] = mapped_column(String(1024))
    voicemail_duration: Mapped[float | None] = mapped_column(Float)
    # True when part of the call happened while nobody listened and no CDR told the rest.
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    # The state machine's snapshot, so a restarted listener can adopt the call.
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    legs: Mapped[list[CallLeg]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallLeg.created_at"
    )

    __table_args__ = (
        # At most one open call per Linkedid: two listeners (or a restart) cannot open it twice.
        Index(
            "uq_calls_open_linkedid",
            "linkedid",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_calls_started_id", "started_at", "id"),
        # The caller ID names, for a name search too short for the trigram index (migration 0014).
        Index("ix_calls_named", "caller_name", "id", sqlite_where=text("caller_name <> ''"),
              postgresql_where=text("caller_name <> ''")),
        # What the queue figures read of a call (callcenter.analytics.kpi): an index-only scan.
        Index("ix_calls_kpi", "started_at", "status", "disposition", "abandon_stage", "ring_seconds",
              "talk_seconds", "answered_by", "id"),
    )


class CallLeg(Base):
    """One channel of a call: the caller, each phone rung, transfer targets, Local halves."""

    __tablename__ = "call_legs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(512))
    role: Mapped[str] = mapped_column(String(16))
    extension: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rang_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bridged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hangup_cause: Mapped[str | None] = mapped_column(String(16))
    dial_status: Mapped[str | None] = mapped_column(String(32))

    call: Mapped[Call] = relationship(back_populates="legs")

    __table_args__ = (UniqueConstraint("call_id", "uniqueid"), Index("ix_call_legs_rang_at", "rang_at"))


class CdrRow(Base):
    """A row of Asterisk's own CDR (from a ``Cdr`` AMI event or Master.csv)."""

    __tablename__ = "cdr_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(512))
    dstchannel: Mapped[str] = mapped_column(String(512), default="")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration: Mapped[int] = mapped_column(Integer, default=0)
    billsec: Mapped[int] = mapped_column(Integer, default=0)
    disposition: Mapped[str] = mapped_column(String(32), default="")
    src: Mapped[str] = mapped_column(String(512), default="")
    dst: Mapped[str] = mapped_column(String(512), default="")
    dcontext: Mapped[str] = mapped_column(String(128), default="")
    clid: Mapped[str] = mapped_column(String(1024), default="")
    lastapp: Mapped[str] = mapped_column(String(128), default="")
    lastdata: Mapped[str] = mapped_column(String(1024), default="")
    userfield: Mapped[str] = mapped_column(String(512), default="")
    origin: Mapped[str] = mapped_column(String(8))  # ami | csv
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)

    __table_args__ = (UniqueConstraint("uniqueid", "channel", "dstchannel", "start"),)


class Cursor(Base):
    """Where a reader of an external log stopped (e.g. Master.csv byte offset)."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

from callcenter.web import models as _web_models  # noqa: E402,F401
from callcenter.tickets import models as _tickets_models  # noqa: E402,F401
from callcenter.transcribe import models as _transcribe_models  # noqa: E402,F401
from callcenter.live import events as _live_events  # noqa: E402,F401
from callcenter.ami import clerk_store as _clerk_store  # noqa: E402,F401
from callcenter.analytics import past as _kpi_past  # noqa: E402,F401
