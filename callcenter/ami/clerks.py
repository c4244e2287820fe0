"""Clerk phones, live: a pure state machine over typed events, like the call log (``calls``).

``apply(board, event) -> changed extensions``; no I/O, no clock reads: every time comes from
the event. What a clerk's phone is doing comes from four sources, each keyed by the extension
(``SIP/8001``, ``PJSIP/8001``, ``Local/8001@from-queue/n`` → ``8001``):

- the queue (``QueueMemberStatus`` / ``Added`` / ``Removed`` / ``Pause``, and ``QueueMember``
  rows of a ``QueueStatus`` answer): member of which queues, paused and why, device status;
- the device state (``DeviceStateChange``, also the rows of a ``DeviceStateList`` answer);
- the registration (``ContactStatus`` / ``ContactList`` rows for PJSIP, ``PeerStatus`` for chan_sip);
- the calls: ``AgentCalled`` / ``AgentConnect`` / ``AgentComplete`` / ``AgentRingNoAnswer`` /
  ``AgentDump``, and the call log's own legs (:class:`CallLegs`, made from a ``CallState`` by
  :func:`legs_of`), which also see a plain ``Dial`` to the clerks, outside any queue.

The state shown (:func:`view`), first match wins:
``hotline_call`` (bridged with a caller the PBX rang the clerk for: with whom, since when) →
``other_call`` (the phone is in use otherwise: the clerk dialled out, an internal call) →
``ringing`` → ``offline`` (unreachable, unavailable, or logged out of every queue) →
``paused`` (with the reason) → ``free`` → ``unknown`` (nothing heard about the phone yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from callcenter.ami.calls import CallState
from callcenter.ami.events import CLERK_EVENTS

# The AMI events this module reads (the listener lets them through: events.WANTED).
EVENTS = CLERK_EVENTS
STATES = ("hotline_call", "other_call", "ringing", "offline", "paused", "free", "unknown")
# ast_device_state numbers as QueueMemberStatus' Status carries them.
DEVICE_STATES = ("UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD")
IN_USE = frozenset({"INUSE", "BUSY", "ONHOLD", "RINGINUSE"})
GONE = frozenset({"UNAVAILABLE", "INVALID"})
MAX_TEXT = 128
MAX_FINISHED = 32
_SUFFIX = re.compile(r"-[0-9a-fA-F]+$")


def extension_of(interface: str) -> str | None:
    """``SIP/8001`` / ``PJSIP/8001`` / ``SIP/8001-0000000a`` / ``Local/8001@ctx/n`` → ``8001``."""
    if not interface or "/" not in interface or interface.startswith(("Queue:", "Custom:")):
        return None
    peer = interface.split("/", 1)[1].split("@", 1)[0].split("/", 1)[0]
    peer = _SUFFIX.sub("", peer)
    return peer[:MAX_TEXT] or None


# ------------------------------------------------------------------------------ typed events


@dataclass(frozen=True, slots=True)
class Member:
    """A queue member's row: QueueMemberStatus/Added/Pause, or QueueMember of a QueueStatus."""

    time: float
    extension: str
    queue: str
    name: str
    device: str | None  # from Status; None when not sent
    paused: bool | None
    reason: str
    removed: bool = False


@dataclass(frozen=True, slots=True)
class Device:
    time: float
    extension: str
    state: str


@dataclass(frozen=True, slots=True)
class Contact:
    time: float
    extension: str
    reachable: bool | None


@dataclass(frozen=True, slots=True)
class Agent:
    """AgentCalled (ringing) / AgentConnect (talking) / AgentComplete, RingNoAnswer, Dump (done)."""

    time: float
    extension: str
    linkedid: str
    phase: str  # ringing | talking | done
    caller_number: str
    caller_name: str


@dataclass(frozen=True, slots=True)
class LegPhase:
    extension: str
    phase: str  # ringing | talking | done
    since: float
    hotline: bool
    peer_number: str  # with whom: the caller, or the number the clerk dialled
    peer_name: str


@dataclass(frozen=True, slots=True)
class CallLegs:
    """What one call's legs say about the clerk phones on it (from the call log's state)."""

    time: float
    linkedid: str
    legs: tuple[LegPhase, ...]


def _text(headers: Mapping[str, str], key: str) -> str:
    return (headers.get(key) or "")[:MAX_TEXT]


def _flag(raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    return raw.strip().lower() in ("1", "yes", "true")


def _device_of_status(raw: str | None) -> str | None:
    if raw is None or not raw.strip().isdigit():
        return None
    n = int(raw)
    return DEVICE_STATES[n] if n < len(DEVICE_STATES) else None


def parse(headers: Mapping[str, str], t: float) -> Member | Device | Contact | Agent | None:
    """A clerk event from an AMI message's headers, or None (not ours, or not about a phone)."""
    name = headers.get("Event", "")
    if name not in EVENTS:
        return None
    if name.startswith("QueueMember"):
        ext = extension_of(headers.get("StateInterface") or headers.get("Interface") or headers.get("Location") or "")
        if ext is None or not headers.get("Queue"):
            return None
        return Member(t, ext, _text(headers, "Queue"), _text(headers, "MemberName") or _text(headers, "Name"),
                      _device_of_status(headers.get("Status")), _flag(headers.get("Paused")),
                      _text(headers, "PausedReason") or _text(headers, "Reason"),
                      removed=name == "QueueMemberRemoved")  # fmt: skip
    if name == "DeviceStateChange":
        ext = extension_of(headers.get("Device", ""))
        state = (headers.get("State") or "").strip().upper()
        return Device(t, ext, state) if ext and state else None
    if name in ("ContactStatus", "ContactList", "PeerStatus"):
        return _contact(name, headers, t)
    ext = extension_of(headers.get("Interface") or headers.get("DestChannel") or "")
    linkedid = headers.get("Linkedid") or headers.get("DestLinkedid") or ""
    if ext is None or not linkedid:
        return None
    phase = {"AgentCalled": "ringing", "AgentConnect": "talking"}.get(name, "done")
    return Agent(t, ext, linkedid[:64], phase, _text(headers, "CallerIDNum"), _text(headers, "CallerIDName"))


def _contact(name: str, headers: Mapping[str, str], t: float) -> Contact | None:
    if name == "PeerStatus":
        ext = extension_of(headers.get("Peer", ""))
        status = (headers.get("PeerStatus") or "").lower()
        reachable = {"registered": True, "reachable": True, "unregistered": False, "unreachable": False,
                     "rejected": False}.get(status)  # fmt: skip
    else:
        ext = headers.get("EndpointName") or headers.get("Endpoint") or headers.get("AOR") or headers.get("Aor") or ""
        ext = ext.strip()[:MAX_TEXT] or None
        status = (headers.get("ContactStatus") or headers.get("Status") or "").lower()
        reachable = {"reachable": True, "created": True, "updated": True, "notqualified": True,
                     "unreachable": False, "removed": False}.get(status)  # fmt: skip
    return Contact(t, ext, reachable) if ext else None


def legs_of(state: CallState, t: float) -> CallLegs:
    """The phone legs of a call: a ring attempt the PBX made for the caller is a hotline leg;
    the caller's own channel (a clerk who dialled out) or a transfer target is not. Only
    extensions the board knows as clerks are kept by :func:`apply` (never the trunk)."""
    phases: dict[str, LegPhase] = {}
    rank = {"talking": 2, "ringing": 1, "done": 0}
    for leg in state.legs.values():
        if leg.extension is None or leg.role == "local":
            continue
        if leg.ended_at is not None:
            phase, since = "done", leg.ended_at
        elif leg.bridged_at is not None or leg.up_at is not None or leg.role == "caller":
            phase, since = "talking", leg.bridged_at or leg.up_at or leg.created_at
        elif leg.rang_at is not None:
            phase, since = "ringing", leg.rang_at
        else:
            continue
        if leg.role == "caller":
            peer = (state.dialed_number[:MAX_TEXT], "")
        else:
            peer = (state.caller_number[:MAX_TEXT], state.caller_name[:MAX_TEXT])
        known = phases.get(leg.extension)
        if known is None or rank[phase] > rank[known.phase]:
            phases[leg.extension] = LegPhase(leg.extension, phase, since, leg.role == "agent", *peer)
    return CallLegs(t, state.linkedid, tuple(phases.values()))


# ------------------------------------------------------------------------------ the board


@dataclass
class ClerkCall:
    linkedid: str
    caller_number: str
    caller_name: str
    hotline: bool
    phase: str  # ringing | talking
    since: float
    ending: bool = False  # over (AgentComplete, the leg hung up); shown until the phone is free


@dataclass
class Clerk:
    extension: str
    name: str = ""
    queues: set[str] = field(default_factory=set)
    member_seen: bool = False
    paused: bool = False
    pause_reason: str = ""
    device: str = "UNKNOWN"
    reachable: bool | None = None
    calls: dict[str, ClerkCall] = field(default_factory=dict)
    # Calls the queue said were completed (AgentComplete…): a late leg event cannot bring them back.
    finished: list[str] = field(default_factory=list)
    shown: str = "unknown"
    since: float | None = None


@dataclass
class Board:
    clerks: dict[str, Clerk] = field(default_factory=dict)
    devices: dict[str, str] = field(default_factory=dict)  # every phone's device state, clerk or not
    contacts: dict[str, bool | None] = field(default_factory=dict)

    def clerk(self, ext: str) -> Clerk:
        found = self.clerks.get(ext)
        if found is None:
            found = self.clerks[ext] = Clerk(ext, device=self.devices.get(ext, "UNKNOWN"),
                                             reachable=self.contacts.get(ext))  # fmt: skip
        return found


def apply(board: Board, event: Any) -> list[str]:
    """Advance the board by one event; the extensions whose shown state changed."""
    touched = _HANDLERS[type(event)](board, event)
    changed = []
    for ext in touched:
        clerk = board.clerks.get(ext)
        if clerk is None:
            continue
        before = (clerk.shown, _headline(clerk))
        clerk.shown = state_of(clerk)
        if (clerk.shown, _headline(clerk)) != before:
            clerk.since = _since(clerk, event.time)
            changed.append(ext)
    return changed


def _on_member(board: Board, ev: Member) -> list[str]:
    clerk = board.clerk(ev.extension)
    clerk.member_seen = True
    if ev.removed:
        clerk.queues.discard(ev.queue)
    else:
        clerk.queues.add(ev.queue)
    clerk.name = ev.name or clerk.name
    if ev.paused is not None:
        clerk.paused = ev.paused
        clerk.pause_reason = ev.reason if ev.paused else ""
    if ev.device is not None:
        clerk.device = board.devices[ev.extension] = ev.device
        if ev.device == "NOT_INUSE":
            _drop_ending(clerk)
    return [ev.extension]


def _drop_ending(clerk: Clerk) -> None:
    """The phone is free: calls that were over are gone now."""
    for linkedid in [k for k, c in clerk.calls.items() if c.ending]:
        del clerk.calls[linkedid]


def _on_device(board: Board, ev: Device) -> list[str]:
    board.devices[ev.extension] = ev.state
    clerk = board.clerks.get(ev.extension)
    if clerk is not None:
        clerk.device = ev.state
        if ev.state == "NOT_INUSE":
            _drop_ending(clerk)
    return [ev.extension]


def _on_contact(board: Board, ev: Contact) -> list[str]:
    board.contacts[ev.extension] = ev.reachable
    if ev.extension in board.clerks:
        board.clerks[ev.extension].reachable = ev.reachable
    return [ev.extension]


def _on_agent(board: Board, ev: Agent) -> list[str]:
    clerk = board.clerk(ev.extension)
    if ev.phase == "done":
        # A completed call stays shown until its leg hangs up or the phone is free again (ms).
        known = clerk.calls.get(ev.linkedid)
        if known is None or known.phase != "talking":
            clerk.calls.pop(ev.linkedid, None)
        else:
            known.ending = True
        clerk.finished = [*clerk.finished[-(MAX_FINISHED - 1):], ev.linkedid]
    else:
        known = clerk.calls.get(ev.linkedid)
        if known is None or known.phase != ev.phase:
            clerk.calls[ev.linkedid] = ClerkCall(ev.linkedid, ev.caller_number, ev.caller_name, True, ev.phase, ev.time)
    return [ev.extension]


def _on_legs(board: Board, ev: CallLegs) -> list[str]:
    touched = []
    for leg in ev.legs:
        if leg.extension not in board.clerks and not (leg.hotline and leg.phase != "done"):
            continue  # a phone that is no clerk's (the station, the trunk)
        clerk = board.clerk(leg.extension)
        if ev.linkedid in clerk.finished and leg.phase != "done":
            continue
        known = clerk.calls.get(ev.linkedid)
        if leg.phase == "done":
            if known is not None and known.phase == "talking" and clerk.device in IN_USE:
                # the phone's own "in use" lasts a few ms longer: the call stays shown until then
                known.ending = True
                clerk.finished = [*clerk.finished[-(MAX_FINISHED - 1):], ev.linkedid]
            else:
                clerk.calls.pop(ev.linkedid, None)
        else:
            if known is None or known.phase != leg.phase:
                clerk.calls[ev.linkedid] = ClerkCall(ev.linkedid, leg.peer_number, leg.peer_name, leg.hotline,
                                                     leg.phase, leg.since)  # fmt: skip
        touched.append(leg.extension)
    return touched


_HANDLERS: dict[type, Any] = {Member: _on_member, Device: _on_device, Contact: _on_contact, Agent: _on_agent,
                              CallLegs: _on_legs}  # fmt: skip


def _current(clerk: Clerk, phase: str) -> ClerkCall | None:
    calls = [c for c in clerk.calls.values() if c.phase == phase]
    return max(calls, key=lambda c: c.since) if calls else None


def state_of(clerk: Clerk) -> str:
    talking = _current(clerk, "talking")
    if talking is not None:
        return "hotline_call" if talking.hotline else "other_call"
    ringing = _current(clerk, "ringing")
    if clerk.device in IN_USE:
        # In use while a hotline call rings it: being answered (the bridge follows in ms).
        return "hotline_call" if ringing is not None and ringing.hotline else "other_call"
    if ringing is not None or clerk.device == "RINGING":
        return "ringing"
    if clerk.reachable is False or clerk.device in GONE or (clerk.member_seen and not clerk.queues):
        return "offline"
    if clerk.paused:
        return "paused"
    if clerk.device == "NOT_INUSE" or clerk.queues or clerk.reachable:
        return "free"
    return "unknown"


def _headline(clerk: Clerk) -> tuple[str, ...]:
    """What, besides the state, makes the shown line different (the call, the reason)."""
    call = _shown_call(clerk)
    return (call.linkedid, call.caller_number) if call else (clerk.pause_reason,)


def _shown_call(clerk: Clerk) -> ClerkCall | None:
    if clerk.shown in ("hotline_call", "other_call"):
        return _current(clerk, "talking") or _current(clerk, "ringing")
    return _current(clerk, "ringing") if clerk.shown == "ringing" else None


def _since(clerk: Clerk, t: float) -> float:
    call = _shown_call(clerk)
    if call is not None and (call.phase == "talking" or clerk.shown == "ringing"):
        return call.since
    return t


def view(clerk: Clerk) -> dict[str, Any]:
    """One clerk as the wallboard, the API and the clerk_states table show it."""
    call = _shown_call(clerk)
    offline_why = None
    if clerk.shown == "offline":
        offline_why = "unreachable" if clerk.reachable is False or clerk.device in GONE else "logged_out"
    return {
        "extension": clerk.extension, "name": clerk.name, "state": clerk.shown, "since": clerk.since,
        "caller_number": call.caller_number if call else None, "caller_name": call.caller_name if call else None,
        "linkedid": call.linkedid if call else None, "calls": len(clerk.calls),
        "pause_reason": clerk.pause_reason if clerk.shown == "paused" else None, "offline_reason": offline_why,
        "queues": sorted(clerk.queues), "device": clerk.device,
    }  # fmt: skip


def rebuild(
    members: Iterable[Member] | None, devices: Iterable[Device], contacts: Iterable[Contact], calls: Iterable[CallLegs],
    *, names: Mapping[str, str] | None = None, known: Iterable[str] = (),
) -> Board:  # fmt: skip
    """A fresh board after a (re)connect: the PBX's answers to QueueStatus, DeviceStateList and
    PJSIPShowContacts, then the calls the call log holds open. ``known``: extensions to keep
    listed (clerks seen before) even if no answer names them."""
    board = Board()
    for ext in known:
        clerk = board.clerk(ext)
        clerk.name = (names or {}).get(ext, "")
        clerk.member_seen = members is not None  # the queue answered: not listed = logged out
    for event in (*devices, *contacts, *(members or ()), *calls):
        apply(board, event)
    for clerk in board.clerks.values():
        clerk.shown = state_of(clerk)
    return board
