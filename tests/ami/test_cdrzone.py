"""The CDR time zone learned from the PBX's two clocks (callcenter/ami/cdrzone.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.ami import cdr
from callcenter.ami.cdrzone import ZoneCheck, implied_offset, uniqueid_epoch
from callcenter.metrics import cdr_zone_families

EPOCH = 1796518800.0  # 2026-12-06 01:00:00 UTC
SHANGHAI_LOCAL = datetime(2026, 12, 6, 9, 0, 0)


@pytest.mark.parametrize(("uniqueid", "epoch"), [
    ("1796518800.12", 1796518800.0), ("pbx-1-1796518800.3", 1796518800.0), ("abc", None), ("", None),
])  # fmt: skip
def test_uniqueid_epoch(uniqueid: str, epoch: float | None) -> None:
    assert uniqueid_epoch(uniqueid) == epoch


@pytest.mark.parametrize(("local", "offset"), [
    (SHANGHAI_LOCAL, 8 * 3600),
    (SHANGHAI_LOCAL + timedelta(seconds=40), 8 * 3600),  # a leg that started 40 s later
    (datetime(2026, 12, 6, 1, 0, 0), 0),
    (datetime(2026, 12, 6, 6, 45, 0), 5 * 3600 + 45 * 60),  # Nepal
    (SHANGHAI_LOCAL + timedelta(minutes=7), None),  # off the grid: not the same moment
    (datetime(2026, 12, 8, 1, 0, 0), None),  # two days off: no zone
])  # fmt: skip
def test_implied_offset(local: datetime, offset: int | None) -> None:
    assert implied_offset(local, EPOCH) == offset


def test_agreeing_setting() -> None:
    zone = ZoneCheck("Asia/Shanghai")
    assert zone.observed is None and zone.mismatch is None and zone.message() is None
    zone.observe_row("1796518800.1", SHANGHAI_LOCAL)
    assert zone.observed == 8 * 3600 and zone.mismatch is None
    assert zone.effective() is zone.configured


def test_wrong_setting_is_named_and_the_events_win() -> None:
    zone = ZoneCheck("UTC")
    zone.observe_row("1796518800.1", SHANGHAI_LOCAL)
    zone.observe(SHANGHAI_LOCAL + timedelta(seconds=30), EPOCH + 31)  # Cdr EndTime vs Timestamp
    zone.observe_row("1796518800.1", SHANGHAI_LOCAL + timedelta(minutes=7))  # no information
    assert zone.mismatch == (8 * 3600, 0)
    assert "CALLCENTER_CDR_TIMEZONE=UTC (UTC+00:00)" in zone.message()
    assert "UTC+08:00" in zone.message()
    row = cdr.in_zone(cdr.row_from_fields({"uniqueid": "1796518800.1", "start": "2026-12-06 09:00:00"},
                                          timezone.utc), zone.effective())
    assert row.start.timestamp() == EPOCH  # stored at the moment the PBX's epoch clock says


def test_majority_of_samples() -> None:
    zone = ZoneCheck("Asia/Shanghai")
    zone.observe_row("1796518800.1", SHANGHAI_LOCAL)
    zone.observe_row("1796518800.1", SHANGHAI_LOCAL)
    zone.observe_row("1796518800.1", SHANGHAI_LOCAL + timedelta(minutes=15))  # a late leg's row
    assert zone.mismatch is None


def _samples(families: list) -> dict:
    return {(f.name, labels): value for f in families for _, labels, value in f.samples}


def test_metrics() -> None:
    zone = ZoneCheck("UTC")
    assert _samples(cdr_zone_families(zone)) == {("callcenter_cdr_timezone_mismatch", ()): 0}
    zone.observe_row("1796518800.1", SHANGHAI_LOCAL)
    assert _samples(cdr_zone_families(zone)) == {
        ("callcenter_cdr_timezone_mismatch", ()): 1,
        ("callcenter_cdr_utc_offset_seconds", (("source", "configured"),)): 0,
        ("callcenter_cdr_utc_offset_seconds", (("source", "observed"),)): 8 * 3600,
    }
