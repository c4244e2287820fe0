"""Asterisk's own call records (CDR), pure: parse rows, tell calls apart, rebuild a call.

Rows come from ``Cdr`` AMI events (cdr_manager) or from Master.csv (cdr_csv). Master.csv
has no Linkedid column, but the caller's rows carry the caller channel's uniqueid, which
*is* the call's Linkedid. Rows of other channels (a clerk's leg in an attended transfer,
Local halves, the transfer target's AppDial row) are legs of some call, not calls: they are
recognised by the channel (``Local/``) or the application (``AppDial``/``AppQueue``, the
pseudo-applications of outgoing legs).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any

from callcenter.ami.calls import extension_of

# Master.csv columns of Asterisk's cdr_csv with loguniqueid and loguserfield on.
MASTER_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield",
)  # fmt: skip
# AMI Cdr event header → column.
AMI_FIELDS = {
    "AccountCode": "accountcode", "Source": "src", "Destination": "dst",
    "DestinationContext": "dcontext", "CallerID": "clid", "Channel": "channel",
    "DestinationChannel": "dstchannel", "LastApplication": "lastapp", "LastData": "lastdata",
    "StartTime": "start", "AnswerTime": "answer", "EndTime": "end", "Duration": "duration",
    "BillableSeconds": "billsec", "Disposition": "disposition", "AMAFlags": "amaflags",
    "UniqueID": "uniqueid", "UserField": "userfield",
}  # fmt: skip
OUTGOING_APPS = frozenset({"AppDial", "AppDial2", "AppQueue"})
MAX_FIELD = 1024
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


class CdrError(ValueError):
    """A CDR row that cannot be used (missing uniqueid, unparsable time)."""


@dataclass(frozen=True)
class Row:
    uniqueid: str
    channel: str
    dstchannel: str
    start: datetime
    answer: datetime | None
    end: datetime | None
    duration: int
    billsec: int
    disposition: str
    src: str
    dst: str
    dcontext: str
    clid: str
    lastapp: str
    lastdata: str
    userfield: str

    @property
    def key(self) -> tuple[str, str, str, datetime]:
        return (self.uniqueid, self.channel, self.dstchannel, self.start)

    @property
    def is_call_root(self) -> bool:
        """True for a row of a call's first channel (its uniqueid is the Linkedid)."""
        return not self.channel.startswith("Local/") and self.lastapp not in OUTGOING_APPS

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def _time(value: str, tz: tzinfo, column: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise CdrError(f"{column}: not a time: {value[:40]!r}")


def _int(value: str, column: str) -> int:
    try:
        return max(0, int(value.strip() or 0))
    except ValueError:
        raise CdrError(f"{column}: not a number: {value[:40]!r}") from None


def row_from_fields(fields: dict[str, str], tz: tzinfo) -> Row:
    """Build a Row from column → text (Master.csv columns)."""
    get = lambda k: (fields.get(k) or "")[:MAX_FIELD]  # noqa: E731
    if not get("uniqueid"):
        raise CdrError("uniqueid: missing")
    start = _time(get("start"), tz, "start")
    if start is None:
        raise CdrError("start: missing")
    return Row(
        uniqueid=get("uniqueid"),
        channel=get("channel"),
        dstchannel=get("dstchannel"),
        start=start,
        answer=_time(get("answer"), tz, "answer"),
        end=_time(get("end"), tz, "end"),
        duration=_int(get("duration"), "duration"),
        billsec=_int(get("billsec"), "billsec"),
        disposition=get("disposition"),
        src=get("src"),
        dst=get("dst"),
        dcontext=get("dcontext"),
        clid=get("clid"),
        lastapp=get("lastapp"),
        lastdata=get("lastdata"),
        userfield=get("userfield"),
    )


def row_from_ami(headers: dict[str, str], tz: tzinfo) -> Row:
    return row_from_fields({col: headers.get(h, "") for h, col in AMI_FIELDS.items()}, tz)


def in_zone(row: Row, tz: tzinfo) -> Row:
    """The row with its (naive or differently zoned) local times read in ``tz``."""
    fix = lambda t: None if t is None else t.replace(tzinfo=tz)  # noqa: E731
    return replace(row, start=fix(row.start), answer=fix(row.answer), end=fix(row.end))


def parse_master_csv(text: str, tz: tzinfo) -> tuple[list[Row], list[str]]:
    """Parse complete Master.csv lines; returns (rows, errors). Bad lines are reported, not fatal."""
    rows: list[Row] = []
    errors: list[str] = []
    for lineno, values in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not values:
            continue
        if len(values) < len(MASTER_COLUMNS):
            errors.append(f"line {lineno}: {len(values)} columns, expected {len(MASTER_COLUMNS)}")
            continue
        try:
            rows.append(row_from_fields(dict(zip(MASTER_COLUMNS, values)), tz))
        except CdrError as exc:
            errors.append(f"line {lineno}: {exc}")
    return rows, errors


def _caller_id(clid: str, src: str) -> tuple[str, str]:
    """``"Zhang Wei" <13909511234>`` → (number, name); falls back to src."""
    name, number = "", src
    if clid.endswith(">") and "<" in clid:
        head, _, tail = clid.rpartition("<")
        number = tail[:-1] or src
        name = head.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            # ast_callerid_merge() quotes the name with ast_escape_quoted(): a backslash
            # before every '"', '\\' and control character. Undo exactly that.
            name = _QUOTED_PAIR.sub(r"\1", name[1:-1])
    return number, name


NO_CLERK_SECONDS = 5  # a queue that found no clerk sends the caller on at once, not after 15 s


def _no_clerk_available(rows: list[Row], clerk_rows: list[Row]) -> bool:
    """The queue rang nobody and the voicemail answered at once (QUEUESTATUS JOINEMPTY).

    The CDR has no QUEUESTATUS; a call in opening hours ("hotline" userfield) whose voicemail
    leg answered within seconds, with no clerk row, is the mark of an empty queue (a queue
    whose clerks were all talking waits the whole ring time first)."""
    if clerk_rows:
        return False
    vm = [r for r in rows if r.lastapp.lower() == "voicemail" and r.userfield == "hotline" and r.answer]
    return any((r.answer - r.start).total_seconds() < NO_CLERK_SECONDS for r in vm)  # type: ignore[operator]


def record_from_rows(rows: list[Row], *, voicemail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Rebuild a call-log record from the caller's CDR rows of one call.

    ``voicemail`` is the stored message found for the call (CDR cannot tell whether a
    message was left: the voicemail leg is ANSWERED either way).
    """
    rows = sorted(rows, key=lambda r: (r.start, r.answer or r.start))
    first = rows[0]
    started = min(r.start for r in rows)
    ended = max((r.end or r.start) for r in rows)
    clerk_rows = [r for r in rows if r.dstchannel and extension_of(r.dstchannel)]
    answered = [r for r in clerk_rows if r.disposition == "ANSWERED" and r.answer]
    answered_by = extension_of(answered[0].dstchannel) if answered else None
    answered_at = answered[0].answer if answered else None
    transferred: list[str] = []
    for r in answered[1:]:
        ext = extension_of(r.dstchannel)
        if ext and ext != answered_by and ext not in transferred:
            transferred.append(ext)
    in_voicemail = any(r.lastapp.lower() == "voicemail" for r in rows)
    if answered_by:
        disposition, stage = "answered", None
    elif voicemail:
        disposition, stage = "voicemail", None
    elif clerk_rows and all(r.disposition in ("BUSY", "FAILED", "CONGESTION") for r in clerk_rows):
        disposition, stage = "busy", None
    elif _no_clerk_available(rows, clerk_rows):
        disposition, stage = "busy", None
    elif in_voicemail:
        disposition, stage = "abandoned", "voicemail"
    elif clerk_rows:
        disposition, stage = "abandoned", "ringing"
    elif first.lastapp.lower() == "queue":
        disposition, stage = "abandoned", "queue"
    else:
        disposition, stage = "failed", None
    number, name = _caller_id(first.clid, first.src)
    ring_until = answered_at or next(
        (r.start for r in rows if r.lastapp.lower() == "voicemail"), ended
    )
    return {
        "linkedid": first.uniqueid,
        "caller_number": number,
        "caller_name": name,
        "dialed_number": first.dst,
        "started_at": started,
        "answered_at": answered_at,
        "ended_at": ended,
        "ring_seconds": float(max(0.0, (ring_until - started).total_seconds())),
        "talk_seconds": float((ended - answered_at).total_seconds()) if answered_at else 0.0,
        "duration_seconds": float((ended - started).total_seconds()),
        "disposition": disposition,
        "abandon_stage": stage,
        "answered_by": answered_by,
        "transferred_to": transferred,
        "voicemail": voicemail,
    }
