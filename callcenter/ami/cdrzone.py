"""Which time zone the PBX writes its CDR times in, learned from both of its clocks (pure).

Asterisk dates CDRs (Master.csv and the ``Cdr`` events' StartTime/AnswerTime/EndTime) in its
host's local zone, without a zone marker; the service is told that zone by
``CALLCENTER_CDR_TIMEZONE``. A wrong setting used to be silent. But every CDR also carries
the PBX's epoch clock: the uniqueid starts with the channel's creation time in epoch seconds
(``1795898507.42``, after an optional ``systemname-``), and a row's ``start`` is that same
moment for the call's first row; a ``Cdr`` event's ``Timestamp`` is the moment its row was
written, its ``EndTime`` at most a few seconds earlier for the row that closes the call.
Local time minus epoch time, rounded to the quarter hour, is the zone's UTC offset.

:class:`ZoneCheck` collects such samples, reports when they contradict the setting, and
gives the zone the rows are then read in (:meth:`ZoneCheck.effective`): the events win.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

QUARTER = 15 * 60
SLACK = 90  # seconds a sample may be off the quarter-hour grid (row written late, rounding)
MAX_OFFSET = 14 * 3600
_UNIQUEID = re.compile(r"(?:^|-)(\d{9,11})\.\d+$")


def uniqueid_epoch(uniqueid: str) -> float | None:
    """Epoch seconds in an Asterisk uniqueid (``[systemname-]<epoch>.<sequence>``), or None."""
    m = _UNIQUEID.search(uniqueid.strip())
    return float(m.group(1)) if m else None


def implied_offset(local: datetime, epoch: float) -> int | None:
    """UTC offset (seconds, a quarter-hour multiple) that makes naive ``local`` equal ``epoch``.

    None when the difference is not close to the grid (then the two clocks do not describe
    the same moment, e.g. a later leg's row) or is beyond any real zone."""
    as_utc = datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)
    delta = (local.replace(tzinfo=None) - as_utc).total_seconds()
    offset = round(delta / QUARTER) * QUARTER
    if abs(delta - offset) > SLACK or abs(offset) > MAX_OFFSET:
        return None
    return offset


def offset_of(tz: tzinfo, local: datetime) -> int:
    """UTC offset of ``tz`` (seconds) at naive local time ``local``."""
    delta = local.replace(tzinfo=tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def describe(offset: int) -> str:
    sign = "+" if offset >= 0 else "-"
    h, m = divmod(abs(offset) // 60, 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


class ZoneCheck:
    """The configured CDR zone against what the PBX's own clocks say (last ``keep`` samples)."""

    def __init__(self, configured: str, keep: int = 50) -> None:
        self.configured_name = configured
        self.configured = ZoneInfo(configured)
        self.samples: deque[tuple[int, int]] = deque(maxlen=keep)  # (observed, configured) offsets

    def observe(self, local: datetime | None, epoch: float | None) -> int | None:
        """Record one pair of readings of the same moment; returns the implied offset or None."""
        if local is None or epoch is None:
            return None
        offset = implied_offset(local, epoch)
        if offset is not None:
            self.samples.append((offset, offset_of(self.configured, local)))
        return offset

    def observe_row(self, uniqueid: str, start: datetime | None) -> int | None:
        return self.observe(start, uniqueid_epoch(uniqueid))

    @property
    def observed(self) -> int | None:
        """The offset most samples agree on, or None without samples."""
        if not self.samples:
            return None
        return Counter(o for o, _ in self.samples).most_common(1)[0][0]

    @property
    def mismatch(self) -> tuple[int, int] | None:
        """(observed, configured) offsets when the PBX's clocks contradict the setting."""
        observed = self.observed
        if observed is None:
            return None
        configured = [c for o, c in self.samples if o == observed][-1]
        return None if observed == configured else (observed, configured)

    def effective(self) -> tzinfo:
        """The zone to read CDR times in: the setting, unless the events contradict it."""
        mismatch = self.mismatch
        if mismatch is None:
            return self.configured
        return timezone(timedelta(seconds=mismatch[0]))

    def message(self) -> str | None:
        mismatch = self.mismatch
        if mismatch is None:
            return None
        observed, configured = mismatch
        return (f"CALLCENTER_CDR_TIMEZONE={self.configured_name} ({describe(configured)}) contradicts the PBX: "
                f"its CDR times are {describe(observed)} (local time against the events' epoch clock, "
                f"{len(self.samples)} samples); set it to the PBX host's /etc/localtime zone. "
                f"Until then CDR times are read as {describe(observed)}")  # fmt: skip
