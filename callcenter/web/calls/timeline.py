"""A call's legs as a timeline a clerk reads: who was called, who answered, how each leg ended.

One event per thing that happened to a leg, in time order, told in plain words: the caller's
leg is 来电方 and its number, a clerk's phone is the clerk (name and extension), a transfer
target its extension. Asterisk's plumbing stays out: ``Local/`` channels, the channel names,
and the hangup causes / dial statuses, which become 无人接听, 忙, 拒接, 他人已接听, 未注册或不可达 …
(the channel and the raw cause stay in the database and the API).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from callcenter.db.models import CallLeg

SAME_MOMENT = timedelta(seconds=1)

# Dial statuses (DialEnd / DIALSTATUS) of a leg that was not answered → the outcome's key.
DIAL_OUTCOMES = {
    "NOANSWER": "noanswer", "BUSY": "busy", "CONGESTION": "unreachable", "CHANUNAVAIL": "unreachable",
    "INVALIDARGS": "failed", "DONTCALL": "rejected", "TORTURE": "rejected",
}  # fmt: skip
# Q.850 hangup causes (Asterisk's Cause header) → the outcome's key; 16 (normal clearing) and
# 0 (unknown) say nothing a clerk needs.
CAUSE_OUTCOMES = {
    "1": "unreachable", "3": "unreachable", "17": "busy", "18": "noanswer", "19": "noanswer",
    "20": "unreachable", "21": "rejected", "26": "elsewhere", "27": "unreachable", "31": "noanswer",
    "34": "unreachable", "38": "unreachable", "41": "unreachable", "42": "unreachable",
}  # fmt: skip


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # incoming | calling | ringing | answered | connected | voicemail | system | missed | hungup | ended
    role: str  # caller | agent | transfer
    extension: str | None
    channel: str  # kept for the record; the page does not show it
    outcome: str = ""  # why a leg was not answered: noanswer | busy | rejected | unreachable | elsewhere | gave_up | failed


def outcome(leg: CallLeg) -> str:
    """Why a clerk's (or transfer target's) phone did not answer, as a key; "" if it did."""
    status = (leg.dial_status or "").upper()
    if status == "ANSWER" or leg.up_at is not None:
        return ""
    if status == "CANCEL":  # the call stopped ringing this phone: answered elsewhere, or the caller left
        return "elsewhere" if leg.hangup_cause == "26" else "gave_up"
    if status in DIAL_OUTCOMES:
        return DIAL_OUTCOMES[status]
    return CAUSE_OUTCOMES.get(leg.hangup_cause or "", "")


def timeline(legs: Iterable[CallLeg], disposition: str | None = None) -> list[Event]:
    legs = [leg for leg in legs if leg.role != "local"]  # Local/ channels are the PBX's plumbing
    phones_up = [leg.up_at for leg in legs if leg.role != "caller" and leg.up_at is not None]
    events: list[tuple[datetime, int, int, Event]] = []

    def add(at: datetime | None, step: int, order: int, leg: CallLeg, kind: str, why: str = "") -> None:
        if at is not None:
            events.append((at, step, order, Event(at, kind, leg.role, leg.extension, leg.channel, why)))

    for order, leg in enumerate(legs):
        if leg.role == "caller":
            add(leg.created_at, 0, order, leg, "incoming")
            answered_by_phone = any(abs(up - leg.up_at) <= SAME_MOMENT for up in phones_up) if leg.up_at else True
            if not answered_by_phone:  # the PBX itself answered: the voicemail, or a busy announcement
                add(leg.up_at, 2, order, leg, "voicemail" if disposition == "voicemail" else "system")
            add(leg.ended_at, 4, order, leg, "ended")
            continue
        if leg.rang_at is None:
            add(leg.created_at, 0, order, leg, "calling")
        add(leg.rang_at, 1, order, leg, "ringing")
        add(leg.up_at, 2, order, leg, "answered")
        if leg.bridged_at is not None and (leg.up_at is None or leg.bridged_at - leg.up_at > SAME_MOMENT):
            add(leg.bridged_at, 3, order, leg, "connected")
        add(leg.ended_at, 4, order, leg, "hungup" if leg.up_at is not None else "missed", outcome(leg))
    events.sort(key=lambda item: item[:3])
    return [event for *_, event in events]
