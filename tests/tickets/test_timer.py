"""Webhook delivery of the outbox (real aiohttp server) and the APScheduler wiring."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from aiohttp import web

from callcenter.tickets.delivery import Deliverer
from callcenter.tickets.timer import TicketTimer
from tests.tickets.conftest import at
from tests.tickets.helpers import assigned_case, new_case, outbox


async def webhook(status: list[int]) -> tuple[web.AppRunner, str, list[dict[str, Any]]]:
    """A webhook receiver on loopback answering with ``status`` in turn (then 200)."""
    received: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        assert request.headers["Idempotency-Key"] == body["key"]
        received.append(body)
        return web.Response(status=status.pop(0) if status else 200)

    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/hook", received


async def test_delivery_retries_with_backoff_and_holds_night_notices(sessions) -> None:
    await assigned_case(sessions, at("2026-09-21 10:00"))  # instruction (station) + copy (office head)
    runner, url, received = await webhook([500])
    deliverer = Deliverer(sessions, url)
    try:
        now = at("2026-09-21 10:01")
        assert await deliverer.run_once(now) == 2
        failed = [n for n in await outbox(sessions) if n.sent_at is None]
        assert len(failed) == 1 and failed[0].attempts == 1 and "HTTP 500" in (failed[0].last_error or "")
        assert failed[0].next_attempt_at == now + dt.timedelta(seconds=30)
        assert await deliverer.run_once(now + dt.timedelta(seconds=10)) == 0
        assert await deliverer.run_once(now + dt.timedelta(seconds=31)) == 1
        assert all(n.sent_at is not None for n in await outbox(sessions))
        assert len(received) == 3 and len({r["key"] for r in received}) == 2
        # a non-urgent breach at night to office roles waits for the morning (D3: due 23:59:59)
        await new_case(sessions, at("2026-09-22 10:00"), kind="repair")
        from callcenter.tickets.sweep import Sweeper

        await Sweeper(sessions).run_once(at("2026-09-23 00:05"))
        await deliverer.run_once(at("2026-09-23 00:06"))
        assert received[3:] == []
        await deliverer.run_once(at("2026-09-23 08:30"))
        assert sorted(r["recipient_role"] for r in received[3:]) == ["clerk", "office_head"]
    finally:
        await deliverer.close()
        await runner.cleanup()


async def test_scheduler_runs_the_sweep_and_the_report_reminders(sessions, tmp_path: Path) -> None:
    await assigned_case(sessions, at("2026-09-21 10:00"))
    clock_now = at("2026-09-24 09:00")  # Thursday (Friday is Mid-Autumn): D5 breached, R1 reminder due

    def clock() -> dt.datetime:
        return clock_now

    timer = TicketTimer(sessions, clock=clock, interval=0.05, reports_dir=tmp_path)
    timer.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            kinds = {n.kind for n in await outbox(sessions)}
            if {"breach", "report_reminder"} <= kinds:
                break
    finally:
        await timer.stop()
    notes = await outbox(sessions)
    assert len([n for n in notes if n.kind == "breach"]) == 2
    (reminder,) = [n for n in notes if n.kind == "report_reminder"]
    assert reminder.key == "r:R1:2026-09-21_2026-09-27:reminder:clerk" and "2026-09-24 17:30" in reminder.text_zh
    assert (tmp_path / "R1_2026-09-21_2026-09-27.xlsx").exists()
    assert timer.next_report_at is not None and timer.next_report_at > clock_now


async def test_monthly_drafts_cover_the_month_before_their_due_day(sessions, tmp_path: Path) -> None:
    """Issue 10 point 1: R2 due 2026-10-20 reports on September, as the panel's download does."""
    from openpyxl import load_workbook

    timer = TicketTimer(sessions, clock=lambda: at("2026-10-19 09:00"), reports_dir=tmp_path)
    assert await timer.reports_once(at("2026-10-19 09:00")) >= 1
    keys = {n.key for n in await outbox(sessions) if n.kind == "report_reminder"}
    assert "r:R2:2026-09-01_2026-09-30:reminder:clerk" in keys
    note = next(n for n in await outbox(sessions) if n.key.startswith("r:R2:"))
    assert "2026-09-01 至 2026-09-30" in note.text_zh and "2026-10-20 17:30" in note.text_zh
    draft = tmp_path / "R2_2026-09-01_2026-09-30.xlsx"
    assert draft.exists()
    assert "2026-09-01" in str(load_workbook(draft).worksheets[0]["A1"].value)
