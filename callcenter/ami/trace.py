"""Recorded AMI traces: loading a trace folder, Master.csv rows, moving times and ids.

A trace folder (see ``../shared/ami-traces/README.md``) holds ``ami.jsonl`` (one message a
line with its offset ``t``) and/or ``ami.raw`` (the bytes as received), either possibly
gzipped, plus ``connections.jsonl`` and optionally ``cdr.csv``. ``ami.jsonl`` is preferred.
With ``ami.raw`` alone a message's ``t`` is interpolated linearly by byte offset between
its connection's banner and end markers (so the messages of a connection are spread
evenly over its recorded lifetime, in proportion to their size).

Loading splits the stream into recorded connections and sets aside what a replay server
generates itself on every login: the login response and the ``FullyBooted`` after it.
"""

from __future__ import annotations

import bisect
import calendar
import gzip
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.ami.wire import Headers, decode_message, get

BANNER = "Asterisk Call Manager/9.0.0"
CDR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Master.csv columns (cdr_csv with loguniqueid and loguserfield), as named in the Cdr event.
CDR_COLUMNS = (
    "AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel",
    "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime", "EndTime",
    "Duration", "BillableSeconds", "Disposition", "AMAFlags", "UniqueID", "UserField",
)  # fmt: skip
_CDR_TIMES = ("StartTime", "AnswerTime", "EndTime")
_CDR_NUMBERS = ("Duration", "BillableSeconds")
_ID_VALUE = re.compile(r"(\d+)\.(\d+)")
_CSV_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,\r\n]*)')
_END_MARKERS = ("closed", "stopped_by_client")


class TraceError(Exception):
    """A trace folder that cannot be replayed; the message names the file."""


@dataclass(frozen=True)
class Message:
    t: float  # seconds since the recording started
    headers: Headers

    def get(self, key: str) -> str | None:
        return get(self.headers, key)


@dataclass(frozen=True)
class Connection:
    """One recorded AMI connection, without its login response and FullyBooted."""

    start: float  # t of the connect
    end: float  # t of its end marker (its last message when there is none)
    closed: bool  # the PBX closed it (an Asterisk restart)
    banner: str
    login: Message | None
    fully_booted: Message | None
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class CdrRow:
    """A Master.csv row; ``quoted`` keeps each field's quoting as Asterisk wrote it."""

    fields: tuple[str, ...]
    quoted: tuple[bool, ...]

    @classmethod
    def from_event(cls, headers: Headers) -> CdrRow:
        values = tuple(get(headers, name) or "" for name in CDR_COLUMNS)
        quoted = tuple(
            name not in _CDR_NUMBERS and not (name in _CDR_TIMES and not value)
            for name, value in zip(CDR_COLUMNS, values)
        )
        return cls(values, quoted)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(UniqueID, Channel, DestinationChannel, StartTime): what a Cdr event is matched by."""
        return self.fields[16], self.fields[5], self.fields[6], self.fields[9]

    def encode(self) -> str:
        return ",".join(
            '"' + value.replace('"', '""') + '"' if quoted else value
            for value, quoted in zip(self.fields, self.quoted)
        ) + "\n"

    def shifted(self, seconds: float, id_seconds: int = 0) -> CdrRow:
        """Times moved by ``seconds``, the uniqueid's epoch by ``id_seconds``."""
        fields = list(self.fields)
        for index in (9, 10, 11):
            fields[index] = shift_cdr_time(fields[index], seconds)
        fields[16] = shift_id(fields[16], id_seconds)
        return CdrRow(tuple(fields), self.quoted)


def cdr_key(headers: Headers) -> tuple[str, str, str, str]:
    names = ("UniqueID", "Channel", "DestinationChannel", "StartTime")
    return tuple(get(headers, name) or "" for name in names)  # type: ignore[return-value]


def parse_master_csv(text: str) -> list[CdrRow]:
    """Rows of a Master.csv, keeping which fields were quoted."""
    rows, fields, quoted, pos = [], [], [], 0
    while pos < len(text):
        match = _CSV_FIELD.match(text, pos)
        is_quoted = match.group(1) is not None
        fields.append(match.group(1).replace('""', '"') if is_quoted else match.group(2))
        quoted.append(is_quoted)
        pos = match.end()
        if text.startswith(",", pos):
            pos += 1
            continue
        while text.startswith(("\r", "\n"), pos):
            pos += 1
        if fields != [""]:
            rows.append(CdrRow(tuple(fields), tuple(quoted)))
        fields, quoted = [], []
    return rows


def shift_cdr_time(value: str, seconds: float) -> str:
    """A ``%Y-%m-%d %H:%M:%S`` time (UTC) moved by ``seconds``, truncated; '' stays ''."""
    try:
        epoch = calendar.timegm(time.strptime(value, CDR_TIME_FORMAT))
    except ValueError:
        return value
    return time.strftime(CDR_TIME_FORMAT, time.gmtime(math.floor(epoch + seconds)))


def shift_id(value: str, seconds: int) -> str:
    """A uniqueid ``EPOCH.SEQ`` with EPOCH moved by ``seconds``; other values unchanged."""
    match = _ID_VALUE.fullmatch(value)
    if not match or not seconds:
        return value
    return f"{int(match[1]) + seconds}.{match[2]}"


def is_id_key(key: str) -> bool:
    """Uniqueid, Linkedid, UniqueID, DestLinkedid, TransfererUniqueid, DestUniqueId, ..."""
    lowered = key.lower()
    return lowered.endswith(("uniqueid", "linkedid"))


def rewrite_ids(headers: Headers, seconds: int) -> Headers:
    if not seconds:
        return headers
    return tuple((k, shift_id(v, seconds) if is_id_key(k) else v) for k, v in headers)


def shift_times(headers: Headers, seconds: float) -> Headers:
    """``Timestamp`` and the Cdr event's Start/Answer/EndTime moved by ``seconds``."""
    is_cdr = get(headers, "Event") == "Cdr"
    out = []
    for key, value in headers:
        if key == "Timestamp":
            try:
                value = f"{float(value) + seconds:.6f}"
            except ValueError:
                pass
        elif is_cdr and key in _CDR_TIMES:
            value = shift_cdr_time(value, seconds)
        out.append((key, value))
    return tuple(out)


def with_timestamp(headers: Headers, timestamp: float) -> Headers:
    """Insert ``Timestamp`` after Event and Privilege, as ``timestampevents = yes`` does."""
    if get(headers, "Event") is None or get(headers, "Timestamp") is not None:
        return headers
    at = 2 if len(headers) > 1 and headers[1][0] == "Privilege" else 1
    return headers[:at] + (("Timestamp", f"{timestamp:.6f}"),) + headers[at:]


@dataclass(frozen=True, eq=False)
class Trace:
    path: Path
    recording_start: float  # wall clock of t = 0
    duration: float  # until its last end marker or message
    connections: tuple[Connection, ...]
    cdr_rows: dict[tuple[str, str, str, str], CdrRow] | None = field(repr=False)

    @property
    def banner(self) -> str:
        return self.connections[0].banner

    def messages(self) -> Iterator[Message]:
        """Every message a replay plays, in order (login responses and FullyBooted left out)."""
        for connection in self.connections:
            yield from connection.messages

    def cdr_row(self, headers: Headers) -> CdrRow:
        """The Master.csv row of a Cdr event: from cdr.csv when the trace has one."""
        if self.cdr_rows is None:
            return CdrRow.from_event(headers)
        return self.cdr_rows[cdr_key(headers)]


def _open(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


@dataclass
class _Span:
    """A connection as connections.jsonl tells it."""

    start: float
    start_offset: int
    banner: str = BANNER
    banner_t: float | None = None
    banner_offset: int | None = None
    end: float | None = None
    end_offset: int | None = None
    closed: bool = False
    messages: list[Message] = field(default_factory=list)


def _spans(entries: list[dict], where: Path) -> list[_Span]:
    spans: list[_Span] = []
    for entry in entries:
        what, t = entry.get("what"), float(entry.get("t", 0.0))
        if what == "connect" or not spans:
            spans.append(_Span(t, int(entry.get("raw_offset", 0))))
        span = spans[-1]
        if what == "banner":
            span.banner = entry.get("line", BANNER)
            span.banner_t, span.banner_offset = t, entry.get("raw_offset")
        elif what in _END_MARKERS:
            span.end, span.end_offset, span.closed = t, entry.get("raw_offset"), what == "closed"
    if not spans:
        raise TraceError(f"{where}: no connection recorded")
    return spans


def _fill_from_jsonl(spans: list[_Span], data: bytes, where: Path) -> None:
    starts = [span.start for span in spans]
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            message = Message(float(record["t"]), tuple((k, v) for k, v in record["msg"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise TraceError(f"{where}:{number}: not a trace message ({exc})") from None
        index = max(bisect.bisect_right(starts, message.t) - 1, 0)
        spans[index].messages.append(message)


def _fill_from_raw(spans: list[_Span], data: bytes) -> None:
    for index, span in enumerate(spans):
        stop = span.end_offset if span.end_offset is not None else len(data)
        if index + 1 < len(spans):
            stop = min(stop, spans[index + 1].start_offset)
        pos = span.banner_offset
        if pos is None:
            pos = data.index(b"\r\n", span.start_offset) + 2
        first_t = span.banner_t if span.banner_t is not None else span.start
        blocks = []
        while (end := data.find(b"\r\n\r\n", pos, stop)) >= 0:
            blocks.append((end + 4, decode_message(data[pos:end])))
            pos = end + 4
        if span.end is None:  # no timing recorded at all: 10 ms a message
            span.end = first_t + 0.01 * len(blocks)
        start_offset = span.banner_offset or span.start_offset
        width = max(stop - start_offset, 1)
        for offset, headers in blocks:
            fraction = (offset - start_offset) / width
            span.messages.append(Message(first_t + fraction * (span.end - first_t), headers))


def _connection(span: _Span) -> Connection:
    messages = span.messages
    login = fully_booted = None
    if messages and messages[0].get("Response") is not None:
        login, messages = messages[0], messages[1:]
    if login and messages and messages[0].get("Event") == "FullyBooted":
        fully_booted, messages = messages[0], messages[1:]
    last = messages[-1].t if messages else span.start
    end = span.end if span.end is not None else last
    return Connection(
        span.start, max(end, last), span.closed, span.banner, login, fully_booted, tuple(messages)
    )


def _index_cdr(folder: Path, connections: Sequence[Connection]) -> dict | None:
    path = _find(folder, "cdr.csv")
    if path is None:
        return None
    rows = parse_master_csv(_open(path).decode("utf-8", "surrogateescape"))
    for number, row in enumerate(rows, 1):
        if len(row.fields) != len(CDR_COLUMNS):
            raise TraceError(f"{path}: row {number} has {len(row.fields)} fields, not 18")
    counts = Counter(row.key for row in rows)
    for connection in connections:
        for message in connection.messages:
            if message.get("Event") == "Cdr" and counts[cdr_key(message.headers)] != 1:
                raise TraceError(
                    f"{path}: Cdr event at t={message.t} matches "
                    f"{counts[cdr_key(message.headers)]} rows (key {cdr_key(message.headers)})"
                )
    return {row.key: row for row in rows}


def load_trace(folder: Path) -> Trace:
    """Load a trace folder; raises TraceError naming the file when it cannot be replayed."""
    folder = Path(folder)
    connections_path = folder / "connections.jsonl"
    try:
        entries = [json.loads(line) for line in connections_path.read_text().splitlines() if line]
    except (OSError, ValueError) as exc:
        raise TraceError(f"{connections_path}: {exc}") from None
    spans = _spans(entries, connections_path)
    if (jsonl := _find(folder, "ami.jsonl")) is not None:
        _fill_from_jsonl(spans, _open(jsonl), jsonl)
    elif (raw := _find(folder, "ami.raw")) is not None:
        _fill_from_raw(spans, _open(raw))
    else:
        raise TraceError(f"{folder}: neither ami.jsonl nor ami.raw (.gz)")
    if "wallclock" not in entries[0]:
        raise TraceError(f"{connections_path}: first entry has no wallclock")
    connections = tuple(_connection(span) for span in spans)
    return Trace(
        path=folder,
        recording_start=float(entries[0]["wallclock"]) - float(entries[0].get("t", 0.0)),
        duration=max(connection.end for connection in connections),
        connections=connections,
        cdr_rows=_index_cdr(folder, connections),
    )

