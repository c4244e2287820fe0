"""Reading the recorded traces and Asterisk's own CDR for them (test helpers)."""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCENARIOS = (
    "answered_caller_hangs_up", "abandoned_while_ringing", "anonymous_caller", "voicemail",
    "busy_or_unavailable", "blind_transfer", "attended_transfer", "timestamped_answered",
)  # fmt: skip


def messages(trace: Path) -> list[tuple[float, dict[str, str]]]:
    path = trace / "ami.jsonl"
    opener: Any = open
    if not path.exists():
        path, opener = trace / "ami.jsonl.gz", gzip.open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            headers: dict[str, str] = {}
            for key, value in item["msg"]:
                headers.setdefault(key, value)
            out.append((item["t"], headers))
    return out


@dataclass(frozen=True)
class CdrCall:
    """What Asterisk's Master.csv says of one call (the caller channel's rows)."""

    linkedid: str
    start: datetime
    end: datetime
    answer: datetime | None
    rows: list[dict[str, str]]


def run_state_machine(trace: Path, t0: float) -> tuple[list[Any], dict[str, Any]]:
    """The recorded messages through the pure state machine, their offsets placed at ``t0``:
    the calls in the order they ended, and every call's last state by linkedid."""
    from callcenter.ami import calls as sm
    from callcenter.ami import events as ev

    states: dict[str, sm.CallState] = {}
    ended: list[sm.CallState] = []
    for t, headers in messages(trace):
        event = ev.parse_event(headers, t0 + t)
        linkedid = sm.linkedid_of(event) if event else None
        if event is None or linkedid is None:
            continue
        state = states.get(linkedid)
        if sm.starts_new_call(state, event):
            state = None
        state, effects = sm.apply(state, event)
        if state is not None:
            states[linkedid] = state
        ended += [e.call for e in effects if e.kind == "ended"]
    return ended, states


def cdr_calls(trace: Path) -> dict[str, CdrCall]:
    cols = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
            "lastdata", "start", "answer", "end", "duration", "billsec", "disposition",
            "amaflags", "uniqueid", "userfield"]  # fmt: skip
    parse = lambda s: datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)  # noqa: E731
    groups: dict[str, list[dict[str, str]]] = {}
    with open(trace / "cdr.csv", newline="") as fh:
        for values in csv.reader(fh):
            row = dict(zip(cols, values))
            if row["channel"].startswith("Local/") or row["lastapp"] in ("AppDial", "AppQueue"):
                continue  # a leg of another call, not a call
            groups.setdefault(row["uniqueid"], []).append(row)
    out = {}
    for uid, rows in groups.items():
        answers = [parse(r["answer"]) for r in rows if r["answer"] and r["dstchannel"]]
        out[uid] = CdrCall(
            linkedid=uid,
            start=min(parse(r["start"]) for r in rows),
            end=max(parse(r["end"]) for r in rows),
            answer=min(answers) if answers else None,
            rows=rows,
        )
    return out


# What each recorded call must become (decided from each trace's README; see the issue note).
EXPECTED: dict[str, dict[str, dict[str, Any]]] = {
    "answered_caller_hangs_up": {
        "1795898248.0": dict(disposition="answered", abandon_stage=None, answered_by="8001",
                             transferred_to=[], caller_number="13909511234", caller_name="Zhang Wei"),
    },
    "abandoned_while_ringing": {
        "1795898740.318": dict(disposition="abandoned", abandon_stage="ringing", answered_by=None,
                               transferred_to=[]),
    },
    "anonymous_caller": {
        "1795898507.42": dict(disposition="answered", answered_by="8001", caller_number="anonymous",
                              caller_name="Anonymous"),
    },
    "voicemail": {
        "1795898756.321": dict(
            disposition="voicemail", answered_by=None,
            voicemail={"mailbox": "6085708@hotline",
                       "path": "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"}),
    },
    "busy_or_unavailable": {
        "1795898403.15": dict(disposition="busy", answered_by=None, voicemail=None),
        "1795898432.32": dict(disposition="busy", answered_by=None, dialed_number="6085709"),
        "1795898441.35": dict(disposition="busy", answered_by=None, voicemail=None),
    },
    "blind_transfer": {
        "1795898474.38": dict(disposition="answered", answered_by="8001", transferred_to=["8101"]),
    },
    "attended_transfer": {
        "1795899092.0": dict(disposition="answered", answered_by="8001", transferred_to=["8101"]),
    },
    "timestamped_answered": {
        "1795899172.12": dict(disposition="answered", answered_by="8002", caller_name="Ma Li",
                              caller_number="13909511235"),
    },
}  # fmt: skip
