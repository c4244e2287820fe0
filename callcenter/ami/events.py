"""Typed AMI events: a panoramisk ``Message`` (or any header mapping) is converted once, here.

Only the events the call state machine needs become dataclasses; everything else is
``None`` and dropped. Header values are attacker-influenced text (caller ID comes from
the carrier): they are kept as strings, capped in length, never interpreted further.
Times are epoch seconds (float): the ``Timestamp`` header when Asterisk sends one
(``timestampevents = yes``), else the arrival time the listener passes in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_VALUE = 512  # longest header value kept; longer values are cut


class MalformedEvent(ValueError):
    """A known event lacks a header it cannot do without."""


@dataclass(frozen=True, slots=True)
class Event:
    time: float


@dataclass(frozen=True, slots=True)
class ChannelEvent(Event):
    uniqueid: str
    linkedid: str
    channel: str


@dataclass(frozen=True, slots=True)
class NewChannel(ChannelEvent):
    caller_number: str
    caller_name: str
    exten: str
    state: str


@dataclass(frozen=True, slots=True)
class NewState(ChannelEvent):
    state: str


@dataclass(frozen=True, slots=True)
class NewCallerId(ChannelEvent):
    caller_number: str
    caller_name: str


@dataclass(frozen=True, slots=True)
class NewExten(ChannelEvent):
    exten: str
    application: str
    app_data: str


@dataclass(frozen=True, slots=True)
class VarSet(ChannelEvent):
    variable: str
    value: str


@dataclass(frozen=True, slots=True)
class DialBegin(ChannelEvent):
    dest_uniqueid: str
    dest_channel: str


@dataclass(frozen=True, slots=True)
class DialEnd(ChannelEvent):
    dest_uniqueid: str
    dest_channel: str
    status: str


@dataclass(frozen=True, slots=True)
class QueueCallerJoin(ChannelEvent):
    queue: str


@dataclass(frozen=True, slots=True)
class BridgeEnter(ChannelEvent):
    bridge: str


@dataclass(frozen=True, slots=True)
class BridgeLeave(ChannelEvent):
    bridge: str


@dataclass(frozen=True, slots=True)
class Hangup(ChannelEvent):
    cause: str


@dataclass(frozen=True, slots=True)
class BlindTransfer(Event):
    linkedid: str
    transferer_channel: str
    extension: str
    result: str


@dataclass(frozen=True, slots=True)
class AttendedTransfer(Event):
    linkedid: str
    transferer_channel: str
    result: str


@dataclass(frozen=True, slots=True)
class VoicemailStored(Event):
    """A message was stored: the dialplan's UserEvent, or VarSet VM_MESSAGEFILE."""

    linkedid: str
    mailbox: str
    path: str
    duration: float | None


@dataclass(frozen=True, slots=True)
class CdrRecord(Event):
    """A ``Cdr`` event (cdr_manager): one row of Asterisk's own call record."""

    fields: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str:
        return dict(self.fields).get(key, "")


@dataclass(frozen=True, slots=True)
class FullyBooted(Event):
    uptime: float | None


@dataclass(frozen=True, slots=True)
class Shutdown(Event):
    pass


def _cap(value: str | None) -> str:
    if value is None:
        return ""
    return value if len(value) <= MAX_VALUE else value[:MAX_VALUE]


# Asterisk writes CallerIDName / ConnectedLineName through ast_escape_c_alloc()
# (main/manager_channels.c): \a \b \f \n \r \t \v \\ \' \" \? become a backslash plus a
# letter. Undo exactly that, so the call log holds the name as the caller sent it.
_C_UNESCAPE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
               "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip
_C_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def unescape_c(value: str) -> str:
    """Invert Asterisk's ``ast_escape_c``: ``Ro\\\\\\"bert`` (as on the wire) → ``Ro\\"bert``.

    A backslash before anything else is kept as it is (Asterisk never writes that)."""
    if "\\" not in value:
        return value
    return _C_ESCAPED.sub(lambda m: _C_UNESCAPE.get(m.group(1), m.group(0)), value)


def event_time(headers: Mapping[str, str], received_at: float) -> float:
    """Timestamp header if present and sane, else the arrival time."""
    raw = headers.get("Timestamp")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            return received_at
        if math.isfinite(value) and value > 0:
            return value
    return received_at


def _need(headers: Mapping[str, str], key: str, name: str) -> str:
    value = headers.get(key)
    if not value:
        raise MalformedEvent(f"{name} without {key}")
    return _cap(value)


def _channel_base(headers: Mapping[str, str], name: str, t: float) -> dict[str, object]:
    return {
        "time": t,
        "uniqueid": _need(headers, "Uniqueid", name),
        "linkedid": _need(headers, "Linkedid", name),
        "channel": _cap(headers.get("Channel")),
    }


def _float_or_none(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


VM_FILE_VARIABLE = "VM_MESSAGEFILE"
# Queue()'s result on the caller's channel: JOINEMPTY / LEAVEEMPTY mean no clerk phone could
# take the call at all (unregistered, unreachable, paused), TIMEOUT that nobody answered.
QUEUE_STATUS_VARIABLE = "QUEUESTATUS"
VARIABLES = frozenset({VM_FILE_VARIABLE, QUEUE_STATUS_VARIABLE})


def parse_event(
    headers: Mapping[str, str], received_at: float, *, user_event: str = "CallcenterVoicemail"
) -> Event | None:
    """Convert one AMI message's headers into a typed event, or ``None`` if not needed.

    Raises ``MalformedEvent`` for a needed event that lacks required headers.
    """
    name = headers.get("Event")
    if not name:
        return None
    parser = _PARSERS.get(name)
    if parser is None:
        if name == "UserEvent" and headers.get("UserEvent") == user_event:
            t = event_time(headers, received_at)
            return VoicemailStored(
                time=t,
                linkedid=_need(headers, "Linkedid", name),
                mailbox=_cap(headers.get("Mailbox")),
                path=_need(headers, "MessageFile", name),
                duration=_float_or_none(headers.get("Duration")),
            )
        return None
    return parser(headers, name, event_time(headers, received_at))


def _p_newchannel(h: Mapping[str, str], n: str, t: float) -> Event:
    return NewChannel(
        **_channel_base(h, n, t),  # type: ignore[arg-type]
        caller_number=_cap(h.get("CallerIDNum")),
        caller_name=_cap(unescape_c(h.get("CallerIDName") or "")),
        exten=_cap(h.get("Exten")),
        state=_cap(h.get("ChannelStateDesc")),
    )


def _p_newstate(h: Mapping[str, str], n: str, t: float) -> Event:
    return NewState(**_channel_base(h, n, t), state=_cap(h.get("ChannelStateDesc")))  # type: ignore[arg-type]


def _p_newcallerid(h: Mapping[str, str], n: str, t: float) -> Event:
    return NewCallerId(
        **_channel_base(h, n, t),  # type: ignore[arg-type]
        caller_number=_cap(h.get("CallerIDNum")),
        caller_name=_cap(unescape_c(h.get("CallerIDName") or "")),
    )


def _p_newexten(h: Mapping[str, str], n: str, t: float) -> Event:
    return NewExten(
        **_channel_base(h, n, t),  # type: ignore[arg-type]
        exten=_cap(h.get("Exten") or h.get("Extension")),
        application=_cap(h.get("Application")),
        app_data=_cap(h.get("AppData")),
    )


def _p_varset(h: Mapping[str, str], n: str, t: float) -> Event | None:
    variable = h.get("Variable")
    if variable not in VARIABLES or not h.get("Uniqueid"):
        return None  # the only variables the call log needs
    return VarSet(**_channel_base(h, n, t), variable=variable, value=_cap(h.get("Value")))  # type: ignore[arg-type]


def _p_dialbegin(h: Mapping[str, str], n: str, t: float) -> Event:
    return DialBegin(
        **_channel_base(h, n, t),  # type: ignore[arg-type]
        dest_uniqueid=_need(h, "DestUniqueid", n),
        dest_channel=_cap(h.get("DestChannel")),
    )


def _p_dialend(h: Mapping[str, str], n: str, t: float) -> Event | None:
    if not h.get("Uniqueid"):
        # A DialEnd towards a Local channel half has no caller side (seen in attended
        # transfers): nothing for the call log.
        return None
    return DialEnd(
        **_channel_base(h, n, t),  # type: ignore[arg-type]
        dest_uniqueid=_need(h, "DestUniqueid", n),
        dest_channel=_cap(h.get("DestChannel")),
        status=_cap(h.get("DialStatus")),
    )


def _p_queuejoin(h: Mapping[str, str], n: str, t: float) -> Event:
    return QueueCallerJoin(**_channel_base(h, n, t), queue=_cap(h.get("Queue")))  # type: ignore[arg-type]


def _p_bridgeenter(h: Mapping[str, str], n: str, t: float) -> Event:
    return BridgeEnter(**_channel_base(h, n, t), bridge=_need(h, "BridgeUniqueid", n))  # type: ignore[arg-type]


def _p_bridgeleave(h: Mapping[str, str], n: str, t: float) -> Event:
    return BridgeLeave(**_channel_base(h, n, t), bridge=_need(h, "BridgeUniqueid", n))  # type: ignore[arg-type]


def _p_hangup(h: Mapping[str, str], n: str, t: float) -> Event:
    return Hangup(**_channel_base(h, n, t), cause=_cap(h.get("Cause")))  # type: ignore[arg-type]


def _p_blind(h: Mapping[str, str], n: str, t: float) -> Event:
    return BlindTransfer(
        time=t,
        linkedid=_need(h, "TransfereeLinkedid", n),
        transferer_channel=_cap(h.get("TransfererChannel")),
        extension=_cap(h.get("Extension")),
        result=_cap(h.get("Result")),
    )


def _p_attended(h: Mapping[str, str], n: str, t: float) -> Event:
    return AttendedTransfer(
        time=t,
        linkedid=_need(h, "TransfereeLinkedid", n),
        transferer_channel=_cap(h.get("OrigTransfererChannel")),
        result=_cap(h.get("Result")),
    )


def _p_cdr(h: Mapping[str, str], n: str, t: float) -> Event:
    _need(h, "UniqueID", n)
    return CdrRecord(time=t, fields=tuple((k, _cap(v)) for k, v in h.items()))


def _p_booted(h: Mapping[str, str], n: str, t: float) -> Event:
    return FullyBooted(time=t, uptime=_float_or_none(h.get("Uptime")))


def _p_shutdown(h: Mapping[str, str], n: str, t: float) -> Event:
    return Shutdown(time=t)


_PARSERS = {
    "Newchannel": _p_newchannel,
    "Newstate": _p_newstate,
    "NewCallerid": _p_newcallerid,
    "Newexten": _p_newexten,
    "VarSet": _p_varset,
    "DialBegin": _p_dialbegin,
    "DialEnd": _p_dialend,
    "QueueCallerJoin": _p_queuejoin,
    "BridgeEnter": _p_bridgeenter,
    "BridgeLeave": _p_bridgeleave,
    "Hangup": _p_hangup,
    "BlindTransfer": _p_blind,
    "AttendedTransfer": _p_attended,
    "Cdr": _p_cdr,
    "FullyBooted": _p_booted,
    "Shutdown": _p_shutdown,
}

# Events the call log reads, and those the clerk board reads (callcenter.ami.clerks.EVENTS);
# everything else is dropped at the edge (the listener), unread.
CLERK_EVENTS = frozenset({
    "QueueMemberStatus", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause", "QueueMember",
    "DeviceStateChange", "ContactStatus", "ContactList", "PeerStatus",
    "AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "AgentDump",
})  # fmt: skip
WANTED = frozenset(_PARSERS) | {"UserEvent"} | CLERK_EVENTS


def wanted(event: str, variable: str | None) -> bool:
    """Cheap pre-filter on the event name (and VarSet's variable) before any parsing."""
    if event == "VarSet":
        return variable in VARIABLES
    return event in WANTED

