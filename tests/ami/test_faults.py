"""Exactly once across faults: dropped connections and a killed service, on the load trace.

After each run the call log must equal the set of calls in the trace's CDR: none lost,
none doubled. Calls that fell entirely into a gap come back from Master.csv (the replay
server writes it as Asterisk would) and are marked ``recovered``.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from callcenter.ami.replay import ReplayServer
from callcenter.service import CallLogService
from tests.ami.harness import call_log, counts, service_config, settle, wait_until
from tests.ami.tracedata import cdr_calls

SEED = 20261128


def assert_log_equals_cdr(log: list[dict], traces: Path) -> None:
    truth = cdr_calls(traces / "load")
    ids = Counter(c["linkedid"] for c in log)
    doubled = [k for k, n in ids.items() if n > 1]
    assert not doubled, f"calls logged twice: {doubled[:5]}"
    assert set(ids) == set(truth), f"lost: {sorted(set(truth) - set(ids))[:5]}, extra: {sorted(set(ids) - set(truth))[:5]}"
    for call in log:
        row = next(r for r in truth[call["linkedid"]].rows if r["disposition"] == "ANSWERED")
        assert call["status"] == "ended"
        assert call["disposition"] == "answered", call
        assert call["answered_by"] == row["dstchannel"].split("/")[1].split("-")[0], call
        assert abs(call["duration_seconds"] - int(row["duration"])) <= 1.5, call


@pytest.mark.parametrize("speed", [2.5])
async def test_drops_at_many_points(migrated: str, traces: Path, tmp_path: Path, speed: float) -> None:
    """120 drops at random byte offsets (fixed seed), most of them mid-message; at least 100
    of them cut a logged-in connection (the others fall while the service reconnects)."""
    master_csv = tmp_path / "Master.csv"
    probe = ReplayServer([traces / "load"])
    total = probe.total_bytes
    rng = random.Random(SEED)
    stride = total // 120  # one random point in each 1/120 of the stream: spread, not clustered
    drops = [k * stride + rng.randrange(stride) for k in range(120)]
    async with ReplayServer([traces / "load"], speed=speed, inject_timestamps=True, drop_at=drops,
                            cdr_out=master_csv) as pbx:  # fmt: skip
        service = CallLogService(service_config(migrated, pbx.port, cdr_csv=master_csv))
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 120)
            await settle(service, migrated, 300, timeout=30)
        finally:
            await service.stop()
    log = await call_log(migrated)
    assert_log_equals_cdr(log, traces)
    assert pbx.drops_done == 120
    assert pbx.drops_effective >= 100, pbx.drops_effective
    assert service.link.reconnects >= pbx.drops_effective
    assert not [c for c in log if c["incomplete"]], "every gap was filled from the CDR"
    stats = service.reconciler.stats
    assert stats["gap_ended"] > 0 and stats["adopted"] > 0, stats  # both fault paths were taken


async def _serve(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter.cli", "serve", "--role", "listener", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_sigkill_mid_stream_and_restart(migrated: str, traces: Path, tmp_path: Path) -> None:
    master_csv = tmp_path / "Master.csv"
    async with ReplayServer([traces / "load"], speed=4, inject_timestamps=True, cdr_out=master_csv) as pbx:
        env = dict(os.environ, CALLCENTER_DATABASE_URL=migrated, CALLCENTER_AMI_PORT=str(pbx.port),
                   CALLCENTER_AMI_HOST="127.0.0.1", CALLCENTER_CDR_CSV=str(master_csv),
                   CALLCENTER_AMI_RECONNECT_MIN="0.1", CALLCENTER_AMI_RECONNECT_MAX="0.5")  # fmt: skip
        first = await _serve(env)
        await wait_until(lambda: _some_calls(migrated, 60), 60, "60 calls before the kill")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        ended, opened = await counts(migrated)
        assert opened > 0, "the kill should catch calls in progress"
        await asyncio.sleep(1.5)  # calls start and end while nobody listens
        second = await _serve(env)
        try:
            await asyncio.wait_for(pbx.wait_finished(), 120)
            await wait_until(lambda: _settled(migrated, 300), 90, "300 ended calls")  # a loaded 2-core box is slow
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(second.communicate(), 20)
        assert second.returncode == 0, stderr.decode()[-2000:]
    log = await call_log(migrated)
    assert_log_equals_cdr(log, traces)
    assert Counter(c["source"] for c in log)["recovered"] > 0


async def _some_calls(url: str, n: int) -> bool:
    ended, _ = await counts(url)
    return ended >= n


async def _settled(url: str, n: int) -> bool:
    ended, opened = await counts(url)
    return ended >= n and opened == 0
