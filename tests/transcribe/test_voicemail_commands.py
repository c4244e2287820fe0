"""``callcenter voicemail list|retry`` against a real database file."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json

import pytest

from callcenter.transcribe import jobs
from callcenter.transcribe.drafts import create_draft
from callcenter.transcribe.voicemail_commands import cmd_list, cmd_retry, register
from tests.transcribe.vm_support import ASTERISK_INBOX, T0, add_call, all_drafts, database


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="callcenter")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["voicemail", *argv])


@pytest.fixture
async def three_jobs(migrated: str) -> str:
    """Job 1 failed (corrupt), job 2 unavailable (no model), job 3 done."""
    async with database(migrated) as sessions:
        for n in range(3):
            call = await add_call(sessions, f"{ASTERISK_INBOX}/msg{n:04d}", caller="13909511234\x1b[31m")
            await create_draft(sessions, call.id, now=T0)
        async with sessions() as session, session.begin():
            await jobs.claim(session, "me", T0, 3, dt.timedelta(minutes=1))
            await jobs.settle(session, 1, "me", T0, state="failed", error="msg0000.wav: not a WAV file")
            await jobs.settle(session, 2, "me", T0, state="unavailable", error="Vosk model directory not found")
            await jobs.settle(session, 3, "me", T0, state="done")
    return migrated


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_list_shows_what_needs_attention(three_jobs: str) -> None:
    out = io.StringIO()
    assert cmd_list(parse("list"), env={"CALLCENTER_DATABASE_URL": three_jobs}, out=out) == 0
    text = out.getvalue()
    assert "job 2     unavailable attempts 1" in text and "last error: Vosk model directory not found" in text
    assert "job 1     failed      attempts 1" in text and "not a WAV file" in text
    assert "job 3 " not in text and "\x1b" not in text  # a caller's escape sequence is not replayed
    out = io.StringIO()
    cmd_list(parse("list", "--all", "--json"), env={"CALLCENTER_DATABASE_URL": three_jobs}, out=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["job"], r["state"], r["draft_status"]) for r in rows] == [
        (3, "done", "transcribing"), (2, "unavailable", "transcribing"), (1, "failed", "transcribing")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_retry_queues_failed_jobs_again(three_jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALLCENTER_DATABASE_URL": three_jobs}
    out = io.StringIO()
    assert await asyncio_run(cmd_retry, parse("retry", "1"), env, out) == 0
    assert out.getvalue() == "queued 1 job(s) again\n"
    assert await asyncio_run(cmd_retry, parse("retry", "1", "3"), env, out) == 1  # 1 queued, 3 done
    assert "not failed or unavailable" in capsys.readouterr().err
    assert await asyncio_run(cmd_retry, parse("retry"), env, out) == 0
    async with database(three_jobs) as sessions:
        got = await all_drafts(sessions)
    assert [(d.job.state, d.job.attempts, d.draft.status) for d in got] == [
        ("queued", 0, "transcribing"), ("queued", 0, "transcribing"), ("done", 1, "transcribing")]


async def asyncio_run(command: object, args: argparse.Namespace, env: dict[str, str], out: io.StringIO) -> int:
    """The commands call ``asyncio.run``: run them in a thread, away from the test's loop."""
    return await asyncio.to_thread(command, args, env=env, out=out)  # type: ignore[arg-type]
