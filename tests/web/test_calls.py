"""The ledger, call detail, notes (audited, versioned), the missed list, the voicemail audio."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from callcenter import audit
from tests.web.conftest import T0, Panel, add_call, login

VM = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"
HOSTILE = "<script>alert(1)</script>\"' OR 1=1; DROP TABLE calls;--"


async def _json(panel: Panel, path: str) -> dict:
    response = await panel.client.get(path)
    assert response.status == 200, (path, response.status, await response.text())
    return await response.json()


async def test_filters(panel: Panel) -> None:
    a = await add_call(panel.sessions, started_at=T0, caller_number="13909511111")
    b = await add_call(panel.sessions, started_at=T0 + timedelta(days=1), caller_number="6085222", answered_by="8002")
    c = await add_call(panel.sessions, started_at=T0 + timedelta(days=2), caller_number="13909511111", disposition="voicemail",
                       answered_by=None, voicemail_path=VM, voicemail_duration=12.0)  # fmt: skip
    await login(panel.client, "clerk")

    async def ids(query: str) -> list[int]:
        return [item["id"] for item in (await _json(panel, "/api/calls" + query))["items"]]

    assert await ids("") == [c, b, a]
    assert await ids("?number=13909511111") == [c, a]
    assert await ids("?number=1111") == [c, a] and await ids("?number=+86 139 0951 1111") == [c, a]
    assert await ids("?clerk=8002") == [b]
    assert await ids("?disposition=voicemail") == [c]
    assert await ids("?voicemail=1") == [c]
    # Days are Yinchuan days: T0 is 2026-11-20 09:00 there.
    assert await ids("?from=2026-11-21&to=2026-11-21") == [b]
    assert await ids("?from=2026-11-21") == [c, b]
    assert (await panel.client.get("/api/calls?from=yesterday")).status == 400
    assert (await panel.client.get("/api/calls?disposition=nonsense")).status == 400
    item = (await _json(panel, "/api/calls?number=13909511111"))["items"][0]
    assert item["voicemail"] == {"mailbox": None, "duration_seconds": 12.0, "audio_url": f"/calls/{c}/audio"}
    assert item["started_at"].endswith("+08:00")
    page = await (await panel.client.get("/calls?number=0951-6085222")).text()
    assert "李强" in page and "6085222" in page and "13909511111" not in page


async def test_keyset_pagination_walks_everything_once(panel: Panel) -> None:
    same = T0 + timedelta(hours=1)
    made = [await add_call(panel.sessions, started_at=same if i % 3 == 0 else T0 + timedelta(minutes=i)) for i in range(23)]
    await login(panel.client, "clerk")
    seen: list[int] = []
    cursor = ""
    for _ in range(10):
        data = await _json(panel, f"/api/calls?limit=5{'&cursor=' + cursor if cursor else ''}")
        seen += [item["id"] for item in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert (await panel.client.get("/api/calls?cursor=garbage!")).status == 400
    html = await (await panel.client.get("/calls?limit=5")).text()
    assert 'data-testid="next-page"' in html


async def test_notes_are_versioned_and_audited(panel: Panel) -> None:
    call_id = await add_call(panel.sessions)
    _, token = await login(panel.client, "clerk")
    h = {"X-CSRF-Token": token}
    body = {"version": 0, "caller_name": "张三", "address": "丽景湾 3-2-501", "category": "temperature",
            "summary": "室温 15 度"}  # fmt: skip
    response = await panel.client.patch(f"/api/calls/{call_id}/notes", json=body, headers=h)
    assert response.status == 200, await response.text()
    data = await response.json()
    assert data["notes"]["version"] == 1 and data["notes"]["caller_name"] == "张三"
    assert {c["field"] for c in data["history"]} == {"caller_name", "address", "category", "summary"}
    # A stale version is refused, not overwritten.
    response = await panel.client.patch(f"/api/calls/{call_id}/notes", json={"version": 0, "summary": "x"}, headers=h)
    assert response.status == 409
    # Other clerk edits one field: only that field is audited, with before/after and who.
    _, token2 = await login(panel.client, "other_clerk")
    response = await panel.client.patch(f"/api/calls/{call_id}/notes", json={"version": 1, "summary": "室温 16 度"},
                                        headers={"X-CSRF-Token": token2})  # fmt: skip
    data = await response.json()
    last = data["history"][-1]
    assert (last["field"], last["before"], last["after"], last["actor"]) == ("summary", "室温 15 度", "室温 16 度", "other_clerk")
    assert len(data["history"]) == 5
    bad = await panel.client.patch(f"/api/calls/{call_id}/notes", json={"version": 2, "category": "bogus"},
                                   headers={"X-CSRF-Token": token2})  # fmt: skip
    assert bad.status == 400
    page = await (await panel.client.get(f"/calls/{call_id}")).text()
    assert "室温 16 度" in page and "李强" in page  # the history names the clerk
    verdict = await audit.verify(panel.sessions)  # the hash chain holds
    assert verdict.ok and verdict.rows == 5


async def test_notes_form_post(panel: Panel) -> None:
    call_id = await add_call(panel.sessions)
    _, token = await login(panel.client, "clerk")
    response = await panel.client.post(f"/calls/{call_id}/notes", data={
        "csrf_token": token, "version": "0", "caller_name": "李四", "summary": "暖气不热", "category": "complaint",
    }, allow_redirects=False)  # fmt: skip
    assert response.status == 302 and response.headers["Location"] == f"/calls/{call_id}?saved=1"
    page = await (await panel.client.get(f"/calls/{call_id}?saved=1")).text()
    assert "已保存" in page and "暖气不热" in page and 'name="version" value="1"' in page


async def test_missed_list_and_called_back(panel: Panel) -> None:
    answered = await add_call(panel.sessions, started_at=T0)
    abandoned = await add_call(panel.sessions, started_at=T0 + timedelta(minutes=1), disposition="abandoned",
                               abandon_stage="ringing", answered_by=None, caller_number="333")  # fmt: skip
    busy = await add_call(panel.sessions, started_at=T0 + timedelta(minutes=2), disposition="busy", answered_by=None)
    _, token = await login(panel.client, "clerk")
    items = (await _json(panel, "/api/calls/missed"))["items"]
    assert [i["id"] for i in items] == [busy, abandoned]
    response = await panel.client.post(f"/api/calls/{abandoned}/called-back", headers={"X-CSRF-Token": token})
    data = await response.json()
    assert data["notes"]["called_back_by"] == "clerk" and data["notes"]["called_back_at"].endswith("+08:00")
    assert [c["field"] for c in data["history"]] == ["called_back_at", "called_back_by"]
    assert [i["id"] for i in (await _json(panel, "/api/calls/missed"))["items"]] == [busy]
    assert [i["id"] for i in (await _json(panel, "/api/calls/missed?pending=0"))["items"]] == [busy, abandoned]
    # Marking again changes nothing (the first mark stands, audited once).
    await panel.client.post(f"/api/calls/{abandoned}/called-back", headers={"X-CSRF-Token": token})
    assert len((await _json(panel, f"/api/calls/{abandoned}"))["history"]) == 2
    # An answered call is not a missed call.
    response = await panel.client.post(f"/api/calls/{answered}/called-back", headers={"X-CSRF-Token": token})
    assert response.status == 400
    # The page form, then the page shows who called back.
    response = await panel.client.post(f"/calls/{busy}/called-back", data={"csrf_token": token, "back": "/calls/missed?pending=0"},
                                       allow_redirects=False)  # fmt: skip
    assert response.headers["Location"] == "/calls/missed?pending=0"
    page = await (await panel.client.get("/calls/missed?pending=0")).text()
    assert "clerk 于" in page


async def test_audio_range_and_content_type(panel: Panel, spool: Path) -> None:
    call_id = await add_call(panel.sessions, disposition="voicemail", answered_by=None, voicemail_path=VM)
    await login(panel.client, "clerk")
    whole = (spool / "hotline/6085708/INBOX/msg0000.wav").read_bytes()
    response = await panel.client.get(f"/calls/{call_id}/audio")
    assert response.status == 200 and response.headers["Content-Type"] == "audio/wav"
    assert await response.read() == whole
    response = await panel.client.get(f"/calls/{call_id}/audio", headers={"Range": "bytes=100-199"})
    assert response.status == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert await response.read() == whole[100:200]
    page = await (await panel.client.get(f"/calls/{call_id}")).text()
    assert f'<audio controls preload="metadata" src="/calls/{call_id}/audio"' in page


async def test_audio_refuses_paths_outside_the_spool(panel: Panel, spool: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"secret")
    (spool / "hotline" / "evil.wav").symlink_to(secret)
    os.symlink(tmp_path, spool / "hotline" / "up")
    await login(panel.client, "clerk")
    for stored in (
        "/var/spool/asterisk/voicemail/../../../../" + str(secret.with_suffix("")),
        str(secret.with_suffix("")),
        "/var/spool/asterisk/voicemail/hotline/evil",  # a symlink to outside
        "/var/spool/asterisk/voicemail/hotline/up/secret",  # through a symlinked folder
        "hotline/../../secret",
        "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg9999",  # simply missing
    ):
        call_id = await add_call(panel.sessions, disposition="voicemail", answered_by=None, voicemail_path=stored)
        response = await panel.client.get(f"/calls/{call_id}/audio")
        assert response.status == 404, stored
        assert b"secret" not in await response.read()


async def test_hostile_caller_id_is_text(panel: Panel) -> None:
    call_id = await add_call(panel.sessions, caller_number=HOSTILE, caller_name=HOSTILE)
    _, token = await login(panel.client, "clerk")
    await panel.client.patch(f"/api/calls/{call_id}/notes", json={"version": 0, "caller_name": HOSTILE,
                                                                  "summary": HOSTILE}, headers={"X-CSRF-Token": token})  # fmt: skip
    for path in ("/calls", f"/calls/{call_id}", "/calls?name=" + HOSTILE):
        html = await (await panel.client.get(path)).text()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = await panel.client.get("/calls?number=" + HOSTILE)  # no number: refused, not echoed raw
    assert response.status == 400 and "<script>alert(1)</script>" not in await response.text()
    data = await _json(panel, "/api/calls")
    assert data["items"][0]["caller_number"] == HOSTILE  # the API returns it as data, unchanged
    assert len(await _json(panel, "/api/calls")) > 0  # and the table is still there


async def test_unknown_call_is_404(panel: Panel) -> None:
    await login(panel.client, "clerk")
    assert (await panel.client.get("/calls/999999")).status == 404
    response = await panel.client.get("/api/calls/999999")
    assert response.status == 404 and (await response.json())["error"] == "not_found"
    assert (await panel.client.get("/api/nothing-here")).status == 404


async def test_station_home_and_me(panel: Panel) -> None:
    await login(panel.client, "station")
    response = await panel.client.get("/", allow_redirects=False)
    assert response.headers["Location"] == "/cases"  # a station's home is its cases
    html = await (await panel.client.get("/cases")).text()
    assert "仅显示本站工单：湖滨供热站" in html and "湖滨站" in html
    me = await _json(panel, "/api/me")
    assert me["role"] == "station" and me["station_code"] == "hubin" and "calls.view" not in me["permissions"]


@pytest.mark.parametrize("user, home", [("clerk", "/live"), ("supervisor", "/live"), ("admin", "/live"),
                                        ("station", "/cases"), ("office_head", "/supervision"),
                                        ("manager", "/supervision")])  # fmt: skip
async def test_each_role_lands_on_its_own_page(panel: Panel, user: str, home: str) -> None:
    await login(panel.client, user)
    response = await panel.client.get("/", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == home
    assert (await panel.client.get(home)).status == 200


async def test_withheld_number_reads_as_such_on_the_ledger_and_the_call_page(panel: Panel) -> None:
    """The anonymous_caller trace is stored as the PBX sent it (CallerIDNum "anonymous",
    CallerIDName "Anonymous"); the panel says 未显示号码 / Number withheld instead."""
    call = await add_call(panel.sessions, caller_number="anonymous", caller_name="Anonymous",
                          disposition="abandoned", answered_by=None)  # fmt: skip
    await login(panel.client, "clerk")
    for path in ("/calls", f"/calls/{call}", "/calls/missed"):
        html = await (await panel.client.get(path)).text()
        assert "未显示号码" in html, path
        assert "anonymous" not in html.lower(), path
    english = await (await panel.client.get(f"/calls/{call}?lang=en")).text()
    assert "Number withheld" in english and "anonymous" not in english.lower()
