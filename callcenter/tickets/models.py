"""Tables of cases, their clocks, notifications, the working-day calendar and the audit chain.

On ``callcenter.db.models.Base`` (one metadata); created by migration 0002. Times are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db.models import Base, UTCDateTime


class Unit(Base):
    """A unit of the organisation: heating office (供热管理所), station, department, …"""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # office | station | department | property_office | …
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    phone: Mapped[str] = mapped_column(String(64), default="")
    # Retired (never deleted while cases, people or accounts refer to it): no new assignments.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Person(Base):
    """Someone cases refer to; ``login`` matches ``calls.answered_by`` (extension) or a panel user."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    phone: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Case(Base):
    """A case (件): complaint, supervision case, repair, consultation, application, temperature."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    category: Mapped[str] = mapped_column(String(64), default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    severity: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    difficult: Mapped[bool] = mapped_column(Boolean, default=False)
    caller_name: Mapped[str] = mapped_column(String(128), default="")
    caller_phone: Mapped[str] = mapped_column(String(64), default="", index=True)
    compound: Mapped[str] = mapped_column(String(128), default="")  # 小区
    building: Mapped[str] = mapped_column(String(32), default="")  # 楼号
    unit_no: Mapped[str] = mapped_column(String(32), default="")  # 单元
    room: Mapped[str] = mapped_column(String(32), default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    damage: Mapped[str] = mapped_column(Text, default="")  # 毁损情况
    station_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    responsible_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    office_head_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    first_responder: Mapped[str | None] = mapped_column(String(64), index=True)  # 首问责任人
    created_by: Mapped[str] = mapped_column(String(64))
    property_limit_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # 物业办's own limit
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # hotline got it (受理 clock start)
    department_received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # D1 start
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_upward_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    callback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    callback_result: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    manager_signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    manager_signed_by: Mapped[str | None] = mapped_column(String(64))
    manager_opinion: Mapped[str | None] = mapped_column(Text)
    suspended_from: Mapped[str | None] = mapped_column(String(32))
    suspension_approved_by: Mapped[str | None] = mapped_column(String(128))
    suspension_ref: Mapped[str | None] = mapped_column(String(128))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    second_complaints: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)


class CaseCall(Base):
    """A call linked to a case (the first call, repeat calls, second complaints)."""

    __tablename__ = "case_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # first | repeat | second_complaint | manual
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    linked_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("case_id", "call_id"),)


class CaseEvent(Base):
    """One transition of a case: who, when, why, from which state to which."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseDeadline(Base):
    """One clock of one rule on one case; ``next_action_at`` is what the sweep scans."""

    __tablename__ = "case_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(32))  # D1 … D9, D4.major, ESC (二次投诉)
    state: Mapped[str] = mapped_column(String(16))  # open | paused | met | late | cancelled
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)  # property office's limit
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    level: Mapped[int] = mapped_column(Integer, default=0)
    warned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_action_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_case_deadlines_sweep", "state", "next_action_at"),
        # At most one running (open or paused) clock per rule and case.
        Index(
            "uq_case_deadlines_running",
            "case_id",
            "rule_id",
            unique=True,
            sqlite_where=text("stopped_at IS NULL"),
            postgresql_where=text("stopped_at IS NULL"),
        ),
    )


class Outbox(Base):
    """A notification (催办, breach, escalation, instruction); ``key`` makes doubling impossible."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("case_deadlines.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # reminder | breach | escalation | instruction | …
    level: Mapped[int] = mapped_column(Integer, default=0)
    recipient_role: Mapped[str] = mapped_column(String(32), index=True)
    recipient: Mapped[str | None] = mapped_column(String(64), index=True)  # a person's login
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deliver_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)  # held to business hours
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # webhook delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CalendarDay(Base):
    """A day that differs from plain Monday–Friday (holiday on a weekday, worked weekend)."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(256), default="")
    source: Mapped[str] = mapped_column(String(16))  # seed | admin
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class CalendarYear(Base):
    """Status of a year: ``seeded`` (from chinese-calendar), ``confirmed`` (by an administrator)
    or ``unknown`` (counted Monday–Friday: the panel shows the warning)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(256), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class TicketSetting(Base):
    """Editable settings of the tickets area (e.g. ``business_hours``)."""

    __tablename__ = "ticket_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Append-only, hash-chained record of a change a person made (one row per field)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    before: Mapped[str] = mapped_column(Text)  # canonical JSON of the old value
    after: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    key_id: Mapped[str | None] = mapped_column(String(16))  # the audit key that sealed it (audit_keys)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class AuditHead(Base):
    """The lock row of the chain: the last sequence number and hash (one row, id 1)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class NoticeRead(Base):
    """A person has read a notice in the panel's inbox (one row per notice and person)."""

    __tablename__ = "notice_reads"
    __table_args__ = (UniqueConstraint("outbox_id", "username", name="uq_notice_reads_outbox_id_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DutyShift(Base):
    """值班: who (a panel account) is on duty from ``starts_at`` to ``ends_at`` (UTC); the
    addressee of the duty notices. Overlaps: the shift that started last wins."""

    __tablename__ = "duty_rota"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
