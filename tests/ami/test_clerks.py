"""Clerk phones' states from recorded traces replayed through the real listener over TCP.

Expected sequences are read from each trace's README/timeline (consecutive repeats of a
state collapsed: a phone's device state and its queue row both report "ringing")."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from callcenter.ami import clerk_store, clerks
from callcenter.ami.replay import ReplayServer
from callcenter.db.session import create_engine, session_factory
from callcenter.service import CallLogService
from tests.ami.harness import service_config, settle
from tests.keys import AUDIT_KEYS


class Spy:
    """A recorder follower after the tracker: notes every change of a clerk's shown line."""

    def __init__(self, tracker: Any) -> None:
        self.tracker, self.seen, self.log = tracker, {}, []

    def _look(self, *_: Any) -> None:
        for ext, clerk in self.tracker.board.clerks.items():
            v = clerks.view(clerk)
            key = (v["state"], v["caller_number"])
            if self.seen.get(ext) != key:
                self.seen[ext] = key
                self.log.append((ext, *key))

    on_message = on_call = _look

    async def on_connected(self, t: float) -> None:
        self.log.append(("*", "rebuilt", None))
        self.seen.clear()
        self._look()

    def states(self, ext: str) -> list[str]:
        out: list[str] = []
        for e, state, _ in self.log:
            if e == ext and (not out or out[-1] != state):
                out.append(state)
        return out


async def replay(db_url: str, traces: list[Path], calls: int, *, master: Path | None = None,
                 **server: Any) -> tuple[Spy, CallLogService, Any]:  # fmt: skip
    async with ReplayServer(traces, speed=server.pop("speed", 25), inject_timestamps=True, cdr_out=master,
                            **server) as pbx:  # fmt: skip
        service = CallLogService(service_config(db_url, pbx.port, cdr_csv=master))
        spy = Spy(service.clerks)
        service.recorder.observers.append(spy)
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 120)
            await settle(service, db_url, calls, timeout=40)
            await service.clerks.flush()
        finally:
            await service.stop()
    return spy, service, pbx


EXPECTED = {
    # 8001 answers after ~3 s (8002 cancelled); the caller hangs up after ~10 s.
    "answered_caller_hangs_up": {"8001": ["ringing", "hotline_call", "free"], "8002": ["ringing", "free"]},
    # both ring ~8 s, the caller gives up
    "abandoned_while_ringing": {"8001": ["ringing", "free"], "8002": ["ringing", "free"]},
    # both ring 15 s, then the voicemail
    "voicemail": {"8001": ["ringing", "free"], "8002": ["ringing", "free"]},
    # 8001 answers, transfers to the station 8101 (not a clerk: never listed)
    "blind_transfer": {"8001": ["ringing", "hotline_call", "free"], "8002": ["ringing", "free"]},
    "attended_transfer": {"8001": ["ringing", "hotline_call", "free"], "8002": ["ringing", "free"]},
    # 8002 answers this time, 8001 is cancelled; the clerk hangs up
    "timestamped_answered": {"8002": ["ringing", "hotline_call", "free"], "8001": ["ringing", "free"]},
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
async def test_clerk_states_follow_each_trace(migrated: str, traces: Path, scenario: str) -> None:
    spy, service, _ = await replay(migrated, [traces / scenario], 1)
    for ext, states in EXPECTED[scenario].items():
        assert spy.states(ext) == states, (ext, spy.log)
    assert set(service.clerks.board.clerks) == {"8001", "8002"}
    talking = {c for e, s, c in spy.log if s == "hotline_call"}
    if "hotline_call" in sum(EXPECTED[scenario].values(), []):
        assert talking == {"13909511235" if scenario == "timestamped_answered" else "13909511234"}
    ringing = {c for e, s, c in spy.log if s == "ringing"} - {None}
    assert ringing == {"13909511235" if scenario == "timestamped_answered" else "13909511234"}
    # the table every panel process reads says the same
    engine = create_engine(migrated)
    try:
        async with session_factory(engine, AUDIT_KEYS)() as db:
            rows = {v["extension"]: v for v in await clerk_store.load(db)}
    finally:
        await engine.dispose()
    assert {ext: v["state"] for ext, v in rows.items()} == {"8001": "free", "8002": "free"}
    assert rows["8001"]["name"] == "Clerk 8001"  # MemberName of the queue rows


async def test_busy_or_unavailable_never_shows_a_call(migrated: str, traces: Path) -> None:
    """A: both phones answer 486 Busy (the queue retries every 2 s); B: plain Dial, both busy;
    C: phones unreachable. Asterisk sets the devices RINGING for each attempt; nobody talks."""
    spy, service, _ = await replay(migrated, [traces / "busy_or_unavailable"], 3)
    for ext in ("8001", "8002"):
        assert set(spy.states(ext)) == {"ringing", "free"}, spy.log
        assert spy.states(ext)[-1] == "free"
    assert service.clerks.counters["events"] > 0


async def test_load_trace_ends_with_both_clerks_free(migrated: str, traces: Path, tmp_path: Path) -> None:
    """300 calls by plain Dial to one phone at a time (up to ~120 in parallel per phone)."""
    spy, service, _ = await replay(migrated, [traces / "load"], 300, speed=5)
    for ext in ("8001", "8002"):
        assert spy.states(ext)[-1] == "free" and "hotline_call" in spy.states(ext)
    assert {(v["state"], v["calls"]) for v in service.clerks.views()} == {("free", 0)}


async def test_reconnect_mid_call_rebuilds_the_same_states(migrated: str, traces: Path) -> None:
    """The connection drops while 8001 talks: the board is rebuilt from QueueStatus and
    DeviceStateList (answered by the replay server from what it played) plus the call log's open
    call; it shows 8001 on the call right away and ends like the uninterrupted run."""
    trace = traces / "answered_caller_hangs_up"
    raw = (trace / "ami.raw").read_bytes()
    booted = raw.index(b"\r\n\r\n", raw.index(b"Event: FullyBooted")) + 4
    # just after the bridge (the played stream is longer than ami.raw by the Timestamp headers)
    bridged = raw.index(b"Event: BridgeEnter", raw.index(b"Event: BridgeEnter") + 1)
    during_talk = bridged - booted + 3500
    assert during_talk < raw.index(b"Event: AgentComplete") - booted
    spy, service, pbx = await replay(migrated, [trace], 1, drop_at=[during_talk], speed=2)
    assert pbx.drops_effective == 1
    assert service.clerks.counters["rebuilds"] == 2
    after = spy.log[[i for i, e in enumerate(spy.log) if e[0] == "*"][-1] + 1:]
    assert ("8001", "hotline_call", "13909511234") in after[:2], (after, spy.log)
    assert ("8002", "free", None) in after[:2], spy.log
    assert spy.states("8001")[-1] == "free" and spy.states("8002")[-1] == "free"


async def test_a_refused_snapshot_action_is_logged_not_fatal(migrated: str, traces: Path) -> None:
    """The recorded PBX is chan_sip: PJSIPShowContacts answers an empty list; a real PBX where the
    user lacks the class answers Error: the board keeps working from the events."""
    spy, service, _ = await replay(migrated, [traces / "answered_caller_hangs_up"], 1)
    assert service.clerks.counters["snapshot_failures"] == 0
    assert spy.states("8001") == ["ringing", "hotline_call", "free"]


# -- events the recorded traces do not contain (no pause, no login/logout, no PJSIP contacts were
# -- recorded): the pure board, fed headers as Asterisk 20 documents them.


def _feed(board: clerks.Board, *messages: dict[str, str]) -> None:
    for i, headers in enumerate(messages):
        event = clerks.parse(headers, 1000.0 + i)
        assert event is not None, headers
        clerks.apply(board, event)


MEMBER = {"Queue": "hotline", "MemberName": "Clerk 8001", "Interface": "PJSIP/8001", "StateInterface": "PJSIP/8001",
          "Status": "1", "Paused": "0", "PausedReason": ""}  # fmt: skip


def test_pause_logout_and_unreachable() -> None:
    board = clerks.Board()
    _feed(board, {"Event": "QueueMemberAdded", **MEMBER})
    assert clerks.view(board.clerks["8001"])["state"] == "free"
    _feed(board, {"Event": "QueueMemberPause", **MEMBER, "Paused": "1", "PausedReason": "午餐"})
    v = clerks.view(board.clerks["8001"])
    assert (v["state"], v["pause_reason"]) == ("paused", "午餐")
    _feed(board, {"Event": "QueueMemberPause", **MEMBER, "Paused": "0"})
    assert clerks.view(board.clerks["8001"])["state"] == "free"
    _feed(board, {"Event": "ContactStatus", "AOR": "8001", "EndpointName": "8001", "ContactStatus": "Unreachable"})
    v = clerks.view(board.clerks["8001"])
    assert (v["state"], v["offline_reason"]) == ("offline", "unreachable")
    _feed(board, {"Event": "ContactStatus", "AOR": "8001", "EndpointName": "8001", "ContactStatus": "Reachable"})
    assert clerks.view(board.clerks["8001"])["state"] == "free"
    _feed(board, {"Event": "QueueMemberRemoved", **MEMBER})
    v = clerks.view(board.clerks["8001"])
    assert (v["state"], v["offline_reason"]) == ("offline", "logged_out")


def test_other_call_and_unknown_and_bad_input() -> None:
    board = clerks.Board()
    _feed(board, {"Event": "DeviceStateChange", "Device": "PJSIP/8002", "State": "INUSE"})
    assert "8002" not in board.clerks  # a device alone does not make a clerk
    _feed(board, {"Event": "QueueMemberStatus", **MEMBER, "Interface": "PJSIP/8002", "StateInterface": "PJSIP/8002",
                  "Status": "2"})  # fmt: skip
    assert clerks.view(board.clerks["8002"])["state"] == "other_call"
    for bad in ({"Event": "QueueMemberStatus"}, {"Event": "AgentCalled", "Interface": "SIP/8001"},
                {"Event": "DeviceStateChange", "Device": "Queue:hotline", "State": "INUSE"},
                {"Event": "QueueMemberStatus", **MEMBER, "Status": "x" * 10_000}):  # fmt: skip
        event = clerks.parse(bad, 1.0)
        if event is not None:
            clerks.apply(board, event)
    assert clerks.extension_of("Local/8001@from-queue/n") == "8001"
    assert clerks.extension_of("SIP/8001-0000000a") == "8001"


async def test_malformed_clerk_events_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    from callcenter.ami.clerk_tracker import ClerkTracker
    from callcenter.live import LiveFeed

    tracker = ClerkTracker(None, LiveFeed())  # type: ignore[arg-type] - nothing is written here
    tracker.on_message({"Event": "QueueMemberStatus", "Queue": "hotline"}, 1.0)  # no interface
    tracker.on_message({"Event": "AgentConnect", "Interface": "SIP/8001"}, 1.0)  # no linkedid
    tracker.on_message({"Event": "DeviceStateChange", "Device": "Queue:hotline", "State": "INUSE"}, 1.0)
    tracker.on_message({"Event": "QueueMemberStatus", **MEMBER, "Paused": "\x00" * 5000}, 1.0)
    assert tracker.counters["ignored"] == 3 and tracker.counters["events"] == 1
    assert sum("skipped" in r.message for r in caplog.records) == 2
    assert clerks.view(tracker.board.clerks["8001"])["state"] == "free"
