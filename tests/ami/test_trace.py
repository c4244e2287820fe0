"""Loading the recorded traces; Master.csv rows; moving times and ids."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from callcenter.ami.trace import (
    CdrRow,
    TraceError,
    load_trace,
    parse_master_csv,
    rewrite_ids,
    shift_cdr_time,
    shift_id,
    shift_times,
    with_timestamp,
)

ALL = (
    "answered_caller_hangs_up", "abandoned_while_ringing", "anonymous_caller", "voicemail",
    "busy_or_unavailable", "blind_transfer", "attended_transfer", "timestamped_answered", "load",
)  # fmt: skip


@pytest.mark.parametrize("name", ALL)
def test_every_trace_loads_with_one_row_per_cdr_event(traces: Path, name: str) -> None:
    trace = load_trace(traces / name)
    [connection] = trace.connections
    assert connection.login is not None and connection.login.get("Response") == "Success"
    assert connection.fully_booted is not None and connection.fully_booted.get("Uptime")
    assert not connection.closed and connection.banner == "Asterisk Call Manager/9.0.0"
    assert all(m.get("Event") for m in connection.messages)
    cdr_events = [m for m in trace.messages() if m.get("Event") == "Cdr"]
    text = (traces / name / "cdr.csv").read_text()
    assert len(cdr_events) == len(trace.cdr_rows or {}) == text.count("\n")
    for event in cdr_events:  # Asterisk's row is what the event says, quoting included
        assert trace.cdr_row(event.headers) == CdrRow.from_event(event.headers)
    assert "".join(row.encode() for row in parse_master_csv(text)) == text


def test_raw_only_gives_the_same_messages_spread_over_the_connection(
    traces: Path, tmp_path: Path
) -> None:
    source = traces / "answered_caller_hangs_up"
    shutil.copy(source / "connections.jsonl", tmp_path / "connections.jsonl")
    (tmp_path / "ami.raw.gz").write_bytes(gzip.compress((source / "ami.raw").read_bytes()))
    raw, jsonl = load_trace(tmp_path), load_trace(source)
    assert [m.headers for m in raw.messages()] == [m.headers for m in jsonl.messages()]
    times = [m.t for m in raw.messages()]
    assert times == sorted(times) and 0 < times[0] < times[-1] <= raw.duration == jsonl.duration
    assert raw.cdr_rows is None  # no cdr.csv: rows are built from the events
    cdr = next(m for m in raw.messages() if m.get("Event") == "Cdr")
    assert raw.cdr_row(cdr.headers) == jsonl.cdr_row(cdr.headers)


def test_unusable_folders_say_which_file(traces: Path, tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="connections.jsonl"):
        load_trace(tmp_path)
    shutil.copy(traces / "answered_caller_hangs_up" / "connections.jsonl", tmp_path)
    with pytest.raises(TraceError, match="neither ami.jsonl nor ami.raw"):
        load_trace(tmp_path)
    shutil.copy(traces / "answered_caller_hangs_up" / "ami.jsonl", tmp_path)
    (tmp_path / "cdr.csv").write_text('"","1","2"\n')
    with pytest.raises(TraceError, match="cdr.csv: row 1 has 3 fields"):
        load_trace(tmp_path)
    (tmp_path / "cdr.csv").write_text(",".join(['"x"'] * 18) + "\n")
    with pytest.raises(TraceError, match="cdr.csv: Cdr event .* matches 0 rows"):
        load_trace(tmp_path)


def test_cdr_times_move_and_truncate_like_asterisk() -> None:
    assert shift_cdr_time("2026-12-31 23:59:59", 1.7) == "2027-01-01 00:00:00"
    assert shift_cdr_time("2026-11-28 20:37:28", -0.5) == "2026-11-28 20:37:27"
    assert shift_cdr_time("", 100) == ""
    row = parse_master_csv('"","1","2","c","""A"" <1>","S/a","S/b","Queue","q,1",'
                           '"2026-11-28 20:37:28",,"2026-11-28 20:37:31",3,0,"NO ANSWER",'
                           '"DOCUMENTATION","1795898248.0","u"\n')[0]  # fmt: skip
    moved = row.shifted(60, id_seconds=100)
    assert moved.encode() == ('"","1","2","c","""A"" <1>","S/a","S/b","Queue","q,1",'
                              '"2026-11-28 20:38:28",,"2026-11-28 20:38:31",3,0,"NO ANSWER",'
                              '"DOCUMENTATION","1795898348.0","u"\n')  # fmt: skip


def test_ids_move_only_where_they_are_uniqueids() -> None:
    headers = (
        ("Event", "AttendedTransfer"), ("Uniqueid", "1795898248.0"), ("DestUniqueId", "7.3"),
        ("TransfereeLinkedid", "1795898248.0"), ("BridgeUniqueid", "2f716ee6-8105-4dc3"),
        ("Exten", "1795898248.0"), ("UniqueID", "10.2"),
    )  # fmt: skip
    assert rewrite_ids(headers, 5) == (
        ("Event", "AttendedTransfer"), ("Uniqueid", "1795898253.0"), ("DestUniqueId", "12.3"),
        ("TransfereeLinkedid", "1795898253.0"), ("BridgeUniqueid", "2f716ee6-8105-4dc3"),
        ("Exten", "1795898248.0"), ("UniqueID", "15.2"),
    )  # fmt: skip
    assert shift_id("abc", 5) == "abc" and rewrite_ids(headers, 0) is headers


def test_timestamps_move_and_get_injected_third() -> None:
    event = (("Event", "Hangup"), ("Privilege", "call,all"), ("Timestamp", "1795899172.555169"))
    assert shift_times(event, -0.5) == event[:2] + (("Timestamp", "1795899172.055169"),)
    bare = (("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "SIP/a"))
    assert with_timestamp(bare, 12.5) == bare[:2] + (("Timestamp", "12.500000"),) + bare[2:]
    assert with_timestamp(event, 1.0) == event
    response = (("Response", "Success"),)
    assert with_timestamp(response, 1.0) == response
