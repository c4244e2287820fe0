"""End to end in headless Chromium (Debian's, driven by Playwright): log in, a replayed call
rings and the pop-up shows, a hostile caller ID stays text, Chinese and English render.

Takes screenshots of the main pages: into a temporary folder, or, to refresh the README's and
the docs' pictures, into the folder ``CALLCENTER_SCREENSHOTS`` names (a test run must not
change tracked files): ``CALLCENTER_SCREENSHOTS=docs/screenshots ./test.sh tests/web -k browser``.
Needs ``/usr/bin/chromium``
(``apt-get install chromium fonts-noto-cjk``) and the ``playwright`` package; never runs
``playwright install``. Fails (does not skip) when either is missing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.ami.calls import CallState
from callcenter.ami.replay import ReplayServer
from callcenter.db.models import Call
from callcenter.service import CallLogService
from callcenter.tickets.directory import seed_demo
from callcenter.tickets.models import Case
from callcenter.web.app import start_web, stop
from callcenter.web.models import CallNote
from tests.ami.harness import service_config, settle
from tests.web.conftest import PASSWORD, T0, add_call, add_case, add_cast, web_settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip
SHOTS = Path(os.environ.get("CALLCENTER_SCREENSHOTS") or Path(tempfile.gettempdir()) / "callcenter-screenshots")
HOSTILE_NUMBER = "<script>alert(1)</script>"
HOSTILE_NAME = "\"'><img src=x onerror=alert(2)>'; DROP TABLE calls;--"
VM = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("the end-to-end tests need the Python package playwright (pip install playwright; "
                    "never `playwright install`: they use Debian's chromium)")  # fmt: skip
    if not CHROMIUM.exists():
        pytest.fail(f"the end-to-end tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def _seed(sessions: Any) -> None:
    """History for the pop-up and rows for the screenshots (a busy morning in Yinchuan)."""
    await add_cast(sessions, T0)
    day = T0 - timedelta(days=1)
    rows = [
        dict(caller_number="13909511234", caller_name="Zhang Wei", started_at=day),
        dict(caller_number="13995112288", caller_name="", started_at=day + timedelta(minutes=7), answered_by="8002"),
        dict(caller_number="09515021177", caller_name="", started_at=day + timedelta(minutes=21), disposition="voicemail",
             answered_by=None, answered_at=None, talk_seconds=0.0, voicemail_path=VM, voicemail_duration=9.0,
             voicemail_mailbox="6085708@hotline"),
        dict(caller_number="18609517654", caller_name="", started_at=day + timedelta(minutes=33), disposition="abandoned",
             abandon_stage="ringing", answered_by=None, answered_at=None, talk_seconds=0.0, ring_seconds=11.0),
        dict(caller_number="", caller_name="", started_at=day + timedelta(minutes=40), disposition="busy",
             answered_by=None, answered_at=None, talk_seconds=0.0),
        dict(caller_number=HOSTILE_NUMBER, caller_name=HOSTILE_NAME, started_at=day + timedelta(minutes=52)),
    ]  # fmt: skip
    ids = [await add_call(sessions, **row) for row in rows]
    notes = {ids[0]: ("张伟", "丽景湾小区 3号楼 2单元 501", "temperature", "室温只有 15 度，要求测温"),
             ids[1]: ("马秀兰", "湖滨西街 12号", "repair", "卫生间暖气片漏水，已通知湖滨站"),
             ids[2]: ("", "", "", "")}  # fmt: skip
    async with sessions() as db, db.begin():
        for call_id, (name, address, category, summary) in notes.items():
            if name:
                db.add(CallNote(call_id=call_id, caller_name=name, address=address, category=category,
                                summary=summary, updated_at=T0, updated_by="clerk", version=1))  # fmt: skip


async def _login(page: Any, base: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=username]", "clerk")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/live")


async def test_panel_end_to_end(migrated: str, traces: Path, tmp_path: Path, browser: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    spool = tmp_path / "spool"
    shutil.copytree(traces / "voicemail" / "spool", spool)
    dialogs: list[str] = []
    async with ReplayServer([traces / "answered_caller_hangs_up"], speed=1.5, inject_timestamps=True) as pbx:
        config = service_config(migrated, pbx.port, spool_dir=spool, http_port=0)
        service = CallLogService(config)
        await _seed(service.sessions)
        await seed_demo(service.sessions)
        open_case = await add_case(service.sessions, T0 - timedelta(hours=5), to="assigned", kind="complaint",
                                   problem="暖气不热，报修两天没人来")  # fmt: skip
        # Secure cookies as in production: Chromium accepts them over http on loopback.
        runner = await start_web(config, service.sessions, service.feed, settings=web_settings(cookie_secure=True))
        base = "http://127.0.0.1:%d" % runner.addresses[0][1]
        context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            await page.goto(base + "/calls")
            assert page.url.startswith(base + "/login?next=/calls")
            await page.screenshot(path=str(SHOTS / "login.png"))
            await _login(page, base)
            await page.wait_for_selector("#conn.on")

            await service.start()  # the fake PBX starts playing: the call rings
            popup = page.locator("#popup")
            await popup.wait_for(state="visible", timeout=15000)
            assert await page.locator("#popup-number").text_content() == "13909511234"
            assert await page.locator("#popup-name").text_content() == "Zhang Wei"
            await page.locator("#popup-previous tr").first.wait_for()
            assert "室温只有 15 度" in await page.locator("#popup-previous").inner_text()
            assert "张伟" in await page.locator("#popup-known-names").inner_text()
            # The caller has an open, accepted complaint: listed, with the 二次投诉 warning.
            await page.locator("#popup-second").wait_for(state="visible")
            assert f"#{open_case}" in await page.locator("#popup-cases").inner_text()
            # The pop-up opens the case form pre-filled from the call (and the number's history); the
            # clerk picks the kind and submits. Whoever answered it stays 首问责任人.
            await page.locator("#popup-state.d-answered").wait_for(timeout=15000)
            link = page.locator("#popup-new-case")
            await link.wait_for(state="visible")
            await page.screenshot(path=str(SHOTS / "live-popup.png"))
            form = await context.new_page()
            await form.goto(base + (await link.get_attribute("href")))
            assert await form.input_value("input[name=caller_name]") == "张伟"
            assert await form.input_value("input[name=compound]") == "丽景湾小区"
            await form.select_option("select[name=kind]", "temperature")
            await form.fill("textarea[name=problem]", "室温只有 15 度，要求测温")
            await form.click("[data-testid=newcase-submit]")
            await form.wait_for_url(base + "/cases/*")
            new_case = int(form.url.split("/cases/")[1].split("?")[0])
            await form.close()
            assert new_case != open_case

            await pbx.wait_finished()
            await settle(service, migrated, 7)
            await page.locator("#recent tr").first.wait_for(timeout=15000)
            async with service.sessions() as db:
                created = await db.get(Case, new_case)
                assert created is not None and (created.kind, created.state, created.first_responder) == (
                    "temperature", "accepted", "8001")

            # A hostile caller ID, through the feed, the websocket and the pop-up script.
            await page.click("#popup-close")
            hostile = CallState(linkedid="9999.1", started_at=T0.timestamp(), caller_number=HOSTILE_NUMBER,
                                caller_name=HOSTILE_NAME)  # fmt: skip
            service.feed.publish_call("ringing", hostile)
            await popup.wait_for(state="visible")
            assert await page.locator("#popup-number").text_content() == HOSTILE_NUMBER
            assert await page.locator("#popup-name").text_content() == HOSTILE_NAME
            await page.click("#popup-close")
            # A withheld number as the PBX sends it (the anonymous_caller trace): 未显示号码, no "Anonymous".
            withheld = CallState(linkedid="9999.2", started_at=T0.timestamp(), caller_number="anonymous",
                                 caller_name="Anonymous")  # fmt: skip
            service.feed.publish_call("ringing", withheld)
            await popup.wait_for(state="visible")
            assert await page.locator("#popup-number").text_content() == "未显示号码"
            assert await page.locator("#popup-name").text_content() == ""
            row = page.locator("#current tr[data-linkedid='9999.2']")
            assert "未显示号码" in await row.inner_text() and "nonymous" not in await row.inner_text()
            await page.screenshot(path=str(SHOTS / "live-withheld.png"))
            await page.click("#popup-close")

            await page.goto(base + "/calls")
            ledger = await page.locator("[data-testid=ledger]").inner_text()
            assert HOSTILE_NUMBER in ledger and "13909511234" in ledger and "王丽" in ledger
            await page.screenshot(path=str(SHOTS / "ledger.png"), full_page=True)

            async with service.sessions() as db:
                vm_id = await db.scalar(Call.__table__.select().with_only_columns(Call.id).where(Call.voicemail_path == VM))
            await page.goto(f"{base}/calls/{vm_id}")
            await page.fill("input[name=caller_name]", "马建国")
            await page.fill("textarea[name=summary]", "留言：金凤区某小区 5号楼停暖，请回电")
            await page.select_option("select[name=category]", "complaint")
            await page.click("[data-testid=notes] button[type=submit]")
            await page.wait_for_selector("text=已保存")
            duration = await page.eval_on_selector("audio", "a => new Promise(r => a.readyState >= 1 ? r(a.duration) : "
                                                   "a.addEventListener('loadedmetadata', () => r(a.duration)))")  # fmt: skip
            assert duration > 1, "the voicemail did not load in the page"
            await page.screenshot(path=str(SHOTS / "call-detail.png"), full_page=True)

            await page.goto(base + "/calls/missed")
            assert "18609517654" in await page.locator("[data-testid=missed]").inner_text()
            await page.screenshot(path=str(SHOTS / "missed.png"), full_page=True)

            await page.click("text=English")
            await page.wait_for_selector("text=Missed calls to call back")
            assert "Mark called back" in await page.content()
            await page.goto(base + "/calls")
            assert await page.locator("nav.mainnav a.active").inner_text() == "Call ledger"
            await page.screenshot(path=str(SHOTS / "ledger-en.png"), full_page=True)
            assert dialogs == [], f"a caller ID ran script: {dialogs}"
        finally:
            await context.close()
            await stop(runner)
            await service.stop()
