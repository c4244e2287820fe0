"""The channel table behind CoreShowChannels, fed with a recorded call."""

from __future__ import annotations

from pathlib import Path

from callcenter.ami.channel_table import ChannelTable, format_duration
from callcenter.ami.trace import load_trace


def test_channels_of_the_answered_call(traces: Path) -> None:
    table = ChannelTable()
    messages = list(load_trace(traces / "answered_caller_hangs_up").messages())
    bridged = [i for i, m in enumerate(messages) if m.get("Event") == "BridgeEnter"][-1]
    for message in messages[: bridged + 1]:
        table.apply(message.headers, message.t)
    rows = {dict(row)["Channel"]: dict(row) for row in table.rows(messages[bridged].t + 2)}
    assert set(rows) == {"SIP/trunk-00000000", "SIP/8001-00000002"}  # 8002 hung up
    trunk, clerk = rows["SIP/trunk-00000000"], rows["SIP/8001-00000002"]
    assert trunk["Linkedid"] == clerk["Linkedid"] == trunk["Uniqueid"] == "1795898248.0"
    assert trunk["ChannelStateDesc"] == "Up" and trunk["ConnectedLineNum"] == "8001"
    assert trunk["Application"] == "Queue" and trunk["ApplicationData"] == "hotline,rt,,,15"
    assert trunk["BridgeId"] == clerk["BridgeId"] != ""
    assert trunk["Duration"] == "00:00:05"  # Newchannel at 1.647, asked at 4.657 + 2
    for message in messages[bridged + 1 :]:
        table.apply(message.headers, message.t)
    assert table.rows(20.0) == []


def test_events_of_unknown_channels_are_ignored_and_clear_forgets() -> None:
    table = ChannelTable()
    table.apply((("Event", "Newstate"), ("Uniqueid", "1.1"), ("Channel", "SIP/x-1")), 0.0)
    assert len(table) == 0
    table.apply((("Event", "Newchannel"), ("Uniqueid", "1.1"), ("Channel", "SIP/x-1")), 0.0)
    table.apply((("Event", "BridgeEnter"), ("Uniqueid", "1.1"), ("BridgeUniqueid", "b")), 1.0)
    assert dict(table.rows(1.0)[0])["BridgeId"] == "b"
    table.apply((("Event", "BridgeLeave"), ("Uniqueid", "1.1"), ("BridgeUniqueid", "b")), 2.0)
    assert dict(table.rows(2.0)[0])["BridgeId"] == ""
    table.clear()
    assert table.rows(3.0) == []


def test_duration_format() -> None:
    assert format_duration(0.9) == "00:00:00"
    assert format_duration(3725.2) == "01:02:05"
    assert format_duration(-1) == "00:00:00"
