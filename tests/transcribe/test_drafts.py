"""Drafts are created when a voicemail call ends: once, with the call linked, the recording
resolved inside the spool, the metadata kept, and announced on the live feed."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.ami.reconcile import RECOVERED
from callcenter.live import LiveFeed
from callcenter.tickets.models import Case
from callcenter.transcribe.drafts import (
    create_draft,
    drafts_for,
    enqueue_missing,
    follow,
    on_call_ended,
    on_call_logged,
    status_text,
)
from callcenter.transcribe.models import VoicemailDraft
from tests.ami.harness import wait_until
from tests.transcribe.vm_support import DATA, T0, Clock, add_call, all_drafts, database, draft_of, put_message


async def test_a_voicemail_call_becomes_a_draft_case(migrated: str, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    path = put_message(spool, "msg0000", DATA / "ko_yes_mom.wav")
    feed = LiveFeed()
    async with database(migrated) as sessions, feed.subscribe() as sub:
        call = await add_call(sessions, path)
        await on_call_logged(sessions, call.id, feed=feed, spool_dir=spool, clock=Clock(T0))
        got = await draft_of(sessions, call.id)
        message = sub.queue.get_nowait()
    assert got.case is not None and got.links == [call.id]
    assert (got.case.state, got.case.source, got.case.caller_phone, got.case.caller_name) == (
        "draft", "voicemail", "13909511234", "Zhang Wei")
    assert got.case.received_at == call.ended_at
    assert got.draft.status == "transcribing" and got.job.state == "queued"
    assert got.draft.audio_path == str((spool / "hotline/6085708/INBOX/msg0000.wav").resolve())
    assert got.draft.callerid == '"Zhang Wei" <13909511234>'
    assert got.draft.duration_seconds == 1.0
    assert got.draft.origtime == dt.datetime(2026, 11, 28, 20, 46, 26, tzinfo=dt.UTC)
    assert got.draft.message_info["callerchan"] == "SIP/trunk-00000141"
    assert message == {
        "type": "draft", "case_id": got.case.id, "call_id": call.id, "linkedid": call.linkedid,
        "caller_number": "13909511234", "status": "transcribing", "status_text": "transcribing…",
    }  # fmt: skip


async def test_twice_and_concurrently_still_one_draft(migrated: str) -> None:
    async with database(migrated) as a, database(migrated) as b:
        call = await add_call(a, "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000")
        results = await asyncio.gather(
            create_draft(a, call.id, now=T0), create_draft(b, call.id, now=T0), create_draft(a, call.id, now=T0)
        )
        await on_call_logged(b, call.id)
        assert sorted(results, key=str) == [1, None, None]
        async with a() as session:
            assert await session.scalar(select(func.count()).select_from(Case)) == 1
            assert await session.scalar(select(func.count()).select_from(VoicemailDraft)) == 1


async def test_calls_without_voicemail_are_ignored(migrated: str) -> None:
    async with database(migrated) as sessions:
        answered = await add_call(sessions, None, disposition="answered")
        await on_call_logged(sessions, answered.id)
        await on_call_logged(sessions, 999_999)  # no such call
        assert await all_drafts(sessions) == []


@pytest.mark.parametrize(
    "message_path",
    ["/var/spool/asterisk/voicemail/../../../../etc/passwd", "/etc/asterisk/manager", "hotline/../../outside/msg0000"],
)
async def test_a_path_outside_the_spool_is_refused_and_the_draft_says_so(
    migrated: str, tmp_path: Path, message_path: str
) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "msg0000.wav").write_bytes((DATA / "ko_yes_mom.wav").read_bytes())
    async with database(migrated) as sessions:
        call = await add_call(sessions, message_path)
        await on_call_logged(sessions, call.id, spool_dir=tmp_path / "spool")
        got = await draft_of(sessions, call.id)
    assert got.case is not None and got.case.state == "draft"
    assert (got.draft.status, got.job.state, got.draft.audio_path) == ("failed", "failed", None)
    assert got.draft.reason is not None and got.draft.reason.startswith("recording refused:")
    assert status_text(got.draft.status, got.draft.reason).startswith("transcription failed: recording refused")


async def test_a_symlink_out_of_the_spool_is_refused(migrated: str, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    inbox = spool / "hotline" / "6085708" / "INBOX"
    inbox.mkdir(parents=True)
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF")
    (inbox / "msg0000.wav").symlink_to(secret)
    async with database(migrated) as sessions:
        call = await add_call(sessions, "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000")
        await on_call_logged(sessions, call.id, spool_dir=spool)
        got = await draft_of(sessions, call.id)
    assert got.draft.status == "failed" and "leaves the spool" in (got.draft.reason or "")


async def test_hostile_caller_id_and_metadata_are_kept_as_text(migrated: str, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    hostile = '"<script>alert(1)</script>\\" ' + "9" * 300
    path = put_message(spool, "msg0001", DATA / "ko_yes_mom.wav", txt="[message]\ncallerid=" + hostile + "\nduration=x\n")
    async with database(migrated) as sessions:
        call = await add_call(sessions, path, caller="1" * 500, name="x" * 500)
        await on_call_logged(sessions, call.id, spool_dir=spool)
        got = await draft_of(sessions, call.id)
    assert got.case is not None and len(got.case.caller_phone) <= 64 and len(got.case.caller_name) <= 128
    assert got.draft.callerid == hostile and got.draft.duration_seconds == 11.0  # from the call log


async def test_anonymous_call_takes_the_number_from_the_metadata(migrated: str, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    path = put_message(spool, "msg0002", DATA / "ko_yes_mom.wav")
    async with database(migrated) as sessions:
        call = await add_call(sessions, path, caller="", name="")
        await on_call_logged(sessions, call.id, spool_dir=spool)
        got = await draft_of(sessions, call.id)
    assert got.case is not None and (got.case.caller_phone, got.case.caller_name) == ("13909511234", "Zhang Wei")


async def test_the_hook_never_raises(migrated: str, caplog: pytest.LogCaptureFixture) -> None:
    async with database(migrated) as sessions:
        call = await add_call(sessions, "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000")

    def broken() -> dt.datetime:
        raise RuntimeError("clock on fire")

    await on_call_logged(sessions, call.id, clock=broken)
    assert f"draft for call {call.id} not created" in caplog.text


async def test_scan_creates_what_the_hook_missed(migrated: str) -> None:
    feed = LiveFeed()
    async with database(migrated) as sessions, feed.subscribe() as sub:
        old = await add_call(sessions, "/x/voicemail/hotline/6085708/INBOX/msg0000", at=T0 - dt.timedelta(days=40))
        missed = [await add_call(sessions, f"/x/voicemail/hotline/6085708/INBOX/msg{n:04d}") for n in (1, 2)]
        await add_call(sessions, None, disposition="abandoned")
        assert await enqueue_missing(sessions, feed, clock=Clock(T0 + dt.timedelta(hours=1))) == 2
        assert await enqueue_missing(sessions, feed, clock=Clock(T0 + dt.timedelta(hours=1))) == 0
        drafts = await all_drafts(sessions)
    assert [d.draft.call_id for d in drafts] == [c.id for c in missed] and old.id not in [d.draft.call_id for d in drafts]
    assert sub.queue.qsize() == 2


async def test_from_the_feed_by_linkedid(migrated: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with database(migrated) as sessions:
        call = await add_call(sessions, "/x/voicemail/hotline/6085708/INBOX/msg0000")
        assert await on_call_ended(sessions, call.linkedid, clock=Clock(T0)) == 1
        assert await on_call_ended(sessions, call.linkedid, clock=Clock(T0)) == 0
    assert f"voicemail: call {call.linkedid} from '13909511234': draft case" in caplog.text


async def test_following_the_live_feed(migrated: str) -> None:
    """What a listener-only process runs: drafts as the call log announces ended voicemails."""
    feed = LiveFeed()
    woken: list[bool] = []
    async with database(migrated) as sessions:
        call = await add_call(sessions, "/x/voicemail/hotline/6085708/INBOX/msg0000")
        task = asyncio.create_task(follow(sessions, feed, clock=Clock(T0), on_draft=lambda: woken.append(True)))
        await wait_until(lambda: feed.subscribers == 1, 5, "subscribed")
        feed.publish({"type": "call", "change": "ended", "linkedid": "other", "ended": True, "voicemail": False})
        feed.publish({"type": "call", "change": "ended", "linkedid": call.linkedid, "ended": True, "voicemail": True})
        try:
            await wait_until(lambda: woken, 5, "a draft")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        (got,) = await all_drafts(sessions)
    assert got.draft.call_id == call.id and feed.subscribers == 0


async def test_a_call_recovered_from_the_cdr_gets_its_draft_from_the_feed(migrated: str) -> None:
    """The reconciler announces a recovered voicemail call by its row id (callcenter.ami.reconcile)."""
    feed = LiveFeed()
    woken: list[bool] = []
    async with database(migrated) as sessions:
        call = await add_call(sessions, "/x/voicemail/hotline/6085708/INBOX/msg0000")
        task = asyncio.create_task(follow(sessions, feed, clock=Clock(T0), on_draft=lambda: woken.append(True)))
        await wait_until(lambda: feed.subscribers == 1, 5, "subscribed")
        feed.publish({"type": RECOVERED, "call_id": call.id, "linkedid": call.linkedid, "voicemail": True})
        try:
            await wait_until(lambda: woken, 5, "a draft")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        (got,) = await all_drafts(sessions)
    assert got.draft.call_id == call.id and got.case is not None and got.links == [call.id]


async def test_recovered_messages_that_call_for_no_draft(migrated: str) -> None:
    async with database(migrated) as sessions:
        old = await add_call(sessions, "/x/voicemail/hotline/6085708/INBOX/msg0000", at=T0 - dt.timedelta(days=40))
        answered = await add_call(sessions, None, disposition="answered")
        fresh = await add_call(sessions, "/x/voicemail/hotline/6085708/INBOX/msg0001")
        for message in (
            {"type": RECOVERED, "call_id": old.id, "voicemail": True},  # a first start on years of Master.csv
            {"type": RECOVERED, "call_id": answered.id, "voicemail": True},  # not a voicemail call after all
            {"type": RECOVERED, "call_id": 999_999, "voicemail": True},  # no such call
            {"type": RECOVERED, "call_id": str(fresh.id), "voicemail": True},  # not a row id
            {"type": RECOVERED, "call_id": fresh.id, "voicemail": False},
        ):
            assert await drafts_for(sessions, message, clock=Clock(T0)) == 0, message
        assert await all_drafts(sessions) == []
        recovered = {"type": RECOVERED, "call_id": fresh.id, "voicemail": True}
        assert [await drafts_for(sessions, recovered, clock=Clock(T0)) for _ in range(2)] == [1, 0]
