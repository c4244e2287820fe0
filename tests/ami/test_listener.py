"""The real listener + recorder + store over real TCP against the replay server."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from callcenter.ami.replay import ReplayServer
from callcenter.service import CallLogService
from tests.ami.harness import call_log, service_config, settle, wait_until
from tests.ami.tracedata import EXPECTED, SCENARIOS, cdr_calls


def assert_matches_trace(log: list[dict], traces: Path, scenario: str) -> None:
    by_id = {c["linkedid"]: c for c in log}
    assert len(by_id) == len(log), "a call was logged twice"
    cdr = cdr_calls(traces / scenario)
    assert set(by_id) == set(cdr) == set(EXPECTED[scenario])
    for linkedid, expected in EXPECTED[scenario].items():
        got = by_id[linkedid]
        for key, value in expected.items():
            if key == "voicemail" and value is not None:
                assert {k: got[key][k] for k in value} == value
            else:
                assert got[key] == value, (scenario, linkedid, key)
        truth = cdr[linkedid]
        assert abs(got["duration_seconds"] - (truth.end - truth.start).total_seconds()) <= 1.0
        if truth.answer is not None:
            assert abs(got["ring_seconds"] - (truth.answer - truth.start).total_seconds()) <= 1.0
            assert abs(got["talk_seconds"] - (truth.end - truth.answer).total_seconds()) <= 1.0
        assert got["source"] == "live" and got["status"] == "ended" and not got["incomplete"]
        assert got["started_at"].endswith("+08:00")


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_every_trace_over_tcp(migrated: str, traces: Path, scenario: str) -> None:
    # Asterisk configured with timestampevents = yes (as asterisk-conf/ ships it): the replay
    # adds the Timestamp header from the recorded offsets, so the trace may play fast.
    async with ReplayServer([traces / scenario], speed=25, inject_timestamps=True) as pbx:
        service = CallLogService(service_config(migrated, pbx.port))
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 30)
            await settle(service, migrated, len(EXPECTED[scenario]))
        finally:
            await service.stop()
    assert_matches_trace(await call_log(migrated), traces, scenario)


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_real_time_without_timestamps(migrated: str, traces: Path) -> None:
    """As recorded (timestampevents = no): timings come from the arrival times."""
    async with ReplayServer([traces / "answered_caller_hangs_up", traces / "abandoned_while_ringing"]) as pbx:
        service = CallLogService(service_config(migrated, pbx.port))
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 60)
            await settle(service, migrated, 2)
        finally:
            await service.stop()
    log = await call_log(migrated)
    assert_matches_trace([c for c in log if c["linkedid"] == "1795898248.0"], traces, "answered_caller_hangs_up")
    assert_matches_trace([c for c in log if c["linkedid"] != "1795898248.0"], traces, "abandoned_while_ringing")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_wrong_secret_is_not_ready_and_says_so(
    migrated: str, traces: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with ReplayServer([traces / "answered_caller_hangs_up"], secret="right") as pbx:
        service = CallLogService(service_config(migrated, pbx.port, ami_secret="wrong"))
        await service.start()
        try:
            await wait_until(lambda: service.link.login_failures >= 2, 10, "two refused logins")
            assert not service.link.ready.is_set()
        finally:
            await service.stop()
    assert "login as 'callcenter' refused" in caplog.text
    assert "reconnecting to 127.0.0.1" in caplog.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_ready_only_after_login_and_clean_shutdown(migrated: str, traces: Path) -> None:
    async with ReplayServer([traces / "answered_caller_hangs_up"], speed=50) as pbx:
        service = CallLogService(service_config(migrated, pbx.port))
        await service.start()
        await asyncio.wait_for(service.link.ready.wait(), 5)
        await service.stop()
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [t for t in leftover if t.get_name() in ("ami-watchdog", "ami-consumer", "call-writer", "cdr-scanner")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_unanswered_ping_drops_and_reconnects(migrated: str, traces: Path) -> None:
    """A PBX that stops answering (but keeps the socket open) is noticed by the watchdog."""
    async with ReplayServer([traces / "voicemail"], speed=1) as pbx:
        service = CallLogService(service_config(migrated, pbx.port, ami_ping_interval=0.2, ami_ping_timeout=0.3))
        await service.start()
        try:
            await asyncio.wait_for(service.link.ready.wait(), 5)
            pbx.mute_actions = True  # answers no action any more
            await wait_until(lambda: service.link.reconnects >= 1, 5, "a watchdog reconnect")
            pbx.mute_actions = False
            await wait_until(service.link.ready.is_set, 5, "ready again")
        finally:
            await service.stop()


async def test_asterisk_restart_reusing_a_linkedid_makes_a_new_call(
    migrated: str, traces: Path, tmp_path: Path
) -> None:
    """Shutdown, closed socket, FullyBooted Uptime 0, and the same Linkedid again: two calls."""
    from callcenter.ami.playlist import concat_traces

    trace = concat_traces([traces / "answered_caller_hangs_up"] * 2, tmp_path / "restart", gap=2.0, shift_ids=False)
    master = tmp_path / "Master.csv"
    async with ReplayServer([trace], speed=10, inject_timestamps=True, cdr_out=master) as pbx:
        service = CallLogService(service_config(migrated, pbx.port, cdr_csv=master))
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 30)
            await settle(service, migrated, 2)
            await service.reconciler.scan_and_recover()
        finally:
            await service.stop()
        assert service.link.reconnects >= 1
    log = await call_log(migrated)
    assert [c["linkedid"] for c in log] == ["1795898248.0", "1795898248.0"]
    assert [c["answered_by"] for c in log] == ["8001", "8001"]
    assert log[0]["ended_at"] < log[1]["started_at"]
    assert {c["source"] for c in log} == {"live"}


async def test_two_listeners_on_one_pbx_do_not_double_calls(migrated: str, traces: Path) -> None:
    """A second listener started by mistake (same PBX, same database) logs nothing twice."""
    scenarios = ["answered_caller_hangs_up", "blind_transfer", "voicemail", "busy_or_unavailable"]
    async with ReplayServer([traces / s for s in scenarios], speed=25, inject_timestamps=True) as pbx:
        first = CallLogService(service_config(migrated, pbx.port))
        second = CallLogService(service_config(migrated, pbx.port))
        await first.start()
        await second.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 60)
            await settle(first, migrated, 6)
            await settle(second, migrated, 6)
        finally:
            await first.stop()
            await second.stop()
    log = await call_log(migrated)
    assert sorted(c["linkedid"] for c in log) == sorted(
        lid for s in scenarios for lid in EXPECTED[s]
    )
    assert first.recorder.counters["calls_logged"] + second.recorder.counters["calls_logged"] == 6


async def test_cdr_clock_skew_does_not_double_live_calls(migrated: str, traces: Path, tmp_path: Path) -> None:
    """A PBX whose CDR times are 8 h off (a wrong CALLCENTER_CDR_TIMEZONE, a skewed clock):
    the CDR rows of calls followed live are linked to them, never recovered as new calls."""
    master = tmp_path / "Master.csv"
    scenarios = ["answered_caller_hangs_up", "voicemail"]
    async with ReplayServer([traces / s for s in scenarios], speed=25, inject_timestamps=True, cdr_out=master) as pbx:
        service = CallLogService(service_config(migrated, pbx.port, cdr_csv=master, cdr_timezone="Asia/Shanghai"))
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 60)
            await settle(service, migrated, 2)
            assert await service.reconciler.scan_and_recover() == 0
        finally:
            await service.stop()
    log = await call_log(migrated)
    assert sorted(c["linkedid"] for c in log) == ["1795898248.0", "1795898756.321"]
    assert {c["source"] for c in log} == {"live"}
