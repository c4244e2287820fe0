"""``callcenter deadline RULE --start ISO_TIME`` through the lead's CLI entry point.

The command reads the working-day table of the configured database, so every test runs
against a migrated database (SQLite, and PostgreSQL when configured).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter import cli
from tests.conftest import upgrade_url


@pytest.fixture(autouse=True)
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database the CLI reads (its URL in ``CALLCENTER_DATABASE_URL``)."""
    asyncio.run(upgrade_url(db_url))
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", db_url)
    return db_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["deadline", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (("D1", "--start", "2026-09-30T16:00:00+08:00"), "2026-09-30T16:30:00+08:00"),
        (("D5", "--start", "2026-09-30T16:00:00+08:00"), "2026-10-09T17:30:00+08:00"),
        (("D6", "--start", "2026-09-30T16:00:00"), "2026-10-10T17:30:00+08:00"),  # naive = Asia/Shanghai
        (("D5", "--start", "2026-09-30T08:00:00Z"), "2026-10-09T17:30:00+08:00"),  # UTC start
        (("d4.major", "--start", "2026-09-30T23:59:00"), "2026-10-01T08:30:00+08:00"),
        (("D3", "--start", "2026-09-30T23:59:00+08:00"), "2026-10-01T23:59:59+08:00"),
    ],
)
def test_deadline_prints_one_iso_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], expected: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (0, expected + "\n", "")


def test_unknown_rule_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "D10", "--start", "2026-09-30T16:00:00")
    assert (code, out) == (2, "")
    assert "unknown rule 'D10'" in err


def test_rule_with_variants_needs_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "D4", "--start", "2026-09-30T16:00:00")
    assert (code, out) == (2, "")
    assert "D4.minor, D4.medium, D4.major" in err


@pytest.mark.parametrize("start", ["yesterday", "2026-13-01T10:00:00", "2026-09-30T25:00"])
def test_bad_time_exits_2(capsys: pytest.CaptureFixture[str], start: str) -> None:
    code, out, err = run(capsys, "D1", "--start", start)
    assert (code, out) == (2, "")
    assert "--start: not an ISO 8601 time" in err


def test_unknown_year_prints_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "D9", "--start", "2026-12-28T10:00:00+08:00")
    assert code == 0
    assert out == "2027-01-06T17:30:00+08:00\n"
    assert "warning: no holiday data for 2027" in err


def test_bad_rules_file_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("schema = 2\n", encoding="utf-8")
    code, out, err = run(capsys, "D1", "--start", "2026-09-30T16:00:00", "--rules", str(path))
    assert (code, out) == (2, "")
    assert "configuration error" in err and "schema" in err


def test_a_calendar_edit_moves_the_printed_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10 point 4: the table in the database, not chinese-calendar, decides."""
    argv = ("D5", "--start", "2026-12-30T10:00:00+08:00")
    assert run(capsys, *argv)[:2] == (0, "2027-01-01T17:30:00+08:00\n")
    assert cli.main(["calendar", "set", "2027-01-01", "--off", "--note", "元旦", "--actor", "admin"]) == 0
    capsys.readouterr()
    assert run(capsys, *argv)[:2] == (0, "2027-01-04T17:30:00+08:00\n")
    assert cli.main(["calendar", "hours", "09:00", "17:00", "--actor", "admin"]) == 0
    assert cli.main(["calendar", "set", "2026-12-31", "--off", "--actor", "admin"]) == 0
    capsys.readouterr()
    assert run(capsys, *argv)[:2] == (0, "2027-01-05T17:00:00+08:00\n")


def test_an_unmigrated_database_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    code, out, err = run(capsys, "D1", "--start", "2026-09-30T16:00:00")
    assert (code, out) == (2, "")
    assert "cannot read the working-day table" in err and "callcenter db upgrade" in err


def test_installed_command_end_to_end(database: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "callcenter.cli",
            "deadline",
            "D1",
            "--start",
            "2026-09-30T16:00:00+08:00",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CALLCENTER_DATABASE_URL": database},
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (0, "2026-09-30T16:30:00+08:00\n")
