"""``callcenter user add|passwd|list`` against a real database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from callcenter.web import commands
from tests.keys import AUDIT_KEYS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _run(monkeypatch: pytest.MonkeyPatch, db_url: str, argv: list[str], stdin: str = "") -> int:
    import argparse

    monkeypatch.setenv("CALLCENTER_DATABASE_URL", db_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_add_passwd_list(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                         tmp_path: Path) -> None:  # fmt: skip
    assert _run(monkeypatch, db_url, ["user", "add", "wangli", "--role", "clerk", "--extension", "8001",
                                      "--display-name", "王丽", "--password-stdin"], "s3cret-pass-boiler\n") == 0  # fmt: skip
    assert _run(monkeypatch, db_url, ["user", "add", "hubin", "--role", "station", "--password-stdin"], "s3cret-pass-boiler\n") == 2
    assert "station" in capsys.readouterr().err
    assert _run(monkeypatch, db_url, ["user", "add", "x1", "--role", "clerk", "--password-stdin"], "short\n") == 2
    assert _run(monkeypatch, db_url, ["user", "add", "WangLi", "--role", "clerk", "--password-stdin"], "s3cret-pass-boiler\n") == 2
    assert "exists" in capsys.readouterr().err
    assert _run(monkeypatch, db_url, ["user", "passwd", "wangli", "--password-stdin"], "another-pass-boiler\n") == 0
    assert "0 session(s) revoked" in capsys.readouterr().out
    assert _run(monkeypatch, db_url, ["user", "list"]) == 0
    assert "wangli\tclerk\t-\t8001\t王丽" in capsys.readouterr().out


def test_add_station_account_needs_a_station_of_the_directory(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import asyncio

    from callcenter.db.session import create_engine, session_factory
    from callcenter.tickets.directory import seed_demo

    add = ["user", "add", "hubin-duty", "--role", "station", "--password-stdin"]
    assert _run(monkeypatch, db_url, [*add, "--station", "nosuchstation"], "s3cret-pass-boiler\n") == 2
    assert "no station with code 'nosuchstation'" in capsys.readouterr().err

    async def seed() -> None:
        engine = create_engine(db_url)
        try:
            await seed_demo(session_factory(engine, AUDIT_KEYS))
        finally:
            await engine.dispose()

    asyncio.run(seed())
    assert _run(monkeypatch, db_url, [*add, "--station", "office1"], "s3cret-pass-boiler\n") == 2  # an office
    assert "no station with code 'office1'" in capsys.readouterr().err
    assert _run(monkeypatch, db_url, [*add, "--station", "hubin"], "s3cret-pass-boiler\n") == 0
    assert _run(monkeypatch, db_url, ["user", "list"]) == 0
    assert "hubin-duty\tstation\thubin" in capsys.readouterr().out
