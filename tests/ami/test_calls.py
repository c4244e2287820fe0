"""The pure state machine over every recorded trace (no network, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.ami import calls as sm
from callcenter.ami import events as ev
from tests.ami.tracedata import EXPECTED, SCENARIOS, cdr_calls, messages, run_state_machine


def replay(trace: Path) -> tuple[list[dict], dict[str, sm.CallState]]:
    """Drive the state machine with the recorded messages; the recorded offsets as times."""
    ended, states = run_state_machine(trace, 1_000_000.0)
    return [sm.record(call) for call in ended], states


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_trace_gives_the_expected_calls(traces: Path, scenario: str) -> None:
    done, states = replay(traces / scenario)
    assert all(s.ended for s in states.values())
    by_id = {r["linkedid"]: r for r in done}
    assert len(by_id) == len(done), "a call was logged twice"
    assert set(by_id) == set(EXPECTED[scenario]) == set(cdr_calls(traces / scenario))
    for linkedid, expected in EXPECTED[scenario].items():
        got = by_id[linkedid]
        for key, value in expected.items():
            if key == "voicemail" and value is not None:
                assert {k: got[key][k] for k in value} == value
            else:
                assert got[key] == value, (linkedid, key)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_durations_match_asterisks_cdr(traces: Path, scenario: str) -> None:
    """Timings from event times agree with the CDR's whole seconds within 1 s."""
    done, _ = replay(traces / scenario)
    cdr = cdr_calls(traces / scenario)
    for rec in done:
        truth = cdr[rec["linkedid"]]
        assert abs(rec["duration_seconds"] - (truth.end - truth.start).total_seconds()) <= 1.0
        if truth.answer is not None:
            assert abs(rec["ring_seconds"] - (truth.answer - truth.start).total_seconds()) <= 1.0
            assert abs(rec["talk_seconds"] - (truth.end - truth.answer).total_seconds()) <= 1.0
        else:
            assert rec["talk_seconds"] == 0.0


def test_load_trace_logs_300_answered_calls(traces: Path) -> None:
    done, states = replay(traces / "load")
    assert len(done) == 300 == len({r["linkedid"] for r in done})
    assert {r["linkedid"] for r in done} == set(cdr_calls(traces / "load"))
    assert {r["disposition"] for r in done} == {"answered"}
    assert {r["answered_by"] for r in done} == {"8001", "8002"}


def test_timestamp_header_wins_over_arrival(traces: Path) -> None:
    done, _ = replay(traces / "timestamped_answered")
    (rec,) = done
    assert rec["started_at"] > 1.7e9  # the Timestamp header, not the fake arrival time
    assert abs(rec["talk_seconds"] - 8.0) < 0.1


def test_linkedid_reused_after_restart_is_a_new_call(traces: Path) -> None:
    msgs = [h for _, h in messages(traces / "answered_caller_hangs_up")]
    state = None
    ended = []
    for offset in (0.0, 3600.0):  # the same ids an hour later, as after an Asterisk restart
        for i, headers in enumerate(msgs):
            event = ev.parse_event(headers, 1_000_000.0 + offset + i * 0.01)
            if not isinstance(event, ev.ChannelEvent):
                continue
            if sm.starts_new_call(state, event):
                state = None
            state, effects = sm.apply(state, event)
            ended += [sm.record(e.call) for e in effects if e.kind == "ended"]
    assert len(ended) == 2
    assert ended[1]["started_at"] - ended[0]["started_at"] == pytest.approx(3600.0)


def test_hostile_caller_id_is_kept_verbatim_and_capped() -> None:
    hostile = "<script>alert(1)</script>'; DROP TABLE calls; --\"" + "x" * 5000
    base = {"Uniqueid": "1.1", "Linkedid": "1.1", "Channel": "PJSIP/trunk-00000001"}
    event = ev.parse_event({"Event": "Newchannel", **base, "CallerIDNum": hostile, "CallerIDName": "\u202e"}, 1.0)
    state, _ = sm.apply(None, event)
    assert state.caller_number == hostile[: ev.MAX_VALUE]
    assert state.caller_name == "\u202e"


@pytest.mark.parametrize(
    "headers",
    [
        {"Event": "Newchannel", "Channel": "SIP/x-1"},  # no Uniqueid/Linkedid
        {"Event": "DialBegin", "Uniqueid": "1.1", "Linkedid": "1.1"},  # no DestUniqueid
        {"Event": "BridgeEnter", "Uniqueid": "1.1", "Linkedid": "1.1"},  # no bridge
    ],
)
def test_malformed_events_raise_a_typed_error(headers: dict[str, str]) -> None:
    with pytest.raises(ev.MalformedEvent):
        ev.parse_event(headers, 1.0)


def test_unknown_events_are_ignored() -> None:
    assert ev.parse_event({"Event": "SomethingNew", "Uniqueid": "1"}, 1.0) is None
    assert ev.parse_event({"Response": "Success"}, 1.0) is None


@pytest.mark.parametrize(
    ("channel", "extension"),
    [("SIP/8001-00000002", "8001"), ("PJSIP/8101-0000000a", "8101"), ("Local/8101@from-internal-00000000;1", None),
     ("PJSIP/trunk-provider-0000001f", "trunk-provider"), ("", None)],
)
def test_extension_of_channel(channel: str, extension: str | None) -> None:
    assert sm.extension_of(channel) == extension


def _no_clerk_call(status: str, *, message: bool = False) -> dict:
    base = {"Uniqueid": "1.1", "Linkedid": "1.1", "Channel": "PJSIP/carrier-00000001"}
    headers = [
        {"Event": "Newchannel", **base, "CallerIDNum": "13909511234", "Exten": "6085708"},
        {"Event": "VarSet", **base, "Variable": "QUEUESTATUS", "Value": status},
        {"Event": "Newexten", **base, "Exten": "6085708", "Application": "VoiceMail"},
    ]
    if message:
        headers.append({"Event": "VarSet", **base, "Variable": "VM_MESSAGEFILE",
                        "Value": "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"})
    headers.append({"Event": "Hangup", **base, "Cause": "16"})
    state = None
    for i, h in enumerate(headers):
        assert ev.wanted(h["Event"], h.get("Variable"))
        state, _ = sm.apply(state, ev.parse_event(h, 100.0 + i))
    return sm.record(state)


@pytest.mark.parametrize("status", ["JOINEMPTY", "LEAVEEMPTY"])
def test_no_clerk_available_is_busy_not_a_greeting_hangup(status: str) -> None:
    rec = _no_clerk_call(status)
    assert (rec["disposition"], rec["abandon_stage"]) == ("busy", None)


def test_timeout_then_greeting_hangup_stays_abandoned() -> None:
    rec = _no_clerk_call("TIMEOUT")
    assert (rec["disposition"], rec["abandon_stage"]) == ("abandoned", "voicemail")


def test_no_clerk_available_with_a_message_is_voicemail() -> None:
    assert _no_clerk_call("JOINEMPTY", message=True)["disposition"] == "voicemail"


def test_other_variables_are_not_wanted() -> None:
    assert not ev.wanted("VarSet", "SIPURI")
    assert ev.parse_event({"Event": "VarSet", "Uniqueid": "1.1", "Linkedid": "1.1",
                           "Variable": "QUEUESTATUS2", "Value": "x"}, 1.0) is None
