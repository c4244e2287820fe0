"""The live page's traps of issue #13, in headless Chromium: a busy call replayed from the real
busy_or_unavailable trace through the listener shows its real state (not 振铃中); 刚结束的通话
survives a reload; the pop-up sits beside the table (never over the clerk and duration columns)
at 1366×768 and 1440×900; a ringing call changes the title and, when switched on, plays a tone
and shows a desktop notification."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from callcenter.ami.calls import CallState, Leg
from callcenter.ami.replay import ReplayServer
from callcenter.service import CallLogService
from callcenter.web.app import start_web, stop
from tests.ami.harness import service_config, settle
from tests.web.conftest import T0, add_cast, web_settings
from tests.web.test_browser import SHOTS, _login, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
BUSY = "1795898403.15"  # the first call of busy_or_unavailable: both clerks answer 486 Busy
# Spies on the browser's own APIs (the page cannot tell): tones started, notifications shown.
SPY = """
window.__tones = 0; window.__notes = [];
const osc = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const o = osc.call(this); const start = o.start.bind(o);
  o.start = (...a) => { window.__tones++; return start(...a); }; return o; };
class SpyNotification { constructor(title, opts) { window.__notes.push(title); }
  static get permission() { return "granted"; } static requestPermission(cb) { if (cb) cb("granted");
  return Promise.resolve("granted"); } close() {} }
window.Notification = SpyNotification;
"""


async def until(page: Any, expression: str, timeout: float = 20.0) -> None:
    """Poll ``expression`` in the page (wait_for_function's strings are eval, which the CSP forbids)."""
    for _ in range(int(timeout * 10)):
        if await page.evaluate(expression):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not true within {timeout} s: {expression}")


def boxes_apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or \
        a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]


def ringing(linkedid: str, number: str, t: float) -> CallState:
    leg = Leg(uniqueid=linkedid + "1", channel="SIP/8001-00000001", role="agent", created_at=t, extension="8001",
              rang_at=t)  # fmt: skip
    return CallState(linkedid=linkedid, started_at=t, caller_number=number, caller_name="", queue="hotline",
                     legs={leg.uniqueid: leg})  # fmt: skip


async def test_live_page_states_recent_calls_layout_and_attention(migrated: str, traces: Path, browser: Any) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with ReplayServer([traces / "busy_or_unavailable"], speed=3, inject_timestamps=True) as pbx:
        config = service_config(migrated, pbx.port, http_port=0)
        service = CallLogService(config)
        await add_cast(service.sessions, T0)
        runner = await start_web(config, service.sessions, service.feed, settings=web_settings(cookie_secure=True))
        base = "http://127.0.0.1:%d" % runner.addresses[0][1]
        context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        await context.add_init_script(SPY)
        page = await context.new_page()
        try:
            await _login(page, base)
            await page.wait_for_selector("#conn.on")
            title = await page.title()
            await service.start()
            # 1. The busy call: queued with no clerk able to take it, then in the voicemail prompt.
            row = page.locator(f"#current tr[data-linkedid='{BUSY}']")
            await row.locator("text=无坐席可接").wait_for(timeout=20000)
            assert "振铃中" not in await row.inner_text()
            assert await page.title() == title  # nothing rings: no alarm in the title
            await page.screenshot(path=str(SHOTS / "live-busy.png"))
            await row.locator("text=留言中").wait_for(timeout=20000)
            await pbx.wait_finished()
            await settle(service, migrated, 3)
            recent = page.locator("#recent tr")
            await until(page, "document.querySelectorAll('#recent tr').length === 3", 20)
            before = await recent.all_inner_texts()
            # 2. A reload keeps 刚结束的通话 (from the database), newest first, each call once.
            await page.reload()
            await until(page, "document.querySelectorAll('#recent tr').length === 3", 10)
            assert await recent.all_inner_texts() == before
            assert all("无坐席可接" in text for text in before)  # disposition busy
            # 5. A ringing call: the title, the tone and the notification once switched on.
            await page.check("#alert-sound")
            await page.check("#alert-notify")
            tones = await page.evaluate("window.__tones")
            assert tones > 0  # the toggle's click plays it once: the clerk hears what it will sound like
            t = 1_800_000_000.0
            service.feed.publish_call("ringing", ringing("7777.1", "13995112288", t))
            await page.locator("#popup").wait_for(state="visible")
            await until(page, "document.title.startsWith('（1）来电 13995112288')")
            await until(page, "document.querySelector(\"#current tr[data-linkedid='7777.1']\")"
                              ".innerText.includes('振铃分机 王丽（8001）')")
            assert await page.evaluate("window.__tones") > tones
            assert await page.evaluate("window.__notes") == ["来电 13995112288"]
            # 3. The pop-up is beside the table, at both clerks' screen sizes.
            for width, height in ((1366, 768), (1440, 900)):
                await page.set_viewport_size({"width": width, "height": height})
                popup = await page.locator("#popup").bounding_box()
                assert popup is not None
                for cell in ("#current tr[data-linkedid='7777.1'] td:nth-child(5)",
                             "#current tr[data-linkedid='7777.1'] td:nth-child(6)",
                             "[data-testid=current] th:nth-child(5)", "[data-testid=current] th:nth-child(6)",
                             "[data-testid=recent] th:nth-child(5)"):  # fmt: skip
                    box = await page.locator(cell).bounding_box()
                    assert box is not None and boxes_apart(popup, box), (width, cell, popup, box)
                await page.screenshot(path=str(SHOTS / f"live-popup-{width}.png"))
            # 4. Answered: the clerk by name and extension, in Chinese brackets.
            answered = ringing("7777.1", "13995112288", t)
            answered.answered_by, answered.answered_at = "8001", t + 3
            service.feed.publish_call("answered", answered)
            await until(page, "document.querySelector(\"#current tr[data-linkedid='7777.1']\")"
                              ".innerText.includes('王丽（8001）')")
            ended = answered
            ended.ended_at = t + 5
            service.feed.publish_call("ended", ended)
            await until(page, f"document.title === {title!r}")
            # Switched on stays on after a reload (remembered), without asking again.
            await page.reload()
            await page.wait_for_selector("#conn.on")
            assert await page.is_checked("#alert-sound") and await page.is_checked("#alert-notify")
        finally:
            await context.close()
            await stop(runner)
            await service.stop()
