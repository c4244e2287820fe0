"""End to end in headless Chromium: a voicemail draft is confirmed into an accepted case, a
workflow action from the case page, a station cannot open another station's case, Chinese and
English render on the case pages; screenshots of the main pages (where: see test_browser.py).

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium, never ``playwright install``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import load_config
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from callcenter.tickets.directory import seed_demo
from callcenter.tickets.models import Case
from callcenter.web.app import start_web, stop
from tests.web.conftest import PASSWORD, T0, Clock, add_cast, web_settings
from tests.web.scenario import Floor, seed_floor
from tests.web.test_browser import SHOTS, browser  # noqa: F401 - the fixture
from tests.keys import AUDIT_KEYS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NOW = T0 + timedelta(days=1, hours=6)  # Saturday 2026-11-21 15:00 in Yinchuan


@pytest.fixture
async def served(migrated: str, traces: Path) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession], Floor]]:
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    await add_cast(sessions, T0)
    await seed_demo(sessions)
    floor = await seed_floor(sessions, NOW)
    config = load_config(env={}, database_url=migrated, spool_dir=traces / "voicemail" / "spool", http_port=0)
    runner = await start_web(config, sessions, LiveFeed(), clock=Clock(NOW), settings=web_settings(cookie_secure=True))
    try:
        yield "http://127.0.0.1:%d" % runner.addresses[0][1], sessions, floor
    finally:
        await stop(runner)
        await engine.dispose()


async def as_user(chromium: Any, base: str, username: str) -> Any:
    context = await chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return page


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(SHOTS / name), full_page=True)


async def confirm_a_draft(clerk: Any, base: str, sessions: async_sessionmaker[AsyncSession], floor: Floor) -> None:
    # The inbox opens the oldest message (a failed transcription: the clerk is told what to do,
    # the transcriber's diagnostic stays with the operator).
    await clerk.goto(base + "/drafts")
    said = await clerk.locator("[data-testid=vm-reason]").inner_text()
    assert "录音文件无法读取" in said and "GSM" not in said and "refused" not in said
    # A transcribed one: its doubtful words marked, the recording playable, the fields pre-filled.
    draft = floor.drafts[0]
    await clerk.goto(f"{base}/drafts/{draft}")
    assert await clerk.locator("mark.lowconf").count() >= 5
    duration = await clerk.eval_on_selector("[data-testid=draft-audio]", "a => new Promise(r => a.readyState >= 1 ? "
                                            "r(a.duration) : a.addEventListener('loadedmetadata', () => r(a.duration)))")  # fmt: skip
    assert duration > 1
    await shot(clerk, "drafts.png")
    assert await clerk.locator("[data-testid=confirm] select[name=kind]").input_value() == "temperature"
    await clerk.fill("[data-testid=confirm] input[name=caller_name]", "张伟")
    await clerk.click("[data-testid=confirm-button]")
    await clerk.wait_for_url(f"{base}/cases/{draft}?done=accept")
    facts = await clerk.locator("[data-testid=facts]").inner_text()
    assert "张伟" in facts and "湖滨供热站" in facts
    async with sessions() as db:
        confirmed = await db.get(Case, draft)
        assert confirmed is not None and (confirmed.state, confirmed.kind) == ("assigned", "temperature")


async def work_a_case(clerk: Any, base: str, case_id: int) -> None:
    """The case list, an action from a case page, and both languages."""
    await clerk.goto(base + "/cases")
    assert await clerk.locator("tr.overdue").count() >= 3
    await shot(clerk, "cases.png")
    await clerk.goto(f"{base}/cases/{case_id}")
    await clerk.click("[data-testid=action-reassign] summary")  # unfold a form for the picture
    await shot(clerk, "case-detail.png")
    await clerk.fill("[data-testid=action-feedback] [name=reason]", "站长电话反馈：已更换阀门，室温恢复20度")
    await clerk.click("[data-testid=action-feedback] button")
    await clerk.wait_for_url(f"{base}/cases/{case_id}?done=feedback")
    assert "已更换阀门" in await clerk.locator("[data-testid=timeline]").inner_text()
    await clerk.goto(f"{base}/cases/{case_id}?lang=en")
    assert "Timeline" in await clerk.content() and "Deadlines" in await clerk.content()
    await clerk.goto(base + "/cases")
    assert await clerk.locator("nav.mainnav a.active").inner_text() == "Cases"
    await shot(clerk, "cases-en.png")
    await clerk.goto(base + "/cases?lang=zh")
    assert await clerk.locator("nav.mainnav a.active").inner_text() == "工单"


async def enter_holidays(admin: Any, base: str) -> None:
    await admin.goto(base + "/admin/calendar?year=2027")
    assert await admin.locator("[data-testid=year-warning]").is_visible()
    for day, note in (("2027-01-01", "元旦"), ("2027-02-08", "春节")):
        await admin.fill("[data-testid=set-day] input[name=day]", day)
        await admin.fill("[data-testid=set-day] input[name=note]", note)
        await admin.click("[data-testid=set-day] button")
        await admin.locator("[data-testid=moved]").wait_for()
    assert await admin.locator("table.month td.d-holiday").count() == 2
    await shot(admin, "calendar.png")


async def test_drafts_cases_and_supervision_in_the_browser(served: Any, browser: Any) -> None:  # noqa: F811
    base, sessions, floor = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    clerk = await as_user(browser, base, "clerk")
    await confirm_a_draft(clerk, base, sessions, floor)
    await work_a_case(clerk, base, floor.cases["hubin"])

    # A station: its own cases only; another station's case is not there for it.
    station = await as_user(browser, base, "station")
    await station.goto(base + "/cases?state=all")
    rows = await station.locator("[data-testid=cases] tbody tr").all_inner_texts()
    assert len(rows) >= 3 and all("湖滨供热站" in row for row in rows)
    response = await station.goto(f"{base}/cases/{floor.cases['other_station']}")
    assert response.status == 404 and "找不到" in await station.content()

    supervisor = await as_user(browser, base, "supervisor")
    await supervisor.goto(base + "/supervision")
    assert await supervisor.locator("svg.chart").count() == 5
    await shot(supervisor, "supervision.png")
    await enter_holidays(await as_user(browser, base, "admin"), base)
