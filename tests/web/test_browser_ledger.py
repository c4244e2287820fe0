"""End to end in headless Chromium: a clerk searches the ledger by part of a number and by name,
filters, pages back and forth, and downloads the filter as xlsx (the rows of the page).

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium, never ``playwright install``);
the screenshot goes to ``CALLCENTER_SCREENSHOTS`` (default: the temp dir).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import load_config
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from callcenter.web.app import start_web, stop
from tests.web.conftest import T0, Clock, add_call, add_cast, web_settings
from tests.web.test_browser import SHOTS, browser  # noqa: F401 - the fixture
from tests.web.test_browser_cases import as_user
from tests.keys import AUDIT_KEYS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NOW = T0 + dt.timedelta(days=1)


@pytest.fixture
async def served(migrated: str, tmp_path: Path) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    await add_cast(sessions, T0)
    for i in range(30):  # a morning of other callers, then Zhang three times
        await add_call(sessions, caller_number=f"1380951{i:04d}", caller_name="", started_at=T0 + dt.timedelta(minutes=i),
                       answered_by="8002" if i % 3 else "8001")  # fmt: skip
    for i, number in enumerate(("13909511234", "+8613909511234", "013909511234")):
        await add_call(sessions, caller_number=number, caller_name="Zhang Wei", transferred_to=["8003"] if i else [],
                       started_at=T0 + dt.timedelta(hours=2, minutes=i))  # fmt: skip
    config = load_config(env={}, database_url=migrated, spool_dir=tmp_path / "spool", http_port=0)
    runner = await start_web(config, sessions, LiveFeed(), clock=Clock(NOW), settings=web_settings(cookie_secure=True))
    try:
        yield "http://127.0.0.1:%d" % runner.addresses[0][1], sessions
    finally:
        await stop(runner)
        await engine.dispose()


async def numbers(page: Any) -> list[str]:
    return await page.locator("[data-testid=ledger] tbody td:nth-child(2)").all_inner_texts()


async def test_a_clerk_searches_filters_pages_and_exports(browser: Any, served: Any) -> None:  # noqa: F811
    base, _ = served
    clerk = await as_user(browser, base, "clerk")
    await clerk.goto(base + "/calls")
    await clerk.fill("[data-testid=filter-number]", "139 0951 1234")
    await clerk.click("form.filters button[type=submit]")
    await clerk.wait_for_load_state()
    assert await numbers(clerk) == ["013909511234", "+8613909511234", "13909511234"]
    assert "通话 3 次" in await clerk.locator("[data-testid=totals]").inner_text()
    assert await clerk.locator("[data-testid=transferred]").all_inner_texts() == ["8003", "8003", ""]
    SHOTS.mkdir(parents=True, exist_ok=True)
    await clerk.screenshot(path=str(SHOTS / "ledger_search.png"), full_page=True)

    async with clerk.expect_download() as info:
        await clerk.click("[data-testid=export-xlsx]")
    download = await info.value
    sheet = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()), read_only=True).active
    assert [row[1] for row in list(sheet.iter_rows(values_only=True))[1:]] == await numbers(clerk)

    await clerk.goto(base + "/calls?name=zhang&transferred=1")
    assert await numbers(clerk) == ["013909511234", "+8613909511234"]
    await clerk.goto(base + "/calls?limit=10&mine=1")
    first = await numbers(clerk)
    await clerk.click("[data-testid=next-page]")
    await clerk.wait_for_load_state()
    second = await numbers(clerk)
    await clerk.click("[data-testid=prev-page]")
    await clerk.wait_for_load_state()
    assert await numbers(clerk) == first and len(first) == 10 and len(second) == 3 and not set(first) & set(second)
    await clerk.goto(base + "/calls?number=12")
    assert "至少 4 位" in await clerk.content() or "at least 4 digits" in await clerk.content()
