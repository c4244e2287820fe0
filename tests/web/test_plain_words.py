"""Issue #13: the clerk's panel speaks plain Chinese (or plain English), never the PBX's, the
transcriber's or the database's codes. Each page is rendered and read as a clerk reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.conftest import T0, Panel, login
from tests.web.traces import store_trace


def timeline_text(html: str) -> str:
    """The call page's timeline as text, one row a line, cells joined by " | "."""
    match = re.search(r'data-testid="timeline">(.*?)</table>', html, re.S)
    assert match, "no timeline on the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S)
    cells = [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
             for r in rows]  # fmt: skip
    return "\n".join(" | ".join(c for c in row if c) for row in cells)


CODES = ("SIP/", "PJSIP/", "Local/", "trunk", "NOANSWER", "CANCEL", "BUSY", "ANSWER", "cause ", "摘机", "通道")


async def _call_page(panel: Panel, traces: Path, scenario: str, lang: str = "zh") -> list[str]:
    ids = await store_trace(panel.sessions, traces / scenario, T0)
    await login(panel.client, "clerk")
    pages = []
    for call_id in ids:
        response = await panel.client.get(f"/calls/{call_id}?lang={lang}")
        assert response.status == 200
        pages.append(await response.text())
    return pages


async def test_the_voicemail_call_reads_as_clerks_say_it(panel: Panel, traces: Path) -> None:
    """The recorded voicemail trace: both clerks' phones rang out (NOANSWER, cause 16), then the
    voicemail answered the trunk leg. Shown as names, extensions and 无人接听 / 语音信箱应答."""
    (html,) = await _call_page(panel, traces, "voicemail")
    text = timeline_text(html)
    assert text.splitlines() == [
        "09:00:01 | 来电 | 来电方 13909511234",
        "09:00:01 | 振铃 | 李强（8002）",
        "09:00:01 | 振铃 | 王丽（8001）",
        "09:00:16 | 未接听 | 李强（8002） | 无人接听",
        "09:00:16 | 未接听 | 王丽（8001） | 无人接听",
        "09:00:16 | 语音信箱应答 | 来电方 13909511234",
        "09:00:47 | 通话结束 | 来电方 13909511234",
    ], text
    for code in CODES:
        assert code not in text, code
    assert "SIP/8002-" not in html and "NOANSWER" not in html and "cause 16" not in html


@pytest.mark.parametrize("scenario, words", [
    ("answered_caller_hangs_up", ["接听 | 王丽（8001）", "未接听 | 李强（8002） | 他人已接听", "挂机 | 王丽（8001）"]),
    ("abandoned_while_ringing", ["未接听 | 王丽（8001） | 来电方已挂断"]),
    ("busy_or_unavailable", ["未接听 | 李强（8002） | 忙", "系统应答（播放提示音） | 来电方 13909511234"]),
    ("attended_transfer", ["振铃 | 转接目标 分机 8101", "与来电方接通 | 转接目标 分机 8101"]),
    ("anonymous_caller", ["来电 | 来电方 未显示号码"]),
])  # fmt: skip
async def test_every_recorded_call_reads_plainly(panel: Panel, traces: Path, scenario: str, words: list[str]) -> None:
    pages = await _call_page(panel, traces, scenario)
    text = "\n".join(timeline_text(html) for html in pages)
    for expected in words:
        assert expected in text, (expected, text)
    for code in CODES:
        assert code not in text, (code, text)
    assert "anonymous" not in "".join(pages).lower()


async def test_the_call_timeline_in_english(panel: Panel, traces: Path) -> None:
    (html,) = await _call_page(panel, traces, "voicemail", lang="en")
    text = timeline_text(html)
    assert "Not answered | 李强 (8002) | no answer" in text and "Voicemail answered | caller 13909511234" in text
    for code in CODES:
        assert code not in text, code


# --- the voicemail drafts: the transcriber's diagnostics stay with the operator -------------------


async def _draft_with(panel: Panel, status: str, reason: str | None) -> int:
    from callcenter.transcribe.models import VoicemailDraft
    from tests.web.test_drafts import add_draft

    case_id = await add_draft(panel, transcribed=False)
    async with panel.sessions() as db, db.begin():
        vm = (await db.scalars(select(VoicemailDraft).where(VoicemailDraft.case_id == case_id))).one()
        vm.status, vm.reason = status, reason
    return case_id


async def test_a_draft_without_a_model_tells_the_clerk_what_to_do(panel: Panel, tmp_path: Path) -> None:
    from callcenter.transcribe.drafts import inspect_message
    from callcenter.transcribe.transcriber import NO_MODEL

    no_model = await _draft_with(panel, "unavailable", NO_MODEL)  # what the transcriber stores
    refused = inspect_message(tmp_path, "/etc/passwd").refused  # a path outside the spool
    assert refused and refused.startswith("recording refused")
    bad_path = await _draft_with(panel, "failed", refused)
    await login(panel.client, "clerk")
    html = await (await panel.client.get(f"/drafts/{no_model}")).text()
    assert "暂无自动转写，请听录音登记。" in html
    assert "CALLCENTER_VOSK_MODEL" not in html and "Vosk" not in html and "vosk_model" not in html
    html = await (await panel.client.get(f"/drafts/{bad_path}")).text()
    assert "录音文件无法读取" in html and "recording refused" not in html and "/etc/passwd" not in html
    english = await (await panel.client.get(f"/drafts/{no_model}?lang=en")).text()
    assert "No automatic transcript" in english and "CALLCENTER_VOSK_MODEL" not in english
    # The inbox's script shows the same sentence: the API says which, by key.
    data = await (await panel.client.get(f"/api/drafts/{no_model}")).json()
    assert data["notice"] == "unavailable"
    # The precise diagnostic goes to the operator: the administrator's banner (and the log, `check`).
    await login(panel.client, "admin")
    html = await (await panel.client.get("/admin/users?lang=zh")).text()
    banner = html.split('data-testid="transcription-banner"', 1)[1].split("</div>", 1)[0]
    assert "2 条待登记的留言未能自动转写" in banner and "recording refused" in banner and "callcenter check" in banner
    await login(panel.client, "supervisor")
    assert 'data-testid="transcription-banner"' not in await (await panel.client.get("/admin/users")).text()


# --- the case page and the audit trail: rule-book words, the system named as such --------------


async def test_a_confirmed_draft_reads_plainly_on_the_case_and_in_the_audit(panel: Panel) -> None:
    from tests.web.test_drafts import add_draft, post

    case_id = await add_draft(panel)
    _, token = await login(panel.client, "clerk")
    draft = await (await panel.client.get(f"/api/drafts/{case_id}")).json()
    status, _ = await post(panel, f"/api/drafts/{case_id}/confirm", token,
                           {"version": draft["case"]["version"], "building": "3"})  # fmt: skip
    assert status == 200
    html = await (await panel.client.get(f"/cases/{case_id}")).text()
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "核对留言草稿" in timeline and "draft checked" not in html
    assert "系统（留言转写）" in timeline and "system:voicemail" not in html
    english = await (await panel.client.get(f"/cases/{case_id}?lang=en")).text()
    assert "System (voicemail transcription)" in english and "system:voicemail" not in english
    assert "voicemail draft checked" in english
    await login(panel.client, "supervisor")
    html = await (await panel.client.get(f"/audit?case={case_id}&lang=zh")).text()
    shown = re.sub(r"<[^>]+>", " ", html.split('<table', 1)[1])  # the trail as read (not the filter's codes)
    assert "核对留言草稿" in shown and "draft checked" not in shown
    assert "系统（留言转写）" in shown and "system:voicemail" not in shown
    csv = (await (await panel.client.get(f"/audit/export?case={case_id}&format=csv")).read()).decode("utf-8-sig")
    assert "系统（留言转写）" in csv and "system:voicemail" not in csv and "核对留言草稿" in csv
    assert ",draft," not in csv and ",accepted," not in csv and "草稿" in csv and "王丽" in csv


# --- the administration pages: sentences, not redirect codes; station names, not codes ----------


def visible(html: str) -> str:
    """The page's text as read (no tags, attributes or scripts)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _users_table(html: str) -> str:
    return html.split('data-testid="users"', 1)[1].split("</table>", 1)[0]


async def test_admin_pages_say_what_was_done_in_words(panel: Panel) -> None:
    _, token = await login(panel.client, "admin")
    response = await panel.client.post("/admin/users", data={
        "csrf_token": token, "username": "weak2", "display_name": "湖滨值班", "role": "station",
        "station_code": "hubin", "extension": "", "password": "湖滨值班密码-6085708"}, allow_redirects=False)  # fmt: skip
    assert response.status == 302 and response.headers["Location"] == "/admin/users?done=added:weak2"
    html = await (await panel.client.get(response.headers["Location"])).text()
    assert "已添加账号 weak2。" in visible(html) and "added:" not in visible(html) and "已完成：" not in html
    table = _users_table(html)
    assert "湖滨供热站" in table and ">hubin<" not in table and "hubin<" not in table
    english = await (await panel.client.get("/admin/users?done=added:weak2&lang=en")).text()
    assert "Account weak2 added." in visible(english) and "added:" not in visible(english)
    assert "Hubin" in _users_table(english)
    # A forged or unknown code says nothing rather than echo it.
    html = await (await panel.client.get("/admin/users?done=<b>x</b>:y&lang=zh")).text()
    assert 'data-testid="done"' not in html
    from tests.web.test_directory_edit import unit_id

    office2 = await unit_id(panel, "office2")
    response = await panel.client.post("/admin/directory/units", data={
        "csrf_token": token, "code": "s9", "kind": "station", "name_zh": "九号站", "name_en": "", "phone": "",
        "parent_id": str(office2)}, allow_redirects=False)  # fmt: skip
    html = await (await panel.client.get(response.headers["Location"])).text()
    assert "已保存单位：九号站。" in visible(html) and "unit:s9" not in visible(html)


# --- the withheld number: 未显示号码 on every page and export -------------------------------------


async def test_a_withheld_number_reads_the_same_everywhere(panel: Panel, traces: Path) -> None:
    """The voicemail trace's call, its caller ID as the anonymous_caller trace has it
    ("anonymous" / "Anonymous"), made a draft by the real pipeline; then every page that shows it."""
    from sqlalchemy import update

    from callcenter.db.models import Call
    from callcenter.transcribe.drafts import create_draft

    (call_id,) = await store_trace(panel.sessions, traces / "voicemail", T0)
    async with panel.sessions() as db, db.begin():
        await db.execute(update(Call).where(Call.id == call_id).values(caller_number="anonymous", caller_name="Anonymous"))
    case_id = await create_draft(panel.sessions, call_id, now=panel.clock(), spool_dir=panel.config.spool_dir)
    assert case_id is not None
    await login(panel.client, "clerk")
    for path in (f"/drafts/{case_id}", "/drafts", f"/cases/{case_id}", "/cases?state=draft", "/calls/missed",
                 f"/calls/{call_id}", "/calls", "/calls/export.csv"):  # fmt: skip
        response = await panel.client.get(path + ("&" if "?" in path else "?") + "lang=zh")
        assert response.status == 200, path
        body = (await response.read()).decode("utf-8-sig")
        body = body if path.endswith(".csv") else visible(body)  # what is read, not a script's string keys
        at = body.lower().find("anonymous")
        assert at < 0, (path, body[max(0, at - 200):at + 60])
        assert "未显示号码" in body, path


# --- the reports: clerks by name and extension -----------------------------------------------------


async def test_the_reports_name_the_clerks(panel: Panel, traces: Path) -> None:
    await store_trace(panel.sessions, traces / "answered_caller_hangs_up", T0)  # 8001 answers
    await login(panel.client, "supervisor")
    data = await (await panel.client.get("/api/reports/R1?anchor=2026-11-20&lang=zh")).json()
    clerks = next(s for s in data["sections"] if s["name"] == "clerks")
    assert clerks["headers"][0] == "专线员"
    assert [row[0] for row in clerks["rows"]] == ["王丽（8001）"]
    data = await (await panel.client.get("/api/reports/R1?anchor=2026-11-20&lang=en")).json()
    clerks = next(s for s in data["sections"] if s["name"] == "clerks")
    assert clerks["headers"][0] == "Clerk" and [row[0] for row in clerks["rows"]] == ["王丽 (8001)"]
