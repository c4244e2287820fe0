"""``callcenter calendar …`` and ``callcenter directory seed`` through the CLI entry point."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from callcenter import cli
from callcenter.tickets.admin_commands import parse_period


async def run(*argv: str) -> int:
    return await asyncio.to_thread(cli.main, list(argv))


async def test_calendar_commands(migrated: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", migrated)
    assert await run("calendar", "seed", "--from", "2026", "--to", "2027", "--actor", "admin") == 0
    out = capsys.readouterr()
    assert "days added for 2026-2027" in out.out and "does not know 2027" in out.err
    assert await run("calendar", "set", "2027-01-01", "--off", "--note", "元旦", "--reason", "announced") == 0
    assert await run("calendar", "unset", "2027-01-01") == 0
    assert await run("calendar", "set", "2027-02-11", "--off", "--note", "春节") == 0
    assert await run("calendar", "hours", "17:00", "09:00") == 2
    assert await run("calendar", "hours", "08:00", "17:00") == 0
    capsys.readouterr()
    assert await run("calendar", "list", "2027") == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["business hours 08:00-17:00 Asia/Shanghai",
                                    "2027-02-11 Thu off     admin 春节"]  # fmt: skip
    assert "No holiday data for 2027" in out.err
    assert await run("calendar", "confirm", "2027") == 0
    assert await run("directory", "seed") == 0
    assert await run("audit", "verify") == 0
    assert capsys.readouterr().out.endswith("ok 5 rows\n")


@pytest.mark.parametrize("report, text, anchor", [
    ("R1", "2026-W40", dt.date(2026, 9, 28)), ("R1", "2026-10-01", dt.date(2026, 10, 1)),
    ("R2", "2026-09", dt.date(2026, 9, 1)), ("R3", "2026-12", dt.date(2026, 12, 1)),
    ("R2", "2026-11-30", dt.date(2026, 11, 1)), ("R1", None, dt.date(2026, 11, 28)),
    ("R2", None, dt.date(2026, 10, 1)), ("R3", None, dt.date(2026, 10, 1)),  # the month due in November
])  # fmt: skip
def test_report_period(report: str, text: str | None, anchor: dt.date) -> None:
    assert parse_period(report, text, dt.date(2026, 11, 28)) == anchor


def test_report_rejects_a_bad_period_or_format(capsys) -> None:
    assert cli.main(["report", "weekly", "--period", "last week"]) == 2
    assert cli.main(["report", "weekly", "--out", "x.pdf"]) == 2
    assert "use a .xlsx or .csv" in capsys.readouterr().err
