"""Issue #13: the clerk's panel speaks plain Chinese (or plain English), never the PBX's, the
transcriber's or the database's codes. Each page is rendered and read as a clerk reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
