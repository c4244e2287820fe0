"""The whole pipeline on the recorded voicemail trace: the AMI replay server plays the real
Mandarin voicemail call → the call log → the draft case (from the live feed, and again
through the hook: still one) → the Transcriber with the real (Korean) model → the draft
filled in. And the same call recovered from Master.csv (the service was down while it
happened): its draft comes from the reconciler's announcement. The Korean model cannot
understand Mandarin: the pipeline is asserted, not the words."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.ami.replay import ReplayServer
from callcenter.db.models import Call
from callcenter.service import CallLogService
from callcenter.transcribe.drafts import follow, on_call_logged
from callcenter.transcribe.transcriber import Transcriber
from tests.ami.harness import service_config, settle, spool_copy, wait_until
from tests.transcribe.vm_support import Clock, all_drafts

AFTER_THE_CALL = dt.datetime(2026, 11, 28, 20, 50, tzinfo=dt.UTC)  # the trace's call: 20:45:56-20:46:41 UTC


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_recorded_voicemail_becomes_a_transcribed_draft(
    migrated: str, traces: Path, tmp_path: Path, ko_model_path: Path
) -> None:
    spool = spool_copy(traces, tmp_path)
    async with ReplayServer([traces / "voicemail"], speed=20, inject_timestamps=True) as pbx:
        config = service_config(migrated, pbx.port, spool_dir=spool, vosk_model=ko_model_path)
        service = CallLogService(config)
        transcriber = Transcriber(config, service.sessions, service.feed, workers=1, poll_interval=0.1)
        async with service.feed.subscribe() as sub:
            await transcriber.start()  # follows the feed: drafts as soon as a voicemail call ends
            await service.start()
            try:
                await asyncio.wait_for(pbx.wait_finished(), 30)
                await settle(service, migrated, 1)
                await wait_until(lambda: transcriber.stats["transcribed"] == 1, 60, "the transcript")
                async with service.sessions() as session:
                    call = (await session.scalars(select(Call))).one()
                await on_call_logged(service.sessions, call.id, feed=service.feed, spool_dir=spool)  # idempotent
                drafts = await all_drafts(service.sessions)
            finally:
                await transcriber.stop()  # before the service disposes of the engine
                await service.stop()
            messages = [m for m in (sub.queue.get_nowait() for _ in range(sub.queue.qsize())) if m["type"] == "draft"]
    (got,) = drafts
    assert call.disposition == "voicemail" and got.draft.call_id == call.id
    assert got.case is not None and got.links == [call.id]
    assert (got.case.state, got.case.source, got.case.caller_phone) == ("draft", "voicemail", "13909511234")
    assert got.case.received_at == call.ended_at
    assert (got.draft.status, got.job.state, got.job.attempts) == ("transcribed", "done", 1)
    assert got.draft.transcript and got.case.problem  # words of some kind: the model is Korean
    words = got.draft.words or []
    assert len(words) > 5 and words[-1]["end"] > 8.0
    assert all(0.0 <= w["start"] <= w["end"] <= 12.0 and 0.0 <= w["conf"] <= 1.0 for w in words)
    assert got.draft.confidence is not None and 0.0 < got.draft.confidence <= 1.0
    audio = Path(got.draft.audio_path or "")
    assert audio.is_relative_to(spool.resolve()) and audio.name == "msg0000.wav" and audio.is_file()
    assert got.draft.callerid == '"Zhang Wei" <13909511234>' and got.draft.duration_seconds == 11.0
    assert [(m["status"], m["linkedid"], m["case_id"]) for m in messages] == [
        ("transcribing", call.linkedid, got.case.id), ("transcribed", call.linkedid, got.case.id)]


async def test_a_voicemail_recovered_from_master_csv_becomes_a_transcribed_draft(
    migrated: str, traces: Path, tmp_path: Path, ko_model_path: Path
) -> None:
    master_csv = tmp_path / "Master.csv"  # the service was down during the whole call
    shutil.copyfile(traces / "voicemail" / "cdr.csv", master_csv)
    spool, clock = spool_copy(traces, tmp_path), Clock(AFTER_THE_CALL)
    with socket.socket() as closed:  # a port nobody listens on: the PBX is unreachable
        closed.bind(("127.0.0.1", 0))
        config = service_config(migrated, closed.getsockname()[1], spool_dir=spool, vosk_model=ko_model_path,
                                cdr_csv=master_csv)  # fmt: skip
        service = CallLogService(config)
        transcriber = Transcriber(config, service.sessions, service.feed, workers=1, clock=clock)
        woken: list[bool] = []
        follower = asyncio.create_task(follow(service.sessions, service.feed, spool_dir=spool, clock=clock,
                                              on_draft=lambda: woken.append(True)))  # fmt: skip
        try:
            await wait_until(lambda: service.feed.subscribers == 1, 5, "following the feed")
            await service.start()  # recovers what Master.csv holds, PBX or not
            await wait_until(lambda: woken, 10, "the draft of the recovered call")  # not the minute's scan
            assert await transcriber.run_once(clock()) == 1
            (got,) = await all_drafts(service.sessions)
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
            await transcriber.stop()
            await service.stop()
    assert service.reconciler.stats["recovered"] == 1
    assert got.case is not None and (got.case.state, got.case.source, got.case.caller_phone) == (
        "draft", "voicemail", "13909511234")
    assert (got.draft.status, got.job.state, got.job.attempts) == ("transcribed", "done", 1)
    assert got.draft.transcript and got.case.problem  # words of some kind: the model is Korean
    assert Path(got.draft.audio_path or "").name == "msg0000.wav" and got.draft.duration_seconds == 11.0
