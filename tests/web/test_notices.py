"""The notification inbox and the duty rota (issue 10 point 6): notices reach a person without
any webhook; duty notices have an addressee; an urgent clock's breach at night reaches the duty
person and the office head at once; the backlog says when notices pile up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, update

from callcenter.tickets.models import Outbox
from callcenter.tickets.sweep import Sweeper
from callcenter.web.models import User
from callcenter.web.notices.backlog import backlog
from tests.web.conftest import Panel, add_case, login

DB = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
NIGHT = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # Monday 22:00 in Yinchuan


async def send(panel: Panel, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = await panel.client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    return response.status, await response.json()


async def inbox(panel: Panel, user: str) -> dict[str, Any]:
    await login(panel.client, user)
    return await (await panel.client.get("/api/notices")).json()


@DB
async def test_a_night_d2_breach_reaches_the_duty_person_and_the_office_head_at_once(panel: Panel) -> None:
    _, sup = await login(panel.client, "supervisor")
    status, shift = await send(panel, sup, "POST", "/api/duty", {
        "username": "other_clerk", "starts_at": "2026-11-23T20:00:00+08:00", "ends_at": "2026-11-24T08:00:00+08:00",
        "note": "夜班"})  # fmt: skip
    assert status == 201 and shift["username"] == "other_clerk"
    panel.clock.now = NIGHT
    case_id = await add_case(panel.sessions, NIGHT, to="assigned", kind="repair", urgent=True, severity="major")
    await Sweeper(panel.sessions).run_once(NIGHT + timedelta(hours=1, seconds=1))  # D2: 1 hour
    panel.clock.now = NIGHT + timedelta(hours=1, minutes=1)
    async with panel.sessions() as db:
        rows = (await db.scalars(select(Outbox).where(Outbox.case_id == case_id, Outbox.kind == "breach"))).all()
    d2 = {(n.recipient_role, n.recipient) for n in rows if "紧急" in n.text_zh}
    assert ("duty", "other_clerk") in d2 and any(role == "office_head" for role, _ in d2)
    assert all(n.deliver_at <= panel.clock.now for n in rows if "紧急" in n.text_zh)  # not held to 08:30

    duty = await inbox(panel, "other_clerk")
    assert any(n["kind"] == "breach" and n["recipient_role"] == "duty" and n["url"] == f"/cases/{case_id}"
               for n in duty["items"])  # fmt: skip
    clerk = await inbox(panel, "clerk")
    assert not any(n["recipient_role"] == "duty" for n in clerk["items"])  # the duty person's own
    head = await inbox(panel, "office_head")
    assert any(n["kind"] == "breach" and n["recipient_role"] == "office_head" and "紧急" in n["text"]
               for n in head["items"])  # fmt: skip
    assert head["unread"] >= 1
    station = await inbox(panel, "station")
    assert any(n["recipient_role"] == "station" for n in station["items"])  # the instruction (交办)
    page = await (await panel.client.get("/cases")).text()
    assert 'data-testid="inbox-badge"' in page and f'<b class="count">{station["unread"]}</b>' in page

    _, token = await login(panel.client, "office_head")
    first = head["items"][0]["id"]
    for _ in range(2):  # marking twice is harmless
        status, data = await send(panel, token, "POST", "/api/notices/read", {"ids": [first]})
        assert (status, data["unread"]) == (200, head["unread"] - 1)
    status, data = await send(panel, token, "POST", "/api/notices/read", {"ids": [duty["items"][0]["id"]]})
    assert status == 404  # not in an office head's inbox
    status, data = await send(panel, token, "POST", "/api/notices/read", {})
    assert status == 400
    status, data = await send(panel, token, "POST", "/api/notices/read", {"all": True})
    assert (status, data["unread"]) == (200, 0)


@DB
async def test_without_a_rota_or_readers_the_backlog_says_so(panel: Panel) -> None:
    panel.clock.now = NIGHT
    case_id = await add_case(panel.sessions, NIGHT, to="assigned", kind="repair", urgent=True, severity="minor")
    await Sweeper(panel.sessions).run_once(NIGHT + timedelta(hours=1, seconds=1))
    moment = NIGHT + timedelta(hours=3)
    async with panel.sessions() as db:
        seen = await backlog(db, moment, webhook=False)
        duty_rows = (await db.scalars(select(Outbox).where(Outbox.case_id == case_id,
                                                           Outbox.recipient_role == "duty"))).all()  # fmt: skip
    assert seen.nobody_on_duty and duty_rows and all(n.recipient is None for n in duty_rows)
    assert seen.no_reader == 0 and seen.unread >= 1 and seen.webhook_pending is None
    panel.clock.now = moment
    clerk = await inbox(panel, "clerk")  # nobody on the rota: every clerk gets the duty notice
    assert any(n["recipient_role"] == "duty" for n in clerk["items"])
    async with panel.sessions() as db, db.begin():  # the station's only account is disabled
        await db.execute(update(User).where(User.username == "station").values(active=False))
    async with panel.sessions() as db:
        later = await backlog(db, moment, webhook=True)
    assert later.no_reader >= 1 and later.piling_up and later.webhook_pending and later.webhook_pending >= 1
    await login(panel.client, "supervisor")
    page = await (await panel.client.get("/supervision")).text()
    assert 'data-testid="backlog"' in page and "无人可收" in page and "当前无人值班" in page
    page = await (await panel.client.get(f"/supervision/outbox?case={case_id}")).text()
    assert "已送达收件箱" in page and "待推送" not in page and ">待发送<" not in page  # no webhook configured


@DB
async def test_the_rota_refuses_nonsense(panel: Panel) -> None:
    _, sup = await login(panel.client, "supervisor")
    bad = [
        {"username": "station", "starts_at": "2026-11-23T20:00:00+08:00", "ends_at": "2026-11-24T08:00:00+08:00"},
        {"username": "clerk", "starts_at": "2026-11-24T20:00:00+08:00", "ends_at": "2026-11-24T08:00:00+08:00"},
        {"username": "clerk", "starts_at": "2026-11-24T20:00:00+08:00", "ends_at": "2027-01-24T08:00:00+08:00"},
        {"username": "cl\u0007erk", "starts_at": "2026-11-24T20:00:00+08:00", "ends_at": "2026-11-25T08:00:00+08:00"},
        {"username": "clerk", "starts_at": "tonight", "ends_at": "2026-11-25T08:00:00+08:00"},
    ]
    for body in bad:
        status, data = await send(panel, sup, "POST", "/api/duty", body)
        assert status == 400, (body, data)
    _, clerk = await login(panel.client, "clerk")
    status, _ = await send(panel, clerk, "POST", "/api/duty", {"username": "clerk", "starts_at": "2026-11-24T20:00:00+08:00",
                                                              "ends_at": "2026-11-25T08:00:00+08:00"})  # fmt: skip
    assert status == 403
