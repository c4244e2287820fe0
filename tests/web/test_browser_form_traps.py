"""In headless Chromium: two tabs save the same call's notes, the second sees both versions and
saves a merge; the administrator pastes a year's holiday list, checks the preview and saves it.

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium, never ``playwright install``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import load_config
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from callcenter.tickets.directory import seed_demo
from callcenter.tickets.models import CalendarDay, Case
from callcenter.web.app import start_web, stop
from callcenter.web.models import CallNote
from tests.keys import AUDIT_KEYS
from tests.web.conftest import T0, Clock, add_call, add_case, add_cast, web_settings
from tests.web.test_browser import SHOTS, browser  # noqa: F401 - the fixture
from tests.web.test_browser_cases import as_user

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
async def served(migrated: str, tmp_path: Path) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    await add_cast(sessions, T0)
    await seed_demo(sessions)
    config = load_config(env={}, database_url=migrated, spool_dir=tmp_path, http_port=0)
    runner = await start_web(config, sessions, LiveFeed(), clock=Clock(T0), settings=web_settings(cookie_secure=True))
    try:
        yield "http://127.0.0.1:%d" % runner.addresses[0][1], sessions
    finally:
        await stop(runner)
        await engine.dispose()


async def test_two_tabs_on_one_call_end_in_a_merge(served: Any, browser: Any) -> None:  # noqa: F811
    base, sessions = served
    call_id = await add_call(sessions)
    first = await as_user(browser, base, "other_clerk")
    second = await as_user(browser, base, "clerk")
    for tab in (first, second):
        await tab.goto(f"{base}/calls/{call_id}")
    await first.fill("[data-testid=notes] textarea[name=summary]", "室温 14 度，已约师傅明早上门")
    await first.fill("[data-testid=notes] input[name=caller_name]", "张伟")
    await first.click("[data-testid=notes-save]")
    await first.wait_for_url(f"{base}/calls/{call_id}?saved=1")

    await second.fill("[data-testid=notes] textarea[name=summary]", "用户家有老人，要求今天来人")
    await second.fill("[data-testid=notes] input[name=address]", "丽景湾 3-2-501")
    await second.click("[data-testid=notes-save]")
    await second.wait_for_load_state()
    alert = await second.locator("[data-testid=notes-conflict]").inner_text()
    assert "李强" in alert and "没有保存" in alert
    summary = second.locator("[data-testid=notes] textarea[name=summary]")
    assert await summary.input_value() == "用户家有老人，要求今天来人"  # the typed text is still there
    assert await second.locator("[data-testid=notes] input[name=address]").input_value() == "丽景湾 3-2-501"
    assert await second.locator("[data-testid=notes] input[name=caller_name]").input_value() == "张伟"  # theirs
    assert "已约师傅明早上门" in await second.locator("[data-testid=theirs-summary]").inner_text()
    await second.screenshot(path=str(SHOTS / "notes-conflict.png"), full_page=True)
    await second.click("[data-testid=theirs-summary] [data-merge=summary]")
    assert await summary.input_value() == "室温 14 度，已约师傅明早上门\n用户家有老人，要求今天来人"
    await second.click("[data-testid=notes-save]")
    await second.wait_for_url(f"{base}/calls/{call_id}?saved=1")
    async with sessions() as db:
        note = await db.scalar(select(CallNote).where(CallNote.call_id == call_id))
    assert note is not None and note.version == 2 and note.updated_by == "clerk"
    assert (note.summary, note.caller_name, note.address) == (
        "室温 14 度，已约师傅明早上门\n用户家有老人，要求今天来人", "张伟", "丽景湾 3-2-501")


async def test_a_pasted_year_is_previewed_and_saved(served: Any, browser: Any) -> None:  # noqa: F811
    base, sessions = served
    admin = await as_user(browser, base, "admin")
    await admin.goto(f"{base}/admin/calendar?year=2027")
    pasted = "2027-01-01 休 元旦\n2027-02-06 至 2027-02-12 休 春节\n2027-02-13\t补班\n不是日期\n"
    await admin.fill("[data-testid=bulk-form] textarea[name=lines]", pasted)
    await admin.click("[data-testid=bulk-preview]")
    await admin.wait_for_load_state()
    problems = await admin.locator("[data-testid=bulk-problems]").inner_text()
    assert "第 4 行" in problems and "每行应以日期开头" in problems
    assert await admin.locator("[data-testid=bulk-form] textarea[name=lines]").input_value() == pasted
    await admin.fill("[data-testid=bulk-form] textarea[name=lines]", pasted.replace("不是日期\n", "# 完\n"))
    await admin.click("[data-testid=bulk-preview]")
    await admin.wait_for_load_state()
    assert await admin.locator("[data-testid=bulk-preview-table] tbody tr").count() == 9
    assert "休 → 班" in await admin.locator("tr[data-day='2027-02-13']").inner_text()
    assert "共 9 天" in await admin.locator("[data-testid=bulk-summary]").inner_text()
    await admin.screenshot(path=str(SHOTS / "calendar-preview.png"), full_page=True)
    async with sessions() as db:
        assert (await db.scalars(select(CalendarDay).where(CalendarDay.source == "admin"))).all() == []
    await admin.click("[data-testid=bulk-save] button[type=submit]")
    await admin.wait_for_url(f"{base}/admin/calendar?year=2027&moved=*")
    assert "本次录入 9 天" in await admin.locator("[data-testid=moved]").inner_text()
    async with sessions() as db:
        days = (await db.scalars(select(CalendarDay).where(CalendarDay.source == "admin"))).all()
    assert len(days) == 9 and {d.day.isoformat() for d in days if d.is_workday} == {"2027-02-13"}


async def test_two_tabs_on_one_case_correction(served: Any, browser: Any) -> None:  # noqa: F811
    base, sessions = served
    case_id = await add_case(sessions, T0, to="assigned")
    first = await as_user(browser, base, "other_clerk")
    second = await as_user(browser, base, "clerk")
    for tab in (first, second):
        await tab.goto(f"{base}/cases/{case_id}")
        await tab.click("[data-testid=edit] summary")
    await first.fill("[data-testid=edit-form] input[name=room]", "502")
    await first.click("[data-testid=edit-save]")
    await first.wait_for_url(f"{base}/cases/{case_id}?done=edit")
    await second.fill("[data-testid=edit-form] input[name=room]", "503")
    await second.fill("[data-testid=edit-form] input[name=caller_name]", "王先生")
    await second.click("[data-testid=edit-save]")
    await second.wait_for_load_state()
    assert "已经改过它" in await second.locator("[data-testid=edit-error]").inner_text()
    assert await second.locator("[data-testid=edit-form] input[name=caller_name]").input_value() == "王先生"
    assert "502" in await second.locator("[data-testid=theirs-room]").inner_text()
    assert await second.locator("[data-testid=theirs-caller_name]").count() == 0  # only this tab changed it
    await second.locator("[data-testid=theirs-room]").scroll_into_view_if_needed()
    await second.screenshot(path=str(SHOTS / "case-edit-conflict.png"), full_page=True)
    await second.click("[data-testid=theirs-room] [data-take=room]")
    assert await second.locator("[data-testid=edit-form] input[name=room]").input_value() == "502"
    await second.click("[data-testid=edit-save]")
    await second.wait_for_url(f"{base}/cases/{case_id}?done=edit")
    async with sessions() as db:
        case = await db.get(Case, case_id)
    assert case is not None and (case.room, case.caller_name) == ("502", "王先生")
