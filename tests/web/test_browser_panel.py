"""End to end in headless Chromium: the voicemail draft inbox refreshes itself (a draft created
while the page is open appears, "transcribing…" turns into the transcript, what the clerk typed
is kept and the draft can be confirmed), and a case is corrected from its page (a stale second
edit keeps its input and says why nothing was saved).

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium, never ``playwright install``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import load_config
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from callcenter.tickets.directory import seed_demo
from callcenter.tickets.models import Case
from callcenter.transcribe import jobs
from callcenter.transcribe.drafts import create_draft, draft_message, publish, store_outcome, store_transcript
from callcenter.transcribe.worker import JobResult
from callcenter.web.app import start_web, stop
from tests.web.conftest import T0, Clock, add_call, add_case, add_cast, web_settings
from tests.web.test_browser import browser  # noqa: F401 - the fixture
from tests.web.test_browser_cases import as_user
from tests.keys import AUDIT_KEYS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NOW = T0 + dt.timedelta(days=1)  # 2026-11-21 09:00 in Yinchuan
VM = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"
SAID = "我 家 在 湖滨 花园 三 号 楼 暖气 不 热"
Served = tuple[str, async_sessionmaker[AsyncSession], LiveFeed]


@pytest.fixture
async def served(migrated: str, tmp_path: Path) -> AsyncIterator[Served]:
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    await add_cast(sessions, T0)
    await seed_demo(sessions)
    feed = LiveFeed()
    config = load_config(env={}, database_url=migrated, spool_dir=tmp_path / "spool", http_port=0)
    runner = await start_web(config, sessions, feed, clock=Clock(NOW), settings=web_settings(cookie_secure=True))
    try:
        yield "http://127.0.0.1:%d" % runner.addresses[0][1], sessions, feed
    finally:
        await stop(runner)
        await engine.dispose()


async def voicemail(sessions: async_sessionmaker[AsyncSession], feed: LiveFeed, minutes: int) -> int:
    """A voicemail call ending now, and its draft as the pipeline makes it (announced on the feed)."""
    call_id = await add_call(sessions, disposition="voicemail", answered_by=None, answered_at=None, talk_seconds=0.0,
                             voicemail_path=VM, voicemail_duration=9.0, caller_number=f"1390951{minutes:04d}",
                             started_at=NOW - dt.timedelta(minutes=minutes))  # fmt: skip
    case_id = await create_draft(sessions, call_id, now=NOW, feed=feed)
    assert case_id is not None
    return case_id


async def transcribe(sessions: async_sessionmaker[AsyncSession], feed: LiveFeed, *, fail: bool = False) -> None:
    """What the transcriber does with the next job: store the outcome, announce it."""
    async with sessions() as db, db.begin():
        (job,) = await jobs.claimed(db, await jobs.claim(db, "t", NOW, 1, dt.timedelta(minutes=1)))
    if fail:
        assert await store_outcome(sessions, job, "t", NOW, job_state="failed", status="failed",
                                   reason="unreadable GSM frame")  # fmt: skip
    else:
        words = [{"word": w, "start": i * 0.3, "end": i * 0.3 + 0.25, "conf": 0.4 if w == "三" else 0.9}
                 for i, w in enumerate(SAID.split())]  # fmt: skip
        result = JobResult(pid=0, transcript={"text": SAID, "words": words, "confidence": 0.8},
                           extracted={"phones": ["+869516085708", "+8613909511234"], "callback": "+8613909511234",
                                      "address": {"compound": "湖滨花园", "building": "3"},
                                      "temperature_c": None, "category": "temperature", "station": "湖滨"})  # fmt: skip
        assert await store_transcript(sessions, job, "t", NOW, result, "test-model")
    publish(feed, draft_message(case_id=job.case_id, call_id=job.call_id, linkedid=job.linkedid,
                                caller_number=job.caller_number, status="failed" if fail else "transcribed",
                                reason="unreadable GSM frame" if fail else None))  # fmt: skip


async def test_the_draft_inbox_updates_itself(served: Served, browser: Any) -> None:  # noqa: F811
    base, sessions, feed = served
    clerk = await as_user(browser, base, "clerk")
    await clerk.goto(base + "/drafts")
    await clerk.locator("#conn.on").wait_for()
    assert await clerk.locator("[data-testid=drafts-empty]").count() == 1

    first = await voicemail(sessions, feed, 3)  # arrives while the page is open
    row = clerk.locator(f'[data-testid=drafts] tr[data-case="{first}"]')
    await row.wait_for()
    assert "转写中" in await row.inner_text() and "13909510003" in await row.inner_text()
    assert await clerk.locator("[data-testid=draft-count]").inner_text() == "待确认 1 条"

    second = await voicemail(sessions, feed, 1)
    await clerk.goto(f"{base}/drafts/{first}")
    await clerk.locator("#conn.on").wait_for()
    assert await clerk.locator("[data-testid=draft-status]").inner_text() == "转写中…"
    await clerk.fill("[data-testid=confirm] input[name=caller_name]", "张伟")  # the clerk starts typing
    await clerk.fill("[data-testid=confirm] input[name=building]", "5")

    await transcribe(sessions, feed)  # the first job: the transcript arrives
    await clerk.locator("[data-testid=draft-status].vm-transcribed").wait_for()
    assert "湖滨" in await clerk.locator("[data-testid=transcript]").inner_text()
    assert await clerk.locator("[data-testid=transcript] mark.lowconf").count() == 1
    form = clerk.locator("[data-testid=confirm]")
    assert await form.locator("input[name=compound]").input_value() == "湖滨花园"  # filled: the field was empty
    assert await form.locator("input[name=caller_name]").input_value() == "张伟"  # typed: kept
    assert await form.locator("input[name=building]").input_value() == "5"
    assert "转写结果： 3" in await form.inner_text()  # the transcript's building, next to the typed one
    assert await form.locator("select[name=kind]").input_value() == "temperature"
    phones = clerk.locator("[data-testid=draft-phone]")  # every number said, the callback number first
    assert [t.split(" ")[0:3] for t in await phones.all_inner_texts()] == [["139", "0951", "1234"],
                                                                          ["0951-6085708", "拨", "6085708"]]
    assert await clerk.locator("[data-testid=draft-phone][data-callback='1'] .badge").inner_text() == "回电号码"
    await clerk.locator("[data-testid=draft-notice]").wait_for()
    second_row = clerk.locator(f'[data-testid=drafts] tr[data-case="{second}"]')
    assert "转写中" in await second_row.inner_text()

    await transcribe(sessions, feed, fail=True)  # the second job fails: its row says so
    await second_row.locator(".vm-failed").wait_for()

    await clerk.click("[data-testid=confirm-button]")  # the page saw the new version: no conflict
    await clerk.wait_for_url(f"{base}/cases/{first}?done=accept")
    async with sessions() as db:
        case = await db.get(Case, first)
    assert case is not None and (case.state, case.caller_name, case.compound, case.building) == (
        "accepted", "张伟", "湖滨花园", "5")


async def test_a_case_is_corrected_from_its_page(served: Served, browser: Any) -> None:  # noqa: F811
    base, sessions, _ = served
    case_id = await add_case(sessions, NOW - dt.timedelta(hours=1), to="assigned", problem="暖气不热")
    clerk = await as_user(browser, base, "clerk")
    other = await as_user(browser, base, "other_clerk")
    for page in (clerk, other):
        await page.goto(f"{base}/cases/{case_id}")
        await page.click("[data-testid=edit] summary")
    form = clerk.locator("[data-testid=edit-form]")
    await form.locator("input[name=caller_phone]").fill("13995112288")
    await form.locator("select[name=kind]").select_option("repair")
    await form.locator("select[name=severity]").select_option("major")
    await form.locator("input[name=reason]").fill("用户说是暖气管漏水")
    await form.locator("[data-testid=edit-save]").click()
    await clerk.wait_for_url(f"{base}/cases/{case_id}?done=edit")
    assert "13995112288" in await clerk.locator("[data-testid=facts]").inner_text()
    timeline = await clerk.locator("[data-testid=timeline]").inner_text()
    assert "更正记录" in timeline and "用户说是暖气管漏水" in timeline and "报修" in timeline
    deadlines = await clerk.locator("[data-testid=deadlines]").inner_text()
    assert "D4 大修不过夜" in deadlines and "major" not in deadlines  # the variant by its title, not its code

    form = other.locator("[data-testid=edit-form]")  # opened before the correction
    await form.locator("input[name=room]").fill("1201")
    await form.locator("[data-testid=edit-save]").click()
    await other.locator("[data-testid=edit-error]").wait_for()
    refused = await other.locator("[data-testid=edit-error]").inner_text()
    # nothing saved, said in Chinese, and the fields only the other tab changed already taken from it
    assert "未保存" in refused and "联系电话" in refused and "nothing" not in refused
    assert await other.locator("[data-testid=edit-form] input[name=room]").input_value() == "1201"
    async with sessions() as db:
        case = await db.get(Case, case_id)
    assert case is not None and (case.room, case.kind, case.caller_phone) == ("", "repair", "13995112288")


async def test_an_old_answer_arriving_late_does_not_blank_the_draft(served: Served, browser: Any) -> None:  # noqa: F811
    """The page asks for the draft twice (before and after the transcript); the first answer is
    held back until the second has been drawn: it must not undo it (it once blanked 湖滨花园)."""
    import asyncio

    base, sessions, feed = served
    clerk = await as_user(browser, base, "clerk")
    first = await voicemail(sessions, feed, 3)
    await clerk.goto(f"{base}/drafts/{first}")
    await clerk.locator("#conn.on").wait_for()
    held, release, seen = asyncio.Event(), asyncio.Event(), []

    async def slow_first(route: Any) -> None:
        seen.append(route.request.url)
        response = await route.fetch()  # the draft as it is now: still transcribing
        if len(seen) == 1:
            held.set()
            await release.wait()
        await route.fulfill(response=response)

    await clerk.route(f"**/api/drafts/{first}", slow_first)
    publish(feed, draft_message(case_id=first, call_id=None, linkedid="x", caller_number="13909510003",
                                status="transcribing", reason=None))  # fmt: skip
    await asyncio.wait_for(held.wait(), 20)  # the first question, its answer held back
    await transcribe(sessions, feed)  # the transcript arrives: a second question, answered at once
    await clerk.locator("[data-testid=draft-status].vm-transcribed").wait_for()
    compound = clerk.locator("[data-testid=confirm] input[name=compound]")
    assert await compound.input_value() == "湖滨花园"
    release.set()  # now the old answer arrives
    await clerk.wait_for_timeout(500)
    assert await compound.input_value() == "湖滨花园"
    assert "vm-transcribed" in (await clerk.locator("[data-testid=draft-status]").get_attribute("class") or "")
