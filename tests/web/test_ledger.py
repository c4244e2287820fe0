"""Query plans of the ledger (index range scans, no sort), timeline order, spool paths."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from callcenter.db.models import CallLeg
from callcenter.web.calls.audio import relative_part
from callcenter.web.calls.ledger import Filters, encode_cursor, statement
from callcenter.web.calls.timeline import timeline
from tests.web.conftest import T0

TZ = ZoneInfo("Asia/Shanghai")
CURSOR = encode_cursor(T0, 42)
CASES = [
    Filters(),
    Filters(number="13909511234", exact=True),  # the ringing pop-up's exact number
    Filters(clerk="8001"),
    Filters(disposition="abandoned"),
    Filters(voicemail=True),
    Filters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)),
    Filters(missed=True),
    Filters(missed=True, pending=True),
    Filters(number="13909511234", date_from=date(2026, 11, 1), exact=True),
]
# A search by part of a number or a name goes through the trigram index (FTS5 here), then
# sorts what it found: tests/web/test_ledger_search.py checks that plan.


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("filters", CASES, ids=lambda f: ",".join(f.query_args()) or "none")
async def test_pages_are_index_scans_without_sorting(sessions, filters: Filters) -> None:  # type: ignore[no-untyped-def]
    for cursor in (None, CURSOR):
        stmt, values = statement(filters, TZ, cursor)
        compiled = stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True})
        params = {**compiled.params, **values}
        async with sessions() as db:
            raw = await db.connection()
            plan = (await raw.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                              tuple(params[k] if not isinstance(params[k], datetime)
                                                    else params[k].astimezone(timezone.utc).replace(tzinfo=None)
                                                    .isoformat(sep=" ") for k in compiled.positiontup))).all()  # fmt: skip
        details = " | ".join(str(row[-1]) for row in plan)
        assert "TEMP B-TREE" not in details, details
        assert "SCAN calls" not in details or "USING INDEX" in details, details


def test_timeline_orders_events_of_all_legs() -> None:
    t = T0
    caller = CallLeg(uniqueid="1", channel="SIP/trunk-1", role="caller", created_at=t,
                     up_at=t + timedelta(seconds=5), ended_at=t + timedelta(seconds=20), hangup_cause="16")  # fmt: skip
    agent = CallLeg(uniqueid="2", channel="SIP/8001-2", role="agent", extension="8001",
                    created_at=t + timedelta(seconds=1), rang_at=t + timedelta(seconds=1),
                    up_at=t + timedelta(seconds=5), bridged_at=t + timedelta(seconds=5),
                    ended_at=t + timedelta(seconds=20), dial_status="ANSWER", hangup_cause="16")  # fmt: skip
    events = timeline([caller, agent])
    # In the order they happened, as the call's page tells them (callcenter.web.calls.timeline): the
    # call comes in, the clerk's phone rings and answers, the call ends; no channel bookkeeping.
    assert [(e.kind, e.role) for e in events] == [
        ("incoming", "caller"), ("ringing", "agent"), ("answered", "agent"), ("ended", "caller"), ("hungup", "agent"),
    ]
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert all(e.outcome == "" for e in events)  # an answered call: no reason to give


@pytest.mark.parametrize(("stored", "expected"), [
    ("/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000", "hotline/6085708/INBOX/msg0000"),
    ("/srv/pbx/voicemail/hotline/6085708/INBOX/msg0001", "hotline/6085708/INBOX/msg0001"),
    ("hotline/6085708/INBOX/msg0002", "hotline/6085708/INBOX/msg0002"),
    ("/var/spool/asterisk/voicemail/../../etc/passwd", None),
    ("/etc/passwd", None),
    ("/var/spool/asterisk/voicemail/", None),
    ("..\\..\\secret", None),
])  # fmt: skip
def test_relative_part(stored: str, expected: str | None) -> None:
    got = relative_part(stored)
    assert (str(got) if got is not None else None) == expected
    if got is not None:
        assert isinstance(got, PurePosixPath) and ".." not in got.parts


async def test_sqlite_uses_the_new_indexes(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as db:
        names = {row[0] for row in (await db.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'calls'" if db.bind.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls'"))).all()}  # fmt: skip
    assert {"ix_calls_number_started_id", "ix_calls_answered_by_started_id", "ix_calls_disposition_started_id",
            "ix_calls_voicemail_started_id"} <= names  # fmt: skip
