"""Rebuilding a call from Asterisk's CDR rows (callcenter/ami/cdr.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from callcenter.ami import cdr

UTC = ZoneInfo("UTC")


def _row(**kw: str) -> cdr.Row:
    fields = {"uniqueid": "1.1", "channel": "PJSIP/carrier-00000001", "src": "139", "dst": "6085708",
              "dcontext": "from-trunk", "disposition": "ANSWERED", "userfield": "hotline"}
    fields.update(kw)
    return cdr.row_from_fields(fields, UTC)


@pytest.mark.parametrize(("answer", "userfield", "expected"), [
    ("2026-12-06 01:00:01", "hotline", ("busy", None)),  # empty queue: voicemail at once
    ("2026-12-06 01:00:16", "hotline", ("abandoned", "voicemail")),  # rang 15 s before
    ("2026-12-06 01:00:01", "hotline-closed", ("abandoned", "voicemail")),  # after hours
])
def test_no_clerk_available_from_the_cdr(answer: str, userfield: str, expected: tuple) -> None:
    row = _row(start="2026-12-06 01:00:00", answer=answer, end="2026-12-06 01:00:20",
               lastapp="VoiceMail", lastdata="6085708@hotline,u", userfield=userfield)
    rec = cdr.record_from_rows([row])
    assert (rec["disposition"], rec["abandon_stage"]) == expected
