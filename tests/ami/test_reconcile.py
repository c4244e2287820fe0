"""Finding the message a recovered voicemail call left, in the spool (CDR cannot tell)."""

from __future__ import annotations

import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.ami import cdr
from callcenter.ami.reconcile import Reconciler


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
