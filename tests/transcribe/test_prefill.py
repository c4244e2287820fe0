"""Fields read from the transcript land in the draft case's empty fields; what a clerk typed,
or cleared, stays; a case that is no longer a draft is not touched. The category pre-sets the
kind (and the urgent flag) that decide the deadline clocks, which start at acceptance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from callcenter.audit import verify
from callcenter.tickets.cases import NewCase, create_case, transition, update_case
from callcenter.tickets.models import Case, CaseDeadline
from callcenter.transcribe import jobs
from callcenter.transcribe.drafts import create_draft, store_transcript
from callcenter.transcribe.extract import extract
from callcenter.transcribe.prefill import SYSTEM_ACTOR, prefill_case
from callcenter.transcribe.worker import JobResult
from tests.transcribe.vm_support import ASTERISK_INBOX, T0, Sessions, add_call, database, draft_of

# As Vosk prints Chinese: words separated by spaces.
SAID = "我 家 在 幸福 小区 三 号 楼 二 单元 三 零 二 室 暖气 不 热 室内 温度 十五 度 回 电话 一 三 九 零 九 五 一 一 二 三 四"
# A burst radiator pipe: urgent_repair → an urgent repair.
LEAK = "幸福 小区 三 号 楼 暖气 管子 漏水 了 往下 滴水 快 来 人"
LATER = T0 + dt.timedelta(minutes=2)


def result_for(text: str) -> JobResult:
    words = [{"word": w, "start": i * 0.3, "end": i * 0.3 + 0.25, "conf": 0.9} for i, w in enumerate(text.split())]
    transcript = {"text": text, "words": words, "confidence": 0.9, "duration_seconds": 11.5, "sample_rate": 8000,
                  "silent": False}  # fmt: skip
    return JobResult(pid=0, audio_path="/spool/msg0000.wav", transcript=transcript,
                     extracted=extract(text, ignore_phones=("6085708",)).to_dict())  # fmt: skip


async def draft_with_claimed_job(sessions: Sessions, *, caller: str = "13909511234") -> tuple[int, jobs.ClaimedJob]:
    call = await add_call(sessions, f"{ASTERISK_INBOX}/msg0000", caller=caller)
    case_id = await create_draft(sessions, call.id, now=T0)
    assert case_id is not None
    async with sessions() as session, session.begin():
        (job,) = await jobs.claimed(session, await jobs.claim(session, "me", T0, 1, dt.timedelta(minutes=1)))
    return call.id, job


async def test_extracted_fields_fill_the_empty_fields(migrated: str) -> None:
    async with database(migrated) as sessions:
        call_id, job = await draft_with_claimed_job(sessions, caller="")
        assert await store_transcript(sessions, job, "me", LATER, result_for(SAID), "vosk-model-small-cn")
        got = await draft_of(sessions, call_id)
        assert (await verify(sessions)).ok
    case = got.case
    assert case is not None and case.state == "draft" and case.version == 2
    assert (case.caller_phone, case.compound, case.building, case.unit_no, case.room, case.category) == (
        "13909511234", "幸福小区", "3", "2", "302", "温度不达标 / 测温")  # the table's label, not its code
    assert case.problem == "我家在幸福小区三号楼二单元三零二室暖气不热室内温度十五度回电话一三九零九五一一二三四"
    assert (case.kind, case.urgent, case.severity) == ("temperature", False, None)  # 暖气不热 → 测温
    assert got.draft.status == "transcribed" and got.job.state == "done"
    assert got.draft.transcript == SAID and got.draft.confidence == 0.9 and len(got.draft.words or []) == len(SAID.split())
    assert got.draft.extracted is not None and got.draft.extracted["station"] == "湖滨"
    assert got.draft.extracted["temperature_c"] == 15.0
    assert got.draft.filled == ["building", "caller_phone", "category", "compound", "kind", "problem", "room",
                                "unit_no"]  # fmt: skip
    assert got.draft.model == "vosk-model-small-cn"


async def test_what_a_clerk_typed_or_cleared_is_kept(migrated: str) -> None:
    async with database(migrated) as sessions:
        call_id, job = await draft_with_claimed_job(sessions)
        case_id, now = job.case_id or 0, T0 + dt.timedelta(minutes=1)
        await update_case(sessions, case_id, {"compound": "阳光花园", "room": "101", "problem": "  "}, actor="8001",
                          now=now)  # fmt: skip
        await update_case(sessions, case_id, {"room": ""}, actor="8001", now=now)
        assert await store_transcript(sessions, job, "me", LATER, result_for(SAID), None)
        got = await draft_of(sessions, call_id)
    case = got.case
    assert case is not None
    assert case.caller_phone == "13909511234"  # from the call; not replaced by a spoken number
    assert case.compound == "阳光花园"  # typed by the clerk
    assert case.room == "" and case.problem == "  "  # cleared by the clerk: left alone
    assert (case.building, case.unit_no, case.category, case.kind) == ("3", "2", "温度不达标 / 测温", "temperature")
    assert got.draft.filled == ["building", "category", "kind", "unit_no"]


async def test_a_case_that_is_no_longer_a_draft_is_not_touched(migrated: str) -> None:
    async with database(migrated) as sessions:
        call_id, job = await draft_with_claimed_job(sessions)
        await transition(sessions, job.case_id or 0, "accept", actor="8001", role="clerk",
                         now=T0 + dt.timedelta(minutes=1))  # fmt: skip
        assert await store_transcript(sessions, job, "me", LATER, result_for(SAID), None)
        got = await draft_of(sessions, call_id)
    assert got.case is not None and got.case.state == "accepted" and got.case.compound == ""
    assert got.draft.status == "transcribed" and got.draft.filled == [] and got.draft.transcript == SAID


async def test_a_transcript_with_nothing_to_read_fills_nothing_but_the_problem(migrated: str) -> None:
    async with database(migrated) as sessions:
        call_id, job = await draft_with_claimed_job(sessions)
        assert await store_transcript(sessions, job, "me", LATER, result_for("네 엄마"), None)
        got = await draft_of(sessions, call_id)
    assert got.case is not None and got.case.problem == "네 엄마" and got.case.compound == ""
    assert got.draft.filled == ["problem"]


async def test_a_result_after_the_claim_was_lost_is_dropped(migrated: str) -> None:
    async with database(migrated) as sessions:
        call_id, job = await draft_with_claimed_job(sessions)
        async with sessions() as session, session.begin():  # the lease lapsed; someone else has it
            assert await jobs.claim(session, "other", T0 + dt.timedelta(minutes=5), 1, dt.timedelta(minutes=1))
        assert not await store_transcript(sessions, job, "me", LATER, result_for(SAID), None)
        got = await draft_of(sessions, call_id)
    assert got.case is not None and got.case.compound == "" and got.draft.status == "transcribing"


async def clocks(sessions: Sessions, case_id: int) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """The case's deadline clocks: rule → (started, due)."""
    async with sessions() as session:
        rows = (await session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case_id))).all()
    return {row.rule_id: (row.started_at, row.due_at) for row in rows}


async def test_a_burst_pipe_is_an_urgent_repair_whose_clocks_start_at_acceptance(migrated: str) -> None:
    async with database(migrated) as sessions:
        call_id, job = await draft_with_claimed_job(sessions)
        case_id = job.case_id or 0
        assert await store_transcript(sessions, job, "me", LATER, result_for(LEAK), None)
        got = await draft_of(sessions, call_id)
        before = await clocks(sessions, case_id)
        accepted = T0 + dt.timedelta(minutes=20)
        await transition(sessions, case_id, "accept", actor="8001", role="clerk", now=accepted)
        after = await clocks(sessions, case_id)
        assert (await verify(sessions)).ok
    case = got.case
    assert case is not None and case.state == "draft"
    assert (case.category, case.kind, case.urgent, case.severity) == ("紧急抢修（爆管、漏水）", "repair", True, None)
    assert {"kind", "urgent"} <= set(got.draft.filled)
    assert before == {}  # a draft has no clocks: pre-setting its kind starts none
    received = case.received_at  # the end of the voicemail call: 受理 counts from it
    assert set(after) == {"D2", "D3"}  # urgent fault (立即处理) and same-day repair; no severity, no D4
    assert after["D2"] == (received, received + dt.timedelta(hours=1))
    assert after["D3"][0] == received


async def test_what_the_clerk_set_or_a_first_transcript_set_is_kept(migrated: str) -> None:
    async with database(migrated) as sessions:
        call_id, job = await draft_with_claimed_job(sessions)
        case_id = job.case_id or 0
        for urgent in (True, False):  # the clerk ticked "urgent", then thought better of it
            await update_case(sessions, case_id, {"urgent": urgent}, actor="8001", now=T0 + dt.timedelta(minutes=1))
        assert await store_transcript(sessions, job, "me", LATER, result_for(LEAK), None)
        async with sessions() as session, session.begin():  # a second transcript (voicemail retry)
            again = await prefill_case(session, case_id, extract(SAID), SAID, LATER + dt.timedelta(minutes=1))
        got = await draft_of(sessions, call_id)
    assert got.case is not None
    assert (got.case.kind, got.case.urgent) == ("repair", False)  # the clerk's "not urgent" stays
    assert "urgent" not in got.draft.filled and "kind" in got.draft.filled
    assert "kind" not in again and got.case.category == "紧急抢修（爆管、漏水）"  # no longer empty: kept


async def test_a_draft_that_has_clocks_keeps_the_kind_that_chose_them(migrated: str) -> None:
    department = NewCase(kind="complaint", source="department", department_received_at=T0)
    async with database(migrated) as sessions:
        case = await create_case(sessions, department, actor=SYSTEM_ACTOR, role="system", now=T0)
        assert set(await clocks(sessions, case.id)) == {"D1"}  # forwarding to the hotline: 30 min
        async with sessions() as session, session.begin():
            filled = await prefill_case(session, case.id, extract(LEAK), LEAK, LATER)
        assert set(await clocks(sessions, case.id)) == {"D1"}
        async with sessions() as session:
            now = await session.get(Case, case.id)
    assert now is not None and (now.kind, now.urgent, now.compound) == ("complaint", False, "幸福小区")
    assert "kind" not in filled and "urgent" not in filled and "compound" in filled
