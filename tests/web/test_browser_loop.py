"""End to end in headless Chromium, the rule book's loop (issue 10): the supervisor puts a clerk
on the night's duty rota; an urgent repair (D2, 1 hour) is breached at 23:00 and reaches the duty
person's inbox at once, and the office head's; the office head chases the station (催办); the
station reads it in its inbox and feeds back with real content; the supervisor sees the figures,
the audit trail in the rule book's words and the inbox empty of surprises.

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium, never ``playwright install``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import load_config
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from callcenter.tickets.directory import seed_demo
from callcenter.tickets.sweep import Sweeper
from callcenter.web.app import start_web, stop
from tests.web.conftest import T0, Clock, add_case, add_cast, web_settings
from tests.web.test_browser import browser  # noqa: F401 - the fixture
from tests.web.test_browser_cases import as_user, shot
from tests.keys import AUDIT_KEYS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
EVENING = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)  # Monday 20:00 in Yinchuan


@pytest.fixture
async def served(migrated: str, traces: Path) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession], Clock]]:
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    await add_cast(sessions, T0)
    await seed_demo(sessions)
    clock = Clock(EVENING)
    config = load_config(env={}, database_url=migrated, spool_dir=traces / "voicemail" / "spool", http_port=0)
    runner = await start_web(config, sessions, LiveFeed(), clock=clock, settings=web_settings(cookie_secure=True))
    try:
        yield "http://127.0.0.1:%d" % runner.addresses[0][1], sessions, clock
    finally:
        await stop(runner)
        await engine.dispose()


async def test_the_loop_closes_at_night(browser: Any, served: Any) -> None:  # noqa: F811
    base, sessions, clock = served
    # 20:00 — the supervisor puts 李强 (other_clerk) on the night shift
    supervisor = await as_user(browser, base, "supervisor")
    await supervisor.goto(base + "/notices/duty")
    assert "当前无人值班" in await supervisor.locator("[data-testid=on-duty]").inner_text()
    await supervisor.select_option("[data-testid=duty-form] select[name=username]", "other_clerk")
    await supervisor.fill("[data-testid=duty-form] input[name=starts_at]", "2026-11-23T20:00")
    await supervisor.fill("[data-testid=duty-form] input[name=ends_at]", "2026-11-24T08:00")
    await supervisor.click("[data-testid=duty-form] button[type=submit]")
    await supervisor.wait_for_url(f"{base}/notices/duty?saved=1")
    assert "李强" in await supervisor.locator("[data-testid=rota]").inner_text()
    assert "other_clerk" in await supervisor.locator("[data-testid=on-duty]").inner_text()

    # 22:00 — a burst radiator is accepted and assigned; 23:00 the hour is up, the sweep runs
    clock.now = EVENING + timedelta(hours=2)
    case_id = await add_case(sessions, clock.now, to="assigned", kind="repair", urgent=True, station="hubin",
                             compound="湖滨花园", building="3", room="501", problem="暖气片爆裂")  # fmt: skip
    clock.now = EVENING + timedelta(hours=3, minutes=5)
    await Sweeper(sessions).run_once(clock.now)

    # the duty person sees it at once: the badge, the inbox, the case
    duty = await as_user(browser, base, "other_clerk")
    badge = await duty.locator("[data-testid=inbox-badge]").inner_text()
    assert any(ch.isdigit() for ch in badge)
    await duty.goto(base + "/notices")
    inbox = await duty.locator("[data-testid=inbox]").inner_text()
    assert "超期" in inbox and "紧急" in inbox and "值班人员" in inbox
    await shot(duty, "notices.png")
    await duty.click(f"[data-testid=inbox] a[href='/cases/{case_id}']")
    await duty.wait_for_url(f"{base}/cases/{case_id}")

    # the office head, at 23:05 too (an urgent clock is not held to 08:30), chases the station
    head = await as_user(browser, base, "office_head")
    await head.goto(base + "/notices")
    assert "超期" in await head.locator("[data-testid=inbox]").inner_text()
    await head.goto(f"{base}/cases/{case_id}")
    await head.fill("[data-testid=action-chase] [name=reason]", "立即派人处理，处理完马上反馈")
    await head.click("[data-testid=action-chase] button")
    await head.wait_for_url(f"{base}/cases/{case_id}?done=chase")

    # the station reads the chase in its inbox and feeds back; an empty feedback is refused
    station = await as_user(browser, base, "station")
    await station.goto(base + "/notices?unread=1")
    inbox = await station.locator("[data-testid=inbox]").inner_text()
    assert "立即派人处理" in inbox
    await station.click("[data-testid=read-all]")
    await station.wait_for_url(f"{base}/notices")
    assert await station.locator("tr.unread").count() == 0
    await station.goto(f"{base}/cases/{case_id}")
    await station.fill("[data-testid=action-feedback] [name=reason]", "。")
    await station.click("[data-testid=action-feedback] button")
    assert "请写明处理经过和结果" in await station.locator("[data-testid=action-error]").inner_text()
    await station.fill("[data-testid=action-feedback] [name=reason]", "已关阀止水，更换暖气片，供暖恢复")
    await station.click("[data-testid=action-feedback] button")
    await station.wait_for_url(f"{base}/cases/{case_id}?done=feedback")
    assert "已交办 → 已反馈" in await station.locator("[data-testid=timeline]").inner_text()

    # the supervisor: the backlog line, the audit trail in the rule book's words
    clock.now = EVENING + timedelta(hours=4)  # midnight
    supervisor = await as_user(browser, base, "supervisor")
    await supervisor.goto(base + "/supervision")
    assert await supervisor.locator("[data-testid=backlog]").count() == 1
    await supervisor.goto(f"{base}/audit?case={case_id}")
    trail = await supervisor.locator("[data-testid=audit]").inner_text()
    assert "催办" in trail and "反馈" in trail and "chase" not in trail
    await shot(supervisor, "audit.png")
    await supervisor.goto(f"{base}/reports?report=R1&anchor=2026-11-23")
    summary = await supervisor.locator("[data-testid=section-summary]").inner_text()
    assert "催办次数" in summary and "无坐席可接" in summary
