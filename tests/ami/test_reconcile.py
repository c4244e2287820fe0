"""Finding the message a recovered voicemail call left, in the spool (CDR cannot tell), and
announcing the recovered voicemail call on the live feed once it is committed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from callcenter.ami import cdr
from callcenter.ami.listener import EventQueue
from callcenter.ami.reconcile import RECOVERED, Reconciler
from callcenter.ami.recorder import Recorder
from callcenter.db.models import Call
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from tests.ami.harness import spool_copy, wait_until
from tests.keys import AUDIT_KEYS


class _Recorder:
    states: dict = {}
    reconciler = None


def _rows(traces: Path) -> list[cdr.Row]:
    rows, errors = cdr.parse_master_csv((traces / "voicemail" / "cdr.csv").read_text(), ZoneInfo("UTC"))
    assert not errors
    return [r for r in rows if r.is_call_root]


def test_voicemail_of_a_recovered_call_is_found_by_channel_and_time(traces: Path, tmp_path: Path) -> None:
    shutil.copytree(traces / "voicemail" / "spool", tmp_path / "spool")
    found = Reconciler(None, _Recorder(), spool_dir=tmp_path / "spool").find_voicemail(_rows(traces))  # type: ignore[arg-type]
    assert found == {"mailbox": "6085708@hotline", "duration_seconds": 11.0,
                     "path": "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"}  # fmt: skip


def test_broken_or_foreign_message_files_are_skipped(traces: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "spool" / "hotline" / "6085708" / "INBOX"
    inbox.mkdir(parents=True)
    (inbox / "msg0000.txt").write_bytes(b"\x00garbage without a section")
    (inbox / "msg0001.txt").write_text("[message]\ncallerchan=SIP/trunk-99999999\norigtime=1795898786\n")
    assert Reconciler(None, _Recorder(), spool_dir=tmp_path / "spool").find_voicemail(_rows(traces)) is None  # type: ignore[arg-type]


async def test_a_recovered_voicemail_call_is_announced_after_its_commit(
    migrated: str, traces: Path, tmp_path: Path
) -> None:
    master_csv = tmp_path / "Master.csv"  # the voicemail call, all of it while nobody listened
    shutil.copyfile(traces / "voicemail" / "cdr.csv", master_csv)
    engine = create_engine(migrated)
    sessions, feed = session_factory(engine, AUDIT_KEYS), LiveFeed()
    reconciler = Reconciler(sessions, Recorder(sessions, EventQueue(), feed=feed), cdr_csv=master_csv,
                            spool_dir=spool_copy(traces, tmp_path))  # fmt: skip
    seen: list[tuple[dict[str, Any], Call | None]] = []

    async def reader() -> None:  # what a follower in another task sees when the message comes
        async with feed.subscribe() as sub:
            while True:
                message = await sub.get()
                async with sessions() as session:
                    seen.append((message, await session.get(Call, message["call_id"])))

    task = asyncio.create_task(reader())
    try:
        await wait_until(lambda: feed.subscribers == 1, 5, "subscribed")
        assert await reconciler.scan_and_recover() == 1
        await wait_until(lambda: seen, 5, "the announcement")
        assert await reconciler.scan_and_recover() == 0  # idempotent: nothing recovered or announced twice
        await asyncio.sleep(0.1)
        async with sessions() as session:
            call = (await session.scalars(select(Call))).one()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
    assert (call.source, call.disposition, call.caller_number) == ("recovered", "voicemail", "13909511234")
    assert call.voicemail_path == "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"
    ((message, committed),) = seen
    assert message == {"type": RECOVERED, "call_id": call.id, "linkedid": "1795898756.321",
                       "caller_number": "13909511234", "voicemail": True}  # fmt: skip
    assert committed is not None and committed.id == call.id  # readable by others when announced


def _shift_local_times(text: str, hours: int) -> str:
    """Master.csv as a PBX whose /etc/localtime is UTC+hours would have written it."""
    import re
    from datetime import datetime, timedelta

    def shift(m: re.Match[str]) -> str:
        return (datetime.strptime(m.group(0), "%Y-%m-%d %H:%M:%S") + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")

    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", shift, text)


async def test_a_wrong_cdr_zone_does_not_move_a_recovered_call(
    migrated: str, traces: Path, tmp_path: Path, caplog: Any
) -> None:
    """The PBX runs on Asia/Shanghai, the service is told UTC: the recovered call is stored at the
    moment the PBX's epoch clock says (its uniqueid), and the log names the wrong setting."""
    master_csv = tmp_path / "Master.csv"
    master_csv.write_text(_shift_local_times((traces / "voicemail" / "cdr.csv").read_text(), 8))
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    reconciler = Reconciler(sessions, Recorder(sessions, EventQueue(), feed=LiveFeed()), cdr_csv=master_csv,
                            cdr_tz="UTC", spool_dir=spool_copy(traces, tmp_path))  # fmt: skip
    try:
        with caplog.at_level("WARNING", logger="callcenter.ami.reconcile"):
            assert await reconciler.scan_and_recover() == 1
        async with sessions() as session:
            call = (await session.scalars(select(Call))).one()
    finally:
        await engine.dispose()
    started = call.started_at if call.started_at.tzinfo else call.started_at.replace(tzinfo=ZoneInfo("UTC"))
    assert started.timestamp() == 1795898756.0  # 2026-11-28 20:45:56 UTC, as in the uniqueid
    assert call.duration_seconds == 45.0
    assert reconciler.zone.mismatch == (8 * 3600, 0)
    assert "CALLCENTER_CDR_TIMEZONE=UTC (UTC+00:00) contradicts the PBX" in caplog.text
