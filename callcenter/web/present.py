"""How calls look to the outside: JSON for the API, values and filters for the templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.calls_export import call_to_dict
from callcenter.db.models import Call
from callcenter.web.models import CallNote, User


def iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def note_json(note: CallNote | None, tz: ZoneInfo) -> dict[str, Any]:
    if note is None:
        return {"caller_name": "", "address": "", "summary": "", "category": "", "version": 0,
                "called_back_at": None, "called_back_by": None, "updated_at": None, "updated_by": None}  # fmt: skip
    return {
        "caller_name": note.caller_name,
        "address": note.address,
        "summary": note.summary,
        "category": note.category,
        "version": note.version,
        "called_back_at": iso(note.called_back_at, tz),
        "called_back_by": note.called_back_by,
        "updated_at": iso(note.updated_at, tz),
        "updated_by": note.updated_by,
    }


def call_json(call: Call, note: CallNote | None, tz: ZoneInfo, clerks: dict[str, str]) -> dict[str, Any]:
    """``call_to_dict`` (the export contract) plus id, clerk name, notes and the audio URL."""
    data = call_to_dict(call, tz)
    data["id"] = call.id
    data["answered_by_name"] = clerks.get(call.answered_by or "")
    if data["voicemail"] is not None:
        # The PBX's file path is an internal detail; the browser gets a URL.
        data["voicemail"] = {
            "mailbox": data["voicemail"]["mailbox"],
            "duration_seconds": data["voicemail"]["duration_seconds"],
            "audio_url": f"/calls/{call.id}/audio",
        }
    data["notes"] = note_json(note, tz)
    return data


async def clerk_names(session: AsyncSession) -> dict[str, str]:
    """Phone extension → clerk's display name (accounts that have an extension)."""
    rows = await session.execute(select(User.extension, User.display_name).where(User.extension.is_not(None)))
    return {ext: name for ext, name in rows.all() if ext}


def make_filters(tz: ZoneInfo) -> dict[str, Any]:
    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        return value.astimezone(tz).strftime(fmt) if value else ""

    def epoch_local(value: float | None, fmt: str = "%H:%M:%S") -> str:
        return datetime.fromtimestamp(value, tz).strftime(fmt) if value is not None else ""

    def duration(value: float | None) -> str:
        if value is None:
            return ""
        total = int(round(value))
        minutes, seconds = divmod(total, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"

    def iso_local(value: str | None) -> str:
        try:
            return localtime(datetime.fromisoformat(value), "%Y-%m-%d %H:%M") if value else ""
        except ValueError:
            return value or ""

    return {"localtime": localtime, "epoch_local": epoch_local, "duration": duration, "iso_local": iso_local}
