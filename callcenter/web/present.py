"""How calls look to the outside: JSON for the API, values and filters for the templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from callcenter import audit, phones
from callcenter.calls_export import call_to_dict
from callcenter.db.models import Call
from callcenter.web import keys
from callcenter.web.models import CallNote
from callcenter.web.names import Snapshot


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """``web.json_response`` with orjson (the lists' JSON costs a fifth of json.dumps's)."""
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


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


async def names_of(request: web.Request) -> Snapshot:
    """Units, people and clerks' names (the app's snapshot, see :mod:`callcenter.web.names`)."""
    snapshot = await request.app[keys.NAMES].get(request.app[keys.READS])
    return snapshot.in_lang(request.get(keys.LANG, "zh"))


# A withheld caller ID ("anonymous" / "Anonymous") reads 未显示号码: callcenter.phones.known_caller.
known_caller = phones.known_caller
WITHHELD = phones.WITHHELD


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

    return {"localtime": localtime, "epoch_local": epoch_local, "duration": duration, "iso_local": iso_local,
            "countdown": countdown, "fromjson": audit.decoded, "phone": phones.shown,
            "known_caller": known_caller}  # fmt: skip


def countdown(seconds: int, state: str = "open", lang: str = "zh") -> str:
    """Time left (or late) as the case pages show it; ``static/cases.js`` ticks the same format."""
    zh = lang != "en"
    late = seconds < 0
    rest = abs(int(seconds))
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}" if days else f"{hours:02d}:{minutes:02d}:{secs:02d}"
    span = (f"{days}{'天' if zh else 'd'} " if days else "") + clock
    if state == "paused":
        return ("已暂停 " if zh else "paused ") + span
    if late:
        return ("超时 " if zh else "late ") + span
    return ("剩 " if zh else "") + span + ("" if zh else " left")
