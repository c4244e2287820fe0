"""End to end in headless Chromium: the wallboard follows a replayed call as it rings, is
answered and ends (the real listener, the real panel, the websocket, the browser's script).
Screenshots go where test_browser.py puts them (``CALLCENTER_SCREENSHOTS`` or a temp folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callcenter.ami.replay import ReplayServer
from callcenter.service import CallLogService
from callcenter.web.app import start_web, stop
from tests.ami.harness import service_config, settle
from tests.web.conftest import PASSWORD, T0, add_cast, web_settings
from tests.web.test_browser import SHOTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def test_wallboard_follows_a_replayed_call(migrated: str, traces: Path, browser: Any) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    async with ReplayServer([traces / "answered_caller_hangs_up"], speed=1.0, inject_timestamps=True) as pbx:
        config = service_config(migrated, pbx.port, http_port=0)
        service = CallLogService(config)
        await add_cast(service.sessions, T0)
        runner = await start_web(config, service.sessions, service.feed, settings=web_settings())
        base = "http://127.0.0.1:%d" % runner.addresses[0][1]
        context = await browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            await page.goto(base + "/login?next=/wallboard")
            await page.fill("input[name=username]", "supervisor")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(base + "/wallboard")
            await page.wait_for_selector("#conn.on")
            assert await page.locator("[data-testid=offered] ").inner_text() == "0"

            await service.start()  # the fake PBX plays: the call rings at both clerks
            clerk = page.locator("[data-testid=clerk-state-8001]")
            await page.wait_for_function(
                "() => (document.querySelector('[data-testid=clerk-state-8001]') || {}).textContent === '振铃中'",
                timeout=15000)  # fmt: skip
            assert await page.locator("#wb-waiting").inner_text() == "1"
            await page.screenshot(path=str(SHOTS / "wallboard-ringing.png"))

            await page.wait_for_function(
                "() => (document.querySelector('[data-testid=clerk-state-8001]') || {}).textContent === '热线通话中'",
                timeout=15000)  # fmt: skip
            row = await page.locator("#wb-clerks tr[data-ext='8001']").inner_text()
            assert "13909511234" in row and "王丽" in row
            assert await page.locator("#wb-waiting").inner_text() == "0"
            assert await page.locator("[data-testid=clerk-state-8002]").inner_text() == "空闲"
            await page.screenshot(path=str(SHOTS / "wallboard-talking.png"))

            await page.wait_for_function(
                "() => document.querySelector('[data-testid=answered]').textContent === '1'", timeout=20000)
            await page.wait_for_function(  # the clerk's hangup follows the caller's by a few ms
                "() => document.querySelector('[data-testid=clerk-state-8001]').textContent === '空闲'", timeout=5000)
            assert await clerk.inner_text() == "空闲"
            assert await page.locator("[data-testid=offered]").inner_text() == "1"
            assert await page.locator("[data-testid=sl]").inner_text() == "100.0%"
            await pbx.wait_finished()
            await settle(service, migrated, 1)
            await page.goto(base + "/wallboard?screen=1")
            await page.wait_for_selector("#conn.on")
            await page.screenshot(path=str(SHOTS / "wallboard-screen.png"))
            await page.goto(base + "/wallboard/reports")
            assert "热线" not in await page.locator("[data-testid=clerk-table]").inner_text()
            assert "8001" in await page.locator("[data-testid=clerk-table]").inner_text()
            await page.screenshot(path=str(SHOTS / "queue-reports.png"), full_page=True)
            assert dialogs == []
        finally:
            await context.close()
            await stop(runner)
            await service.stop()
