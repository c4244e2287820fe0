"""Every page, as every role, in Chinese and in English, in headless Chromium at 1366×768.

The pages are not listed by hand: every GET route of the app that answers HTML is visited (a
new page is swept without touching this file; a new route with a path parameter must say here
which seeded record fills it). On each page the sweep fails on

* an English UI word or an internal code in a Chinese page's visible text, placeholders and
  tooltips (the list is built from the catalogue's English msgids and the vocabularies' stored
  values, plus codes seen leaking in the past); identifiers shown as such (``<code>``) and the
  cast's own account names are not words;
* a console error or an uncaught script error (the page's own HTTP status aside: Chromium logs a
  403 page it was sent as a failed resource);
* horizontal overflow: the page wider than the window, a table wider than the box that holds it,
  the top navigation on more than one line;
* a column of figures whose header is not aligned as its figures are.

With ``CALLCENTER_SCREENSHOTS=docs/screenshots`` the Chinese sweep also saves a picture of every
page as the first role that may open it (``sweep-<page>.png``), how the docs' pictures are refreshed.

Needs Debian's chromium and the playwright package (see test_browser.py); fails, never skips.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path
from datetime import timedelta
from typing import Any

import pytest

from callcenter.tickets.demo_cases import seed_cases
from callcenter.web import i18n
from callcenter.web.models import CallNote
from tests.web.conftest import CAST, PASSWORD, Panel, add_call
from tests.web.test_browser import browser  # noqa: F401  (the Chromium fixture)
from tests.web.test_drafts import add_draft

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

WIDTH, HEIGHT = 1366, 768
# Routes that do not answer a page (downloads, sockets, the icon), by route name.
NOT_PAGES = {"favicon", "ws_live", "ws_wallboard", "call_audio", "calls_export_csv", "calls_export_xlsx",
             "audit_export", "queue_reports_export", "report_download", "healthz", "metrics", "logout"}  # fmt: skip
# ASCII that may stand in a Chinese page: product and file-format names, units and the like.
ALLOWED = {"English", "SIP", "CSV", "Excel", "xlsx", "csv", "AMI", "ID", "Vosk", "PDF", "WAV", "wav", "OK", "R1", "R2", "R3",
           "R4", "R5", "R6", "R7", "R8", "TOML", "km", "s", "ms", "KPI", "IP", "URL", "AM", "PM", "Asterisk"}  # fmt: skip
# Codes that leaked into pages before: channels, hangup causes, flash codes, environment names.
LEAKED = {"SIP/", "PJSIP/", "NOANSWER", "ANSWER", "cause", "trunk", "added:", "draft checked", "CALLCENTER_",
          "vosk_model", "anonymous", "Anonymous", "None", "null", "undefined", "NaN", "Error", "True", "False"}  # fmt: skip


@functools.cache
def vocabulary_codes() -> set[str]:
    """Internal codes a page must translate: every stored value a vocabulary turns into a word
    (workflow states and actions, kinds, sources, roles, dispositions …), and the seeded codes."""
    from callcenter.tickets.workflow import ACTIONS

    codes: set[str] = set(ACTIONS)
    for table in i18n.vocabularies().values():
        codes |= {value for value in table if re.fullmatch(r"[a-z][a-z_:]+", value)}
    codes |= {"hubin", "beiyuan", "renyi", "xinli", "yucai", "office1"}  # the seeded station and office codes
    return {c for c in codes if len(c) > 2}


@functools.cache
def english_words() -> set[str]:
    """Every word of the English UI (the msgids of the catalogue) that is not allowed ASCII."""
    words: set[str] = set()
    for message in catalog():
        if message.id:
            text = message.id if isinstance(message.id, str) else " ".join(message.id)
            words |= {w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", re.sub(r"%\(\w+\)s", "", text)) if len(w) > 2}
    return words - ALLOWED


def catalog() -> Any:
    from babel.messages.pofile import read_po

    with open(i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def ascii_offences(text: str, user_data: Iterable[str]) -> list[str]:
    for value in sorted(user_data, key=len, reverse=True):
        text = text.replace(value, " ")
    found = {w for w in re.findall(r"[A-Za-z][A-Za-z_'-]*", text)} - ALLOWED
    bad = sorted(found & (english_words() | vocabulary_codes()))
    bad += sorted(code for code in LEAKED if code in text)
    return bad


async def _seed(panel: Panel) -> dict[str, int]:
    now = panel.clock()
    day = now - timedelta(hours=3)
    answered = await add_call(panel.sessions, caller_number="13909511234", caller_name="", started_at=day)
    await add_call(panel.sessions, caller_number="", caller_name="", started_at=day + timedelta(minutes=5),
                   disposition="busy", answered_by=None, answered_at=None, talk_seconds=0.0)  # fmt: skip
    await add_call(panel.sessions, caller_number="18609517654", caller_name="", started_at=day + timedelta(minutes=9),
                   disposition="abandoned", abandon_stage="ringing", answered_by=None, answered_at=None,
                   talk_seconds=0.0, ring_seconds=11.0)  # fmt: skip
    async with panel.sessions() as db, db.begin():
        db.add(CallNote(call_id=answered, caller_name="张伟", address="丽景湾小区 3号楼 2单元 501", category="temperature",
                        summary="室温只有 15 度，要求测温", updated_at=now, updated_by="clerk", version=1))  # fmt: skip
    await seed_cases(panel.sessions, now)
    draft = await add_draft(panel, transcribed=False)
    from sqlalchemy import select

    from callcenter.tickets.models import Case

    async with panel.sessions() as db:
        case = await db.scalar(select(Case.id).where(Case.state == "assigned").order_by(Case.id).limit(1))
    return {"call_id": answered, "case_id": case, "draft_id": draft}


def pages(panel: Panel, ids: dict[str, int]) -> list[str]:
    found: list[str] = []
    for route in panel.app.router.routes():
        if route.method != "GET" or route.resource is None:
            continue
        info = route.resource.get_info()
        name = route.name or ""
        if name in NOT_PAGES or name.startswith("static") or name.startswith("api") or name == "login":
            continue
        path = info.get("path") or info.get("formatter")
        if path is None or path.startswith(("/api", "/static", "/ws")):
            continue
        if "{" in path:
            param = "draft_id" if name == "draft" else re.findall(r"{(\w+)}", path)[0]
            assert param in ids, f"the sweep does not know which record opens {path} ({name}): add it to _seed"
            path = re.sub(r"{\w+}", str(ids[param]), path)
        found.append(path)
    return sorted(set(found))


LAYOUT = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) problems.push(`page ${doc.scrollWidth}px wide`);
  for (const table of document.querySelectorAll('table')) {
    if (!table.offsetParent) continue;
    let box = table.parentElement;
    while (box && getComputedStyle(box).display === 'contents') box = box.parentElement;
    const scroller = getComputedStyle(box).overflowX;
    const right = table.getBoundingClientRect().right, limit = box.getBoundingClientRect().right;
    if (!['auto', 'scroll'].includes(scroller) && right > limit + 1)
      problems.push(`table ${table.className || table.id || ''} overflows its box by ${Math.round(right - limit)}px`);
    const rows = [...table.querySelectorAll('tbody tr')];
    const head = table.querySelectorAll('thead th');
    head.forEach((th, i) => {
      const cells = rows.map(r => r.children[i]).filter(c => c && c.colSpan === 1 && c.innerText.trim());
      const numeric = cells.length > 0 && cells.every(c => /^[-+]?[0-9][0-9.,:%]*\\s*(秒|s|%|分)?$/.test(c.innerText.trim()));
      if (!numeric) return;
      const align = el => { const a = getComputedStyle(el).textAlign; return {start: 'left', end: 'right'}[a] || a; };
      const want = align(th);
      const seen = [...new Set(cells.map(align))];
      if (seen.some(a => a !== want))
        problems.push(`figures in column "${th.innerText.trim()}" are ${seen}, its header ${want}`);
    });
  }
  const nav = document.querySelector('header nav, nav.top, nav');
  if (nav) {
    const tops = new Set([...nav.querySelectorAll('a')].filter(a => a.offsetParent).map(a => Math.round(a.getBoundingClientRect().top)));
    if (tops.size > 1) problems.push(`the top navigation wraps onto ${tops.size} lines`);
  }
  return problems;
}"""


# The words a reader sees: visible text, the title and the options of every list; not identifiers
# shown as such (<code>, <kbd>, <samp>, <pre>: an account name, a code the administrator types on
# the command line, the rule file itself) nor a file being edited (a <textarea>'s text).
VISIBLE_TEXT = r"""() => {
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('code,kbd,samp,pre,textarea,script,style,template')) continue;
    if (el.tagName !== 'OPTION' && !el.checkVisibility()) continue;
    parts.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder],[title]'))
    if (el.checkVisibility()) parts.push(el.getAttribute('placeholder') || '', el.getAttribute('title') || '');
  return parts.join('\n');
}"""


async def _login(page: Any, base: str, username: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("load")
    assert "/login" not in page.url, f"{username} could not log in"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_every_page_as_every_role(panel: Panel, browser: Any, lang: str) -> None:  # noqa: F811
    ids = await _seed(panel)
    base = panel.origin
    urls = pages(panel, ids)
    assert len(urls) >= 20, urls
    # account names are data (the demo cases' station and office accounts among them)
    user_data = set(CAST) | {f"station-{code}" for code in ("hubin", "beiyuan", "renyi", "xinli", "yucai")}
    user_data |= {"head-office1", "8001", "8002"}
    failures: list[str] = []
    shots = Path(os.environ["CALLCENTER_SCREENSHOTS"]) if os.environ.get("CALLCENTER_SCREENSHOTS") else None
    shot: set[str] = set()
    for username in CAST:
        context = await browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                            locale="zh-CN" if lang == "zh" else "en-US")  # fmt: skip
        await context.add_cookies([{"name": i18n.COOKIE, "value": lang, "url": base}])
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"{m.text} @ {m.location.get('url')}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        try:
            await _login(page, base, username)
            for url in urls:
                errors.clear()
                response = await page.goto(base + url)
                await page.wait_for_load_state("load")
                await page.wait_for_timeout(150)  # scripts that fetch their first data
                status = response.status if response else 0
                where = f"{username} {lang} {url} ({status})"
                own = f"status of {status}"
                failures += [f"{where}: console: {e}" for e in errors if not (own in e and e.endswith(base + url))]
                failures += [f"{where}: layout: {p}" for p in await page.evaluate(LAYOUT)]
                if shots and lang == "zh" and status == 200 and url not in shot:
                    shot.add(url)
                    slug = re.sub(r"/\d+", "-detail", url.strip("/") or "home").replace("/", "-")
                    await page.screenshot(path=str(shots / f"sweep-{slug}.png"), full_page=True)
                if lang == "zh":
                    text = await page.evaluate(VISIBLE_TEXT)
                    bad = ascii_offences(text, user_data)
                    if bad:
                        failures.append(f"{where}: English or codes in the Chinese page: {bad}")
        finally:
            await context.close()
    assert not failures, "\n".join(failures)
