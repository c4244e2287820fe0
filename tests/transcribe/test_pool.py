"""The worker pool: a worker killed in the middle of a job (the job is retried and finishes,
the pool is rebuilt), a model that cannot load, shutdown leaving no process behind."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
from pathlib import Path

import pytest

from callcenter.transcribe.drafts import create_draft
from callcenter.transcribe.pool import TranscriptionPool
from callcenter.transcribe.transcriber import Transcriber
from tests.ami.harness import wait_until
from tests.transcribe.vm_support import DATA, T0, add_call, all_drafts, config_for, database, put_message


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes(
    migrated: str, tmp_path: Path, ko_model_path: Path
) -> None:
    spool = tmp_path / "spool"
    pool = TranscriptionPool(ko_model_path, 1)
    try:
        async with database(migrated) as sessions:
            call = await add_call(sessions, put_message(spool, "msg0000", DATA / "ko_two_utterances.wav"))
            assert await create_draft(sessions, call.id, now=T0, spool_dir=spool) is not None
            worker = Transcriber(config_for(migrated, spool, ko_model_path), sessions, pool=pool,
                                 retry_delay=dt.timedelta(0), poll_interval=0.05)  # fmt: skip
            await worker.start()
            try:
                await wait_until(lambda: pool.worker_pids() and worker._inflight, 30, "the job running")
                (victim,) = pool.worker_pids()
                await asyncio.sleep(0.5)  # well inside the ~2.5 s the job takes
                os.kill(victim, signal.SIGKILL)
                await wait_until(lambda: worker.stats["transcribed"] == 1, 60, "the job done after all")
            finally:
                await worker.stop()
            (got,) = await all_drafts(sessions)
        (replacement,) = pool.worker_pids()
    finally:
        await pool.close()
    assert pool.crashes == 1 and replacement != victim and not alive(victim)
    assert (got.job.state, got.job.attempts, got.draft.status) == ("done", 2, "transcribed")
    words = [w["word"] for w in got.draft.words or []]
    assert words[:3] == ["네", "엄마", "엄마"] and words[-1] == "오"


async def test_a_model_that_cannot_load_is_reported_not_raised(tmp_path: Path) -> None:
    pool = TranscriptionPool(tmp_path / "missing", 2)
    try:
        reason = await pool.start()
        assert reason is not None and reason.startswith("Vosk model directory not found")
        assert await pool.start() == reason  # asked once
        result = await pool.run([DATA / "ko_yes_mom.wav"])
        assert result.model_error and result.error == reason and result.transcript is None
        pids = pool.worker_pids()
        assert len(pids) == 2
    finally:
        await pool.close()
    assert pool.worker_pids() == [] and not any(alive(p) for p in pids)


async def test_a_worker_that_died_idle_is_replaced_at_the_next_job(tmp_path: Path) -> None:
    pool = TranscriptionPool(tmp_path / "missing", 1)
    try:
        await pool.start()
        (pid,) = pool.worker_pids()
        os.kill(pid, signal.SIGKILL)
        await wait_until(lambda: not alive(pid), 5, "the worker gone")
        await asyncio.sleep(0.2)  # the executor notices and marks itself broken
        result = await pool.run([DATA / "ko_yes_mom.wav"])  # runs on a fresh executor
        assert result.model_error and result.pid != pid
        assert pool.worker_pids() == [result.pid]
    finally:
        await pool.close()
