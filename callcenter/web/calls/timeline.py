"""A call's legs as a timeline: one event per thing that happened to a channel, in time order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from callcenter.db.models import CallLeg

# (leg attribute, event kind), in the order they happen to one leg
STEPS = (("created_at", "created"), ("rang_at", "ringing"), ("up_at", "up"),
         ("bridged_at", "bridged"), ("ended_at", "ended"))  # fmt: skip


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # created | ringing | up | bridged | ended
    role: str  # caller | agent | transfer | local
    extension: str | None
    channel: str
    detail: str  # hangup cause / dial status, for "ended"


def timeline(legs: Iterable[CallLeg]) -> list[Event]:
    events: list[tuple[datetime, int, int, Event]] = []
    for order, leg in enumerate(legs):
        for step, (attr, kind) in enumerate(STEPS):
            at = getattr(leg, attr)
            if at is None:
                continue
            detail = ""
            if kind == "ended":
                detail = " ".join(x for x in (leg.dial_status or "", f"cause {leg.hangup_cause}" if leg.hangup_cause else "") if x)
            events.append((at, step, order, Event(at, kind, leg.role, leg.extension, leg.channel, detail)))
    events.sort(key=lambda item: item[:3])
    return [event for *_, event in events]
