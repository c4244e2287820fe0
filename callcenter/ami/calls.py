"""The call state machine: pure, one ``CallState`` per ``Linkedid``.

``apply(state, event) -> (state, effects)`` does no I/O and reads no clock: every time
comes from the event. The listener feeds it and persists the effects in order.

Rules (see design.md and the traces in ../shared/ami-traces):
- a call is everything sharing a Linkedid; its caller leg is the channel whose Uniqueid
  equals the Linkedid; every other channel is a leg (ring attempts, transfer targets,
  Local halves) — never a call of its own;
- ``answered_by`` is the extension of the first non-Local channel bridged with the caller
  (the first responsible person); it is kept through transfers, and later bridge partners
  become ``transferred_to``;
- disposition: ``answered``; ``voicemail`` when a message was stored; ``busy`` when no
  clerk could take the call: no clerk phone ever rang and the attempts failed (busy,
  unavailable, no answer without ringing), or the queue found no clerk available at all
  (``QUEUESTATUS`` JOINEMPTY/LEAVEEMPTY: every phone unregistered, unreachable or paused),
  even if the caller then hung up in the voicemail greeting; ``abandoned`` with ``abandon_stage`` ``ringing`` / ``queue`` / ``voicemail``;
  ``failed`` when the call never reached a clerk, a queue or the voicemail.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from callcenter.ami import events as ev

_CHANNEL_SUFFIX = re.compile(r"-[0-9a-fA-F]+$")
FAILED_DIAL = frozenset({"BUSY", "CHANUNAVAIL", "CONGESTION", "NOANSWER"})
NO_CLERK = frozenset({"JOINEMPTY", "LEAVEEMPTY"})  # QUEUESTATUS: no clerk phone could be rung


def extension_of(channel: str) -> str | None:
    """``SIP/8001-00000002`` → ``8001``; ``PJSIP/8101-0000000a`` → ``8101``; Local → None."""
    if not channel or channel.startswith("Local/"):
        return None
    peer = channel.split("/", 1)[-1]
    return _CHANNEL_SUFFIX.sub("", peer) or None


@dataclass
class Leg:
    uniqueid: str
    channel: str
    role: str  # caller | agent | transfer | local
    created_at: float
    extension: str | None = None
    rang_at: float | None = None
    up_at: float | None = None
    bridged_at: float | None = None
    ended_at: float | None = None
    hangup_cause: str | None = None
    dial_status: str | None = None


@dataclass
class CallState:
    linkedid: str
    started_at: float
    caller_number: str = ""
    caller_name: str = ""
    dialed_number: str = ""
    legs: dict[str, Leg] = field(default_factory=dict)
    bridges: dict[str, list[str]] = field(default_factory=dict)
    answered_at: float | None = None
    answered_by: str | None = None
    transferred_to: list[str] = field(default_factory=list)
    queue: str | None = None
    in_voicemail_at: float | None = None
    voicemail: dict[str, Any] | None = None
    dial_failures: int = 0
    queue_status: str | None = None  # Queue()'s QUEUESTATUS on the caller's channel
    ended_at: float | None = None
    adopted: bool = False  # seen only from the middle (connected late / restarted)
    gap: bool = False  # events of this call may have been lost while disconnected

    @property
    def caller(self) -> Leg | None:
        return self.legs.get(self.linkedid)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallState:
        data = dict(data)
        data["legs"] = {k: Leg(**v) for k, v in data.get("legs", {}).items()}
        return cls(**data)


@dataclass(frozen=True)
class Effect:
    """Something the edge must do: persist / publish. ``kind`` names the change."""

    kind: str  # started | ringing | answered | transferred | voicemail | stage | ended
    call: CallState


def outcome(state: CallState) -> tuple[str, str | None]:
    """(disposition, abandon_stage) of a call, from what was observed."""
    if state.answered_by is not None:
        return "answered", None
    if state.voicemail is not None:
        return "voicemail", None
    clerk_legs = [leg for leg in state.legs.values() if leg.role == "agent"]
    rang = any(leg.rang_at is not None or leg.up_at is not None for leg in clerk_legs)
    if not rang and (state.dial_failures > 0 or state.queue_status in NO_CLERK):
        return "busy", None
    if state.in_voicemail_at is not None:
        return "abandoned", "voicemail"
    # A phone was ringing when the caller gave up: its dial was cancelled (not timed out).
    ringing_now = any(
        leg.rang_at is not None and (leg.ended_at is None or leg.dial_status in (None, "CANCEL"))
        for leg in clerk_legs
    )
    if ringing_now:
        return "abandoned", "ringing"
    if state.queue is not None or clerk_legs:
        return "abandoned", "queue"
    return "failed", None


def ringing_now(state: CallState) -> list[str]:
    """The clerks' extensions whose phones ring for this call now."""
    return sorted({leg.extension for leg in state.legs.values()
                   if leg.role == "agent" and leg.rang_at is not None and leg.ended_at is None and leg.extension})  # fmt: skip


def live_stage(state: CallState) -> str:
    """Where a call is now, as the clerks' live page says it: ``ended``; ``talking`` (a clerk
    answered); ``voicemail`` (the caller is at the voicemail prompt or leaving a message);
    ``ringing`` (a clerk's phone rings now); ``no_clerk`` (the queue tried the clerks' phones
    and none could ring — all busy, offline or paused, as in the busy_or_unavailable trace,
    where Queue() retries every few seconds and nothing ever rings); ``queued`` (waiting in
    the queue between ring attempts); ``incoming`` (not in the queue yet)."""
    if state.ended:
        return "ended"
    if state.answered_by is not None:
        return "talking"
    if state.in_voicemail_at is not None or state.voicemail is not None:
        return "voicemail"
    if ringing_now(state):
        return "ringing"
    if state.queue_status in NO_CLERK or state.dial_failures > 0:
        return "no_clerk"
    if state.queue is not None or any(leg.role == "agent" for leg in state.legs.values()):
        return "queued"
    return "incoming"


def _new_call(event: ev.ChannelEvent) -> CallState:
    state = CallState(linkedid=event.linkedid, started_at=event.time)
    if isinstance(event, ev.NewChannel):
        state.caller_number = event.caller_number
        state.caller_name = event.caller_name
        state.dialed_number = event.exten
    return state


def _leg_for(state: CallState, event: ev.ChannelEvent) -> Leg:
    leg = state.legs.get(event.uniqueid)
    if leg is None:
        if event.uniqueid == state.linkedid:
            role = "caller"
        elif event.channel.startswith("Local/"):
            role = "local"
        elif state.answered_by is not None:
            role = "transfer"
        else:
            role = "agent"
        leg = Leg(
            uniqueid=event.uniqueid,
            channel=event.channel,
            role=role,
            created_at=event.time,
            extension=extension_of(event.channel),
        )
        state.legs[event.uniqueid] = leg
    return leg


def apply(state: CallState | None, event: ev.Event) -> tuple[CallState | None, list[Effect]]:
    """Advance one call by one event. ``state`` is None for a Linkedid not seen yet.

    Events of a call that has ended are ignored (a re-used Linkedid after an Asterisk
    restart starts a new call: the caller decides that, see ``starts_new_call``).
    """
    if state is not None and state.ended:
        return state, []
    effects: list[Effect] = []
    if state is None:
        if not isinstance(event, ev.ChannelEvent):
            return None, []
        state = _new_call(event)
        effects.append(Effect("started", state))
        before = None
    else:
        before = live_stage(state)
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        kind = handler(state, event)
        if kind:
            effects.append(Effect(kind, state))
    if isinstance(event, ev.ChannelEvent) and _all_down(state) and state.caller is not None:
        state.ended_at = state.caller.ended_at
        effects.append(Effect("ended", state))
    if not effects and before is not None and live_stage(state) != before:
        # Queued, no clerk free, in the voicemail prompt: the live page must not keep saying "ringing".
        effects.append(Effect("stage", state))
    return state, effects


def starts_new_call(state: CallState | None, event: ev.Event) -> bool:
    """True when ``event`` opens a call that the (ended) ``state`` must not absorb."""
    return (
        state is not None
        and state.ended
        and isinstance(event, ev.NewChannel)
        and event.uniqueid == event.linkedid
    )


def _all_down(state: CallState) -> bool:
    caller = state.caller
    if caller is None or caller.ended_at is None:
        return False
    return all(leg.ended_at is not None for leg in state.legs.values())


def _on_newchannel(state: CallState, event: ev.NewChannel) -> str | None:
    leg = _leg_for(state, event)
    if leg.role == "caller":
        state.caller_number = event.caller_number
        state.caller_name = event.caller_name
        state.dialed_number = state.dialed_number or event.exten
    return None


def _on_newstate(state: CallState, event: ev.NewState) -> str | None:
    leg = _leg_for(state, event)
    if event.state == "Ringing" and leg.rang_at is None:
        leg.rang_at = event.time
        if leg.role == "agent" and state.answered_by is None:
            return "ringing"
    elif event.state == "Up" and leg.up_at is None:
        leg.up_at = event.time
    return None


def _on_newcallerid(state: CallState, event: ev.NewCallerId) -> str | None:
    leg = _leg_for(state, event)
    if leg.role == "caller" and not state.caller_number:
        state.caller_number = event.caller_number
        state.caller_name = event.caller_name
    return None


def _on_newexten(state: CallState, event: ev.NewExten) -> str | None:
    leg = _leg_for(state, event)
    if leg.role != "caller":
        return None
    if not state.dialed_number and event.exten:
        state.dialed_number = event.exten
    if event.application.lower() == "voicemail" and state.in_voicemail_at is None:
        state.in_voicemail_at = event.time
    return None


def _on_varset(state: CallState, event: ev.VarSet) -> str | None:
    if event.variable == ev.QUEUE_STATUS_VARIABLE:
        if event.uniqueid == state.linkedid:
            state.queue_status = event.value
        return None
    if event.value and state.voicemail is None:
        return _store_voicemail(state, event.time, "", event.value, None)
    return None


def _on_voicemail(state: CallState, event: ev.VoicemailStored) -> str | None:
    if state.voicemail is not None:
        # The UserEvent is authoritative: fill what VM_MESSAGEFILE could not tell.
        state.voicemail.update(
            {k: v for k, v in (("mailbox", event.mailbox), ("duration_seconds", event.duration)) if v}
        )
        return None
    return _store_voicemail(state, event.time, event.mailbox, event.path, event.duration)


def _store_voicemail(
    state: CallState, t: float, mailbox: str, path: str, duration: float | None
) -> str:
    if not mailbox:
        parts = path.rstrip("/").split("/")
        # .../voicemail/<context>/<mailbox>/INBOX/msgNNNN
        mailbox = f"{parts[-3]}@{parts[-4]}" if len(parts) >= 4 else ""
    state.voicemail = {"mailbox": mailbox, "path": path, "duration_seconds": duration, "at": t}
    return "voicemail"


def _on_dialbegin(state: CallState, event: ev.DialBegin) -> str | None:
    _leg_for(state, event)
    return None


def _on_dialend(state: CallState, event: ev.DialEnd) -> str | None:
    target = state.legs.get(event.dest_uniqueid)
    if target is None:
        return None
    if target.dial_status is None:  # the first final status; a queue timeout adds CANCEL
        target.dial_status = event.status
    if event.status in FAILED_DIAL and target.role == "agent":
        state.dial_failures += 1
    return None


def _on_queuejoin(state: CallState, event: ev.QueueCallerJoin) -> str | None:
    if event.uniqueid == state.linkedid:
        state.queue = event.queue
    return None


def _on_bridgeenter(state: CallState, event: ev.BridgeEnter) -> str | None:
    _leg_for(state, event)
    members = state.bridges.setdefault(event.bridge, [])
    if event.uniqueid not in members:
        members.append(event.uniqueid)
    if state.linkedid not in members:
        return None
    partners = [state.legs[u] for u in members if u != state.linkedid and u in state.legs]
    kind = None
    for partner in partners:
        if partner.role == "local" or partner.extension is None:
            continue
        if state.answered_by is None:
            state.answered_by = partner.extension
            state.answered_at = event.time
            partner.bridged_at = event.time
            kind = "answered"
        elif partner.extension != state.answered_by and partner.extension not in state.transferred_to:
            state.transferred_to.append(partner.extension)
            partner.bridged_at = partner.bridged_at or event.time
            kind = "transferred"
    return kind


def _on_bridgeleave(state: CallState, event: ev.BridgeLeave) -> str | None:
    members = state.bridges.get(event.bridge)
    if members and event.uniqueid in members:
        members.remove(event.uniqueid)
        if not members:
            del state.bridges[event.bridge]
    return None


def _on_hangup(state: CallState, event: ev.Hangup) -> str | None:
    leg = _leg_for(state, event)
    if leg.ended_at is None:
        leg.ended_at = event.time
        leg.hangup_cause = event.cause
    return None


def _on_blind(state: CallState, event: ev.BlindTransfer) -> str | None:
    if event.result == "Success" and event.extension and state.answered_by is not None:
        if event.extension != state.answered_by and event.extension not in state.transferred_to:
            state.transferred_to.append(event.extension)
            return "transferred"
    return None



_HANDLERS: dict[type, Any] = {
    ev.NewChannel: _on_newchannel,
    ev.NewState: _on_newstate,
    ev.NewCallerId: _on_newcallerid,
    ev.NewExten: _on_newexten,
    ev.VarSet: _on_varset,
    ev.VoicemailStored: _on_voicemail,
    ev.DialBegin: _on_dialbegin,
    ev.DialEnd: _on_dialend,
    ev.QueueCallerJoin: _on_queuejoin,
    ev.BridgeEnter: _on_bridgeenter,
    ev.BridgeLeave: _on_bridgeleave,
    ev.Hangup: _on_hangup,
    ev.BlindTransfer: _on_blind,
}


def linkedid_of(event: ev.Event) -> str | None:
    return getattr(event, "linkedid", None)


def record(state: CallState) -> dict[str, Any]:
    """The call-log fields of a call (times as epoch floats; the store formats them)."""
    disposition, stage = outcome(state)
    end = state.ended_at
    answered = state.answered_at
    ring_until = answered if answered is not None else (state.in_voicemail_at or end)
    return {
        "linkedid": state.linkedid,
        "caller_number": state.caller_number,
        "caller_name": state.caller_name,
        "dialed_number": state.dialed_number,
        "started_at": state.started_at,
        "answered_at": answered,
        "ended_at": end,
        "ring_seconds": _span(state.started_at, ring_until),
        "talk_seconds": _span(answered, end) if answered is not None else 0.0,
        "duration_seconds": _span(state.started_at, end),
        "disposition": disposition if end is not None else None,
        "abandon_stage": stage if end is not None else None,
        "answered_by": state.answered_by,
        "transferred_to": list(state.transferred_to),
        "voicemail": _voicemail_record(state.voicemail),
    }


def _span(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return round(max(0.0, b - a), 3)


def _voicemail_record(vm: dict[str, Any] | None) -> dict[str, Any] | None:
    if vm is None:
        return None
    return {"mailbox": vm["mailbox"], "path": vm["path"], "duration_seconds": vm.get("duration_seconds")}
