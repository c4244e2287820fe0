"""What a replay plays and when: the timeline of a playlist of traces, and each message as
it goes out today. Pure: the server supplies the replay's start (wall clock). Also
``concat_traces``, which writes several traces as one with Asterisk restarts between them.

Time model. Recorded offsets are *replay time* τ, in seconds, never scaled by the speed.
Trace N+1 starts when trace N ends (its last end marker or message, whichever is later); loop
iteration k starts at k·D, D being the playlist's duration. Absolute times in the stream
(``Timestamp``, the Cdr event's times, Master.csv rows) move to the present by
S = replay_start_wallclock + (τ − t) − recording_start, i.e. a message recorded at offset t
says it happened at replay_start_wallclock + τ, whatever the speed. On iteration k ≥ 1 every
uniqueid ``EPOCH.SEQ`` (Uniqueid, Linkedid, UniqueID, DestLinkedid, …) becomes
``EPOCH+k·P .SEQ``, P being ``loop_period``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from callcenter.ami.trace import (
    CdrRow,
    Connection,
    Message,
    Trace,
    is_id_key,
    load_trace,
    rewrite_ids,
    shift_times,
    with_timestamp,
)
from callcenter.ami.wire import Headers, encode_message


def loop_period(traces: Iterable[Trace]) -> int:
    """P: whole seconds ≥ the playlist's duration + 1, and ≥ the span of its uniqueid epochs + 1
    (traces recorded apart), so that ids of different iterations never meet."""
    traces = list(traces)
    epochs = [
        int(epoch)
        for trace in traces
        for message in trace.messages()
        for key, value in message.headers
        if is_id_key(key)
        for epoch, dot, seq in [value.partition(".")]
        if dot and epoch.isdigit() and seq.isdigit()
    ]
    span = max(epochs) - min(epochs) if epochs else 0
    return math.ceil(max(sum(trace.duration for trace in traces), span)) + 1


@dataclass(frozen=True)
class Step:
    """One thing that happens at replay time ``tau``."""

    tau: float
    iteration: int
    trace: Trace
    message: Message | None = None  # a message to play
    restart: bool = False  # the PBX closes every connection (a recorded ``closed``)
    booted: Message | None = None  # the recorded FullyBooted in effect from here on
    last: bool = False  # the last message of a pass over the playlist

    def shift(self, start_wall: float) -> float:
        """S: seconds to add to this step's recorded absolute times."""
        assert self.message is not None
        return start_wall + self.tau - self.message.t - self.trace.recording_start

    def headers(self, start_wall: float, period: int, *, inject: bool = False) -> Headers:
        """The message as it goes out: ids rewritten for the iteration, times moved to now,
        and with ``inject`` a ``Timestamp`` added where the event has none."""
        assert self.message is not None
        headers = rewrite_ids(self.message.headers, self.iteration * period)
        headers = shift_times(headers, self.shift(start_wall))
        if inject:
            headers = with_timestamp(headers, start_wall + self.tau)
        return headers

    def cdr_row(self, start_wall: float, period: int) -> CdrRow:
        """The Master.csv row of this step's Cdr event, moved like the event."""
        assert self.message is not None
        row = self.trace.cdr_row(self.message.headers)
        return row.shifted(self.shift(start_wall), self.iteration * period)


def timeline(traces: list[Trace], *, loop: bool = False) -> Iterator[Step]:
    """Every step of the playlist in order; endless when ``loop``."""
    duration = sum(trace.duration for trace in traces)
    final = next((m for t in reversed(traces) for m in reversed(list(t.messages()))), None)
    iteration = 0
    while True:
        offset = iteration * duration
        for trace in traces:
            yield Step(offset, iteration, trace, booted=trace.connections[0].fully_booted)
            for index, connection in enumerate(trace.connections):
                for message in connection.messages:
                    yield Step(offset + message.t, iteration, trace, message, last=message is final)
                if connection.closed:
                    following = trace.connections[index + 1 : index + 2]
                    booted = following[0].fully_booted if following else None
                    yield Step(offset + connection.end, iteration, trace, None, True, booted)
            offset += trace.duration
        if not loop:
            return
        iteration += 1


_SHUTDOWN: Headers = (
    ("Event", "Shutdown"), ("Privilege", "system,all"), ("Shutdown", "Cleanly"), ("Restart", "True")
)  # fmt: skip


@dataclass
class _Recorded:
    """A connection as written to a trace folder, login response and FullyBooted included."""

    start: float
    banner: str
    messages: list[Message]
    end: float
    closed: bool


def _placed(
    connection: Connection, offset: float, delta: float, id_seconds: int, restarted: bool
) -> _Recorded:
    out = []
    if connection.login is not None:
        out.append(Message(connection.login.t + offset, connection.login.headers))
    if (booted := connection.fully_booted) is not None:
        headers = booted.headers
        if restarted:
            headers = tuple((k, "0" if k in ("Uptime", "LastReload") else v) for k, v in headers)
        out.append(Message(booted.t + offset, headers))
    for message in connection.messages:
        headers = shift_times(rewrite_ids(message.headers, id_seconds), delta)
        out.append(Message(message.t + offset, headers))
    return _Recorded(
        connection.start + offset, connection.banner, out, connection.end + offset, connection.closed
    )


def concat_traces(sources: Sequence[Path], dest: Path, *, gap: float = 1.0, shift_ids: bool = True) -> Path:
    """Write a trace folder ``dest`` that plays ``sources`` in turn with an Asterisk restart
    between them: ``Event: Shutdown``, the PBX closes the connection, ``gap`` seconds later a
    new connection with its login response and a ``FullyBooted`` with ``Uptime: 0``.

    Each source's absolute times (Timestamp, Cdr times, cdr.csv rows) and uniqueid epochs
    move with it to its new place, so a trace can be concatenated with itself. With
    ``shift_ids=False`` the uniqueids stay as recorded: the same Linkedids come back after the
    restart, as they can after a real Asterisk restart (its counters start again).
    """
    traces = [load_trace(source) for source in sources]
    base = traces[0].recording_start
    recorded: list[_Recorded] = []
    cdr_rows: list[CdrRow] = []
    offset = 0.0
    for number, trace in enumerate(traces):
        delta = base + offset - trace.recording_start
        id_seconds = round(delta) if shift_ids else 0
        for index, connection in enumerate(trace.connections):
            restarted = number > 0 and index == 0
            recorded.append(_placed(connection, offset, delta, id_seconds, restarted))
        cdr_rows.extend(
            trace.cdr_row(m.headers).shifted(delta, id_seconds)
            for m in trace.messages()
            if m.get("Event") == "Cdr"
        )
        offset += trace.duration
        if number + 1 < len(traces):
            recorded[-1].messages.append(Message(offset, _SHUTDOWN))
            recorded[-1].end, recorded[-1].closed = offset + 0.001, True
            offset += gap
    dest = Path(dest)
    _write_trace(dest, base, recorded, cdr_rows)
    names = ", ".join(trace.path.name for trace in traces)
    (dest / "README.md").write_text(f"# Synthetic trace\n\n{names}, with a restart between.\n")
    return dest


def _write_trace(dest: Path, base: float, recorded: list[_Recorded], rows: list[CdrRow]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    raw, entries, lines = bytearray(), [], []
    for number, connection in enumerate(recorded, 1):
        start = connection.start
        entries.append({"t": start, "what": "connect", "conn": number, "raw_offset": len(raw)})
        raw += f"{connection.banner}\r\n".encode()
        entries.append({"t": start, "what": "banner", "conn": number, "raw_offset": len(raw),
                        "line": connection.banner})  # fmt: skip
        for message in connection.messages:
            raw += encode_message(message.headers)
            record = {"t": message.t, "msg": [list(h) for h in message.headers]}
            lines.append(json.dumps(record) + "\n")
        what = "closed" if connection.closed else "stopped_by_client"
        entries.append({"t": connection.end, "what": what, "conn": number, "raw_offset": len(raw)})
    for entry in entries:
        entry["wallclock"] = base + entry["t"]
    (dest / "ami.raw").write_bytes(bytes(raw))
    (dest / "ami.jsonl").write_text("".join(lines), encoding="utf-8")
    (dest / "connections.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    (dest / "cdr.csv").write_text("".join(row.encode() for row in rows), encoding="utf-8")
