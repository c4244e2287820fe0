"""The Transcriber with the real Korean model in a real process pool (shared by this module:
each worker loads the model once): recognised words reach the draft, bad recordings and a
missing model still end as drafts, a restart loses nothing, two instances share the work."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from callcenter.live import LiveFeed
from callcenter.transcribe.drafts import create_draft
from callcenter.transcribe.pool import TranscriptionPool
from callcenter.transcribe.transcriber import NO_MODEL, Transcriber, default_workers
from tests.ami.harness import wait_until
from tests.transcribe.conftest import write_wav
from tests.transcribe.vm_support import DATA, T0, Sessions, add_call, all_drafts, config_for, database, put_message

FAST = {"retry_delay": dt.timedelta(0), "poll_interval": 0.05, "scan_interval": 3600.0}


@pytest.fixture(scope="module")
def pool(ko_model_path: Path) -> Iterator[TranscriptionPool]:
    """Two workers with the Korean model, for every test of this module."""
    shared = TranscriptionPool(ko_model_path, 2)
    assert asyncio.run(shared.start()) is None
    yield shared
    asyncio.run(shared.close())


async def voicemails(sessions: Sessions, spool: Path, recordings: Sequence[bytes | Path | None]) -> list[int]:
    """A voicemail call with a draft per recording; the call ids."""
    ids: list[int] = []
    for recording in recordings:
        path = put_message(spool, f"msg{len(ids):04d}", recording)
        call = await add_call(sessions, path)
        assert await create_draft(sessions, call.id, now=T0, spool_dir=spool) is not None
        ids.append(call.id)
    return ids


def transcriber(db_url: str, spool: Path, sessions: Sessions, pool: TranscriptionPool | None, *,
                model: Path | None = None, feed: LiveFeed | None = None, **options: object) -> Transcriber:  # fmt: skip
    model = model or (pool.model_path if pool else None)
    return Transcriber(config_for(db_url, spool, model), sessions, feed, pool=pool, clock=lambda: T0,
                       **{**FAST, **options})  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_korean_speech_reaches_the_draft(migrated: str, tmp_path: Path, pool: TranscriptionPool) -> None:
    spool = tmp_path / "spool"
    feed = LiveFeed()
    async with database(migrated) as sessions, feed.subscribe() as sub:
        (call_id,) = await voicemails(sessions, spool, [DATA / "ko_mom_two_five.wav"])
        worker = transcriber(migrated, spool, sessions, pool, feed=feed)
        assert await worker.run_once(T0) == 1
        (got,) = await all_drafts(sessions)
        message = sub.queue.get_nowait()
    assert got.draft.call_id == call_id and got.draft.status == "transcribed" and got.job.state == "done"
    words = got.draft.words or []
    assert [w["word"] for w in words] == ["엄마", "이", "오"]  # "mum", "two", "five"
    assert all(0.0 <= w["start"] <= w["end"] <= 2.5 and 0.0 < w["conf"] <= 1.0 for w in words)
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    assert got.draft.transcript == "엄마 이 오" and got.draft.confidence == pytest.approx(
        sum(w["conf"] for w in words) / 3)
    assert got.draft.audio_path == str((spool / "hotline/6085708/INBOX/msg0000.wav").resolve())
    assert got.draft.model == "model" and got.draft.extracted is not None
    assert got.case is not None and got.case.problem == "엄마 이 오" and got.case.state == "draft"
    assert (message["type"], message["status"], message["case_id"]) == ("draft", "transcribed", got.case.id)
    assert worker.work["audio_seconds"] == pytest.approx(2.2, abs=0.1) and worker.work["worker_cpu_seconds"] > 0
    assert worker.metrics()["transcription_transcribed"] == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_bad_recordings_still_end_as_drafts(migrated: str, tmp_path: Path, pool: TranscriptionPool) -> None:
    spool = tmp_path / "spool"
    async with database(migrated) as sessions:
        corrupt, empty, missing = await voicemails(sessions, spool, [b"\x00\x01garbage" * 100, b"", None])
        worker = transcriber(migrated, spool, sessions, pool, max_attempts=3)
        assert [await worker.run_once(T0) for _ in range(2)] == [2, 1]  # as many as there are workers
        by_call = {d.draft.call_id: d for d in await all_drafts(sessions)}
        assert (by_call[corrupt].draft.status, by_call[corrupt].job.state) == ("failed", "failed")
        assert "not a WAV file" in (by_call[corrupt].draft.reason or "")
        assert (by_call[empty].draft.status, by_call[empty].draft.reason) == ("failed", "msg0001.wav: empty file (0 bytes)")
        waiting = by_call[missing]
        assert (waiting.draft.status, waiting.job.state, waiting.job.attempts) == ("transcribing", "queued", 1)
        assert "not in the spool" in (waiting.draft.reason or "")
        put_message(spool, "msg0002", DATA / "ko_yes_mom.wav")  # the file turns up after all
        assert await worker.run_once(T0) == 1
        later = {d.draft.call_id: d for d in await all_drafts(sessions)}[missing]
    assert (later.draft.status, later.draft.transcript, later.job.attempts) == ("transcribed", "네 엄마", 2)
    assert all(d.case is not None and d.case.state == "draft" for d in by_call.values())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_path_outside_the_spool_is_refused_by_the_transcriber_too(
    migrated: str, tmp_path: Path, pool: TranscriptionPool
) -> None:
    """The hook ran without a spool directory: the Transcriber resolves the path itself."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "msg0000.wav").write_bytes((DATA / "ko_yes_mom.wav").read_bytes())
    async with database(migrated) as sessions:
        call = await add_call(sessions, "/var/spool/asterisk/voicemail/../../../../etc/msg0000")
        assert await create_draft(sessions, call.id, now=T0) is not None
        assert await transcriber(migrated, tmp_path / "spool", sessions, pool).run_once(T0) == 1
        (got,) = await all_drafts(sessions)
    assert (got.draft.status, got.job.state, got.draft.transcript) == ("failed", "failed", None)
    assert (got.draft.reason or "").startswith("recording refused: not a message path inside the spool")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_recording_that_never_appears_fails_after_the_last_attempt(
    migrated: str, tmp_path: Path, pool: TranscriptionPool
) -> None:
    spool = tmp_path / "spool"
    async with database(migrated) as sessions:
        await voicemails(sessions, spool, [None])
        worker = transcriber(migrated, spool, sessions, pool, max_attempts=2)
        assert [await worker.run_once(T0) for _ in range(3)] == [1, 1, 0]
        (got,) = await all_drafts(sessions)
    assert (got.job.state, got.job.attempts, got.draft.status) == ("failed", 2, "failed")
    assert got.draft.reason == "the recording is not in the spool (yet) (gave up after 2 attempts)"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_missing_model_is_reported_once_and_drafts_say_why(
    migrated: str, tmp_path: Path, ko_model_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="callcenter.transcribe")
    spool, model = tmp_path / "spool", tmp_path / "model"
    feed = LiveFeed()
    async with database(migrated) as sessions, feed.subscribe() as sub:
        await voicemails(sessions, spool, [DATA / "ko_yes_mom.wav", write_wav(tmp_path / "silence.wav", [0] * 800)])
        worker = transcriber(migrated, spool, sessions, None, model=model, feed=feed, workers=1, model_recheck=0.2)
        assert await worker.run_once(T0) == 2
        assert await worker.run_once(T0) == 0
        assert worker.pool is None  # its idle workers were shut down
        drafts = await all_drafts(sessions)
        statuses = [sub.queue.get_nowait()["status_text"] for _ in range(2)]
        # The operator puts the model in place: the running service notices, no restart.
        model.symlink_to(ko_model_path, target_is_directory=True)
        await worker.start()
        try:
            await wait_until(lambda: worker.stats["transcribed"] == 2, 60, "both transcribed")
        finally:
            await worker.stop()
        after = await all_drafts(sessions)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "transcription unavailable: Vosk model directory not found" in errors[0].message
    assert {(d.draft.status, d.job.state) for d in drafts} == {("unavailable", "unavailable")}
    assert all(d.case is not None and d.case.state == "draft" for d in drafts)
    assert all((d.draft.reason or "").startswith("Vosk model directory not found") for d in drafts)
    assert statuses == [f"transcription unavailable: {drafts[0].draft.reason}"] * 2
    assert [(d.draft.status, d.draft.transcript) for d in after] == [("transcribed", "네 엄마"), ("transcribed", "")]
    assert f"the Vosk model {model} is usable again" in caplog.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_no_model_configured(migrated: str, tmp_path: Path) -> None:
    async with database(migrated) as sessions:
        await voicemails(sessions, tmp_path, [DATA / "ko_yes_mom.wav"])
        worker = transcriber(migrated, tmp_path, sessions, None)
        await worker.start()
        await wait_until(lambda: worker.stats["unavailable"] == 1, 10, "the draft marked unavailable")
        await worker.stop()
        (got,) = await all_drafts(sessions)
    assert (got.draft.status, got.draft.reason) == ("unavailable", NO_MODEL)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_restart_with_queued_jobs_loses_nothing(migrated: str, tmp_path: Path, pool: TranscriptionPool) -> None:
    spool = tmp_path / "spool"
    async with database(migrated) as sessions:
        silence = write_wav(tmp_path / "silence.wav", [0] * 8000)
        await voicemails(sessions, spool, [DATA / "ko_yes_mom.wav", silence, silence])
        first = transcriber(migrated, spool, sessions, pool)
        await first.start()
        await wait_until(lambda: first._inflight, 10, "a job running")
        await first.stop(timeout=0.0)  # stops mid-job: the running ones are given back
        left = [d for d in await all_drafts(sessions) if d.job.state != "done"]
        assert left and all(d.job.state == "queued" and d.job.claimed_by is None for d in left)
        assert not [t for t in asyncio.all_tasks() if (t.get_name() or "").startswith("transcri")]
        second = transcriber(migrated, spool, sessions, pool)
        await second.start()
        try:
            await wait_until(lambda: second.stats["transcribed"] == len(left), 60, "the rest transcribed")
        finally:
            await second.stop()
        done = await all_drafts(sessions)
    assert [(d.draft.status, d.job.state, d.draft.transcript) for d in done] == [
        ("transcribed", "done", "네 엄마"), ("transcribed", "done", ""), ("transcribed", "done", "")]
    assert {d.job.attempts for d in done} == {1}  # a job given back at shutdown is not an attempt


async def test_two_transcribers_never_do_a_job_twice(migrated: str, tmp_path: Path, pool: TranscriptionPool) -> None:
    spool = tmp_path / "spool"
    silence = write_wav(tmp_path / "silence.wav", [0] * 8000)  # 1 s: nothing for Vosk to decode
    recordings = [DATA / "ko_yes_mom.wav", silence, DATA / "ko_mom_two_five.wav", silence]
    async with database(migrated) as one, database(migrated) as two:
        await voicemails(one, spool, recordings)
        a = transcriber(migrated, spool, one, pool, name="instance-a")
        b = transcriber(migrated, spool, two, pool, name="instance-b")
        await asyncio.gather(a.start(), b.start())
        try:
            await wait_until(lambda: a.stats["transcribed"] + b.stats["transcribed"] == 4, 90, "4 transcripts")
        finally:
            await asyncio.gather(a.stop(), b.stop())
        done = await all_drafts(one)
    assert a.stats["claimed"] + b.stats["claimed"] == 4 and a.stats["lost"] == b.stats["lost"] == 0
    assert [(d.job.state, d.job.attempts) for d in done] == [("done", 1)] * 4
    assert [d.draft.transcript for d in done] == ["네 엄마", "", "엄마 이 오", ""]
    assert done[1].draft.reason == "no speech in the recording (silence)"


def test_the_worker_count_is_configured_or_one_per_spare_core(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}"
    assert default_workers(config_for(url, tmp_path, None, transcribe_workers=3)) == 3
    assert default_workers(config_for(url, tmp_path, None)) == max(1, min(4, (os.cpu_count() or 2) - 1))
