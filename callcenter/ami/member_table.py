"""Queue members and device states in a played AMI stream, as ``QueueStatus`` and
``DeviceStateList`` report them (for the replay server).

Pure: fed the played events, asked for the answer rows. Nothing is invented: a member exists
once a ``QueueMember*`` event named it, with the headers that event carried (the row of a
``QueueStatus`` answer is ``Event: QueueMember`` with the same member fields, as Asterisk 20's
``manager_queues_status`` writes them); a device once a ``DeviceStateChange`` named it. The
recorded traces are chan_sip, so no ``ContactStatus`` is played and ``PJSIPShowContacts``
answers an empty list (as a PBX without PJSIP endpoints does).
"""

from __future__ import annotations

from callcenter.ami.wire import Headers, get

# Fields of a QueueMember row, in Asterisk 20's order (Name is the member's name there).
MEMBER_KEYS = ("Queue", "Name", "Location", "StateInterface", "Membership", "Penalty", "CallsTaken",
               "LastCall", "LastPause", "LoginTime", "InCall", "Status", "Paused", "PausedReason",
               "Wrapuptime")  # fmt: skip
_FROM_EVENT = {"Name": "MemberName", "Location": "Interface"}


class MemberTable:
    def __init__(self) -> None:
        self._members: dict[tuple[str, str], dict[str, str]] = {}  # (queue, interface) → fields
        self._devices: dict[str, str] = {}

    def clear(self) -> None:
        self._members.clear()
        self._devices.clear()

    def apply(self, headers: Headers) -> None:
        event = get(headers, "Event") or ""
        if event == "DeviceStateChange":
            device, state = get(headers, "Device"), get(headers, "State")
            if device and state:
                self._devices[device] = state
            return
        if not event.startswith("QueueMember"):
            return
        queue, interface = get(headers, "Queue"), get(headers, "Interface")
        if not queue or not interface:
            return
        if event == "QueueMemberRemoved":
            self._members.pop((queue, interface), None)
            return
        row = self._members.setdefault((queue, interface), {})
        for key in MEMBER_KEYS:
            value = get(headers, _FROM_EVENT.get(key, key))
            if value is not None:
                row[key] = value

    def queue_members(self) -> list[Headers]:
        return [tuple((k, row[k]) for k in MEMBER_KEYS if k in row) for _, row in sorted(self._members.items())]

    def devices(self) -> list[Headers]:
        return [(("Device", device), ("State", state)) for device, state in sorted(self._devices.items())]
