"""The CLI contract: db upgrade, replay --once, serve, calls export (jsonl/csv, --since)."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def cli(*args: str, env: dict[str, str], timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "callcenter.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_replay_serve_export(db_url: str, traces: Path, tmp_path: Path) -> None:
    env = dict(os.environ, CALLCENTER_DATABASE_URL=db_url)
    assert "database upgraded" in cli("db", "upgrade", env=env).stdout
    cli("db", "upgrade", env=env)  # idempotent
    port = free_port()
    replay = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "replay", str(traces / "voicemail"), str(traces / "blind_transfer"),
         "--port", str(port), "--speed", "20", "--once", "--timestamps", "--username", "svc", "--secret", "pw"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    serve_env = dict(env, CALLCENTER_AMI_PORT=str(port), CALLCENTER_AMI_USERNAME="svc", CALLCENTER_AMI_SECRET="pw",
                     CALLCENTER_AMI_RECONNECT_MIN="0.1", CALLCENTER_HTTP_PORT=str(free_port()))  # fmt: skip
    time.sleep(1.0)
    serve = subprocess.Popen([sys.executable, "-m", "callcenter.cli", "serve"], env=serve_env, stderr=subprocess.PIPE, text=True)
    try:
        _, replay_err = replay.communicate(timeout=60)
        assert replay.returncode == 0, replay_err
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = [json.loads(line) for line in cli("calls", "export", env=env).stdout.splitlines()]
            if len(rows) == 2 and all(r["status"] == "ended" for r in rows):
                break
            time.sleep(0.3)
    finally:
        if replay.poll() is None:
            replay.kill()
            replay.communicate()
        serve.terminate()
        _, err = serve.communicate(timeout=20)
    assert serve.returncode == 0, err[-3000:]
    assert "logged in to" in err and "stopping" in err
    rows = [json.loads(line) for line in cli("calls", "export", env=env).stdout.splitlines()]
    assert [r["disposition"] for r in rows] == ["voicemail", "answered"]
    keys = {"linkedid", "caller_number", "caller_name", "dialed_number", "started_at", "answered_at", "ended_at",
            "ring_seconds", "talk_seconds", "duration_seconds", "disposition", "abandon_stage", "answered_by",
            "transferred_to", "voicemail", "source"}  # fmt: skip
    assert keys <= set(rows[0])
    assert rows[0]["voicemail"]["mailbox"] == "6085708@hotline"
    assert rows[1]["transferred_to"] == ["8101"] and rows[1]["source"] == "live"
    assert rows[0]["started_at"].endswith("+08:00")
    since = rows[1]["started_at"]
    later = [json.loads(line) for line in cli("calls", "export", "--since", since, env=env).stdout.splitlines()]
    assert [r["linkedid"] for r in later] == [rows[1]["linkedid"]]
    table = list(csv.DictReader(io.StringIO(cli("calls", "export", "--format", "csv", env=env).stdout)))
    assert [r["disposition"] for r in table] == ["voicemail", "answered"]
    assert table[1]["transferred_to"] == "8101"


def test_bad_config_is_reported_with_its_key(tmp_path: Path) -> None:
    env = dict(os.environ, CALLCENTER_AMI_PORT="not-a-port")
    proc = cli("calls", "export", env=env, check=False)
    assert proc.returncode == 2
    assert "CALLCENTER_AMI_PORT" in proc.stderr
    proc = cli("calls", "export", "--since", "yesterday", env=dict(os.environ,
               CALLCENTER_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db"), check=False)  # fmt: skip
    assert proc.returncode == 2 and "--since" in proc.stderr
