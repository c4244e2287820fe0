"""Tables of the web panel: accounts, server-side sessions, login throttling, call notes.

Created by migration 0003 (a branch of its own beside the cases module's 0002).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db.models import Base, UTCDateTime


class User(Base):
    """A person who logs into the panel. Never deleted: disabled (``active = False``)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16))
    # The heating station a ``station`` account speaks for (its cases only).
    station_code: Mapped[str | None] = mapped_column(String(32))
    # The heating management office (``units.code``) an ``office_head`` account heads (web/scope.py).
    office_code: Mapped[str | None] = mapped_column(String(64))
    # The clerk's phone extension (matches ``calls.answered_by``), if any.
    extension: Mapped[str | None] = mapped_column(String(32), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A login. The encrypted cookie carries the id; the row can be revoked."""

    __tablename__ = "web_sessions"

    # SHA-256 (hex) of the random id in the cookie: a leaked table gives no usable ids.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(256), default="")


class LoginFailure(Base):
    """Failed logins per (username, client address): survives restarts, shared by instances."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallNote(Base):
    """What a clerk completes about a call, and whether a missed call was called back.

    Every change goes through ``callcenter.web.calls.notes`` which audits it; ``version`` makes
    concurrent edits fail loudly instead of overwriting each other.
    """

    __tablename__ = "call_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    caller_name: Mapped[str] = mapped_column(String(128), default="")
    address: Mapped[str] = mapped_column(String(256), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32), default="")
    called_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_back_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("call_id"),)
