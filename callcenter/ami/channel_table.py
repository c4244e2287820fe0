"""The channels alive in a played AMI stream, as ``CoreShowChannels`` reports them.

Pure: fed the played events with their replay time, asked for the rows at a replay time.
Every channel event carries the channel's snapshot (Channel … Linkedid) without a prefix, so
any such event of a known channel refreshes it; Newchannel adds, Hangup removes, Newexten
sets the application, BridgeEnter / BridgeLeave the bridge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.ami.wire import Headers, get

# The channel snapshot of Asterisk 20 (ast_manager_build_channel_state_string), in order.
SNAPSHOT_KEYS = (
    "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
    "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten",
    "Priority", "Uniqueid", "Linkedid",
)  # fmt: skip


@dataclass
class _Channel:
    created: float  # replay time of its Newchannel
    snapshot: dict[str, str] = field(default_factory=dict)
    application: str = ""
    application_data: str = ""
    bridge: str = ""


def format_duration(seconds: float) -> str:
    """HH:MM:SS, as CoreShowChannel's Duration."""
    whole = max(int(seconds), 0)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class ChannelTable:
    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}  # by Uniqueid, in creation order

    def __len__(self) -> int:
        return len(self._channels)

    def apply(self, headers: Headers, tau: float) -> None:
        """Account for one played event at replay time ``tau``."""
        event, uniqueid = get(headers, "Event"), get(headers, "Uniqueid")
        if event is None or uniqueid is None:
            return
        if event == "Hangup":
            self._channels.pop(uniqueid, None)
            return
        channel = self._channels.get(uniqueid)
        if channel is None:
            if event != "Newchannel":
                return
            channel = self._channels[uniqueid] = _Channel(created=tau)
        for key, value in headers:
            if key in SNAPSHOT_KEYS:
                channel.snapshot[key] = value
        if event == "Newexten":
            channel.application = get(headers, "Application") or ""
            channel.application_data = get(headers, "AppData") or ""
        elif event == "BridgeEnter":
            channel.bridge = get(headers, "BridgeUniqueid") or ""
        elif event == "BridgeLeave":
            channel.bridge = ""

    def clear(self) -> None:
        """Asterisk restarted: no channel survives."""
        self._channels.clear()

    def rows(self, tau: float) -> list[Headers]:
        """One CoreShowChannel body (without Event / ActionID) per live channel at ``tau``."""
        return [
            tuple((key, channel.snapshot.get(key, "")) for key in SNAPSHOT_KEYS)
            + (
                ("Application", channel.application),
                ("ApplicationData", channel.application_data),
                ("Duration", format_duration(tau - channel.created)),
                ("BridgeId", channel.bridge),
            )
            for channel in self._channels.values()
        ]
