"""Caller ID text crosses AMI and the CDR escaped by Asterisk; the call log keeps what was sent."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.ami import calls as sm
from callcenter.ami import cdr
from callcenter.ami import events as ev
from tests.ami.tracedata import messages

HOSTILE = 'Ro\\"bert\\"); DROP TABLE calls;-- 张三 ${SHELL(id)}'


def ast_escape_c(value: str) -> str:
    """Asterisk's main/utils.c ast_escape_c(), as used for CallerIDName on AMI."""
    table = dict(zip("\a\b\f\n\r\t\v\\'\"?", "abfnrtv\\'\"?"))
    return "".join("\\" + table[c] if c in table else c for c in value)


def ast_escape_quoted(value: str) -> str:
    """Asterisk's ast_escape_quoted(), as used by ast_callerid_merge() for the CDR clid."""
    keep = lambda c: c in "\t\v !" or "#" <= c <= "[" or "]" <= c <= "~" or ord(c) > 0x7F  # noqa: E731
    return "".join(c if keep(c) else "\\" + c for c in value)


@pytest.mark.parametrize(
    "name", [HOSTILE, "", "Anonymous", "a\\b", "tab\there", "\\", "end\\", "q'?\"", "张三\n"]
)
def test_ami_caller_name_is_unescaped_to_what_was_sent(name: str) -> None:
    base = {"Uniqueid": "1.1", "Linkedid": "1.1", "Channel": "PJSIP/carrier-00000001"}
    wire = ast_escape_c(name)
    event = ev.parse_event({"Event": "Newchannel", **base, "CallerIDName": wire, "CallerIDNum": "1"}, 1.0)
    state, _ = sm.apply(None, event)
    assert state.caller_name == name
    later = ev.parse_event({"Event": "NewCallerid", **base, "CallerIDName": wire}, 2.0)
    assert later.caller_name == name


def test_the_hostile_name_as_asterisk_wrote_it() -> None:
    # the header as Asterisk 20.20.1 writes it for this caller (ast_escape_c); tests/live checks
    # end to end that the call log then holds the name exactly as sent
    wire = 'Ro\\\\\\"bert\\\\\\"); DROP TABLE calls;-- 张三 ${SHELL(id)}'
    assert ev.unescape_c(wire) == HOSTILE


def test_a_lone_or_unknown_backslash_is_kept() -> None:
    assert ev.unescape_c("a\\zb\\") == "a\\zb\\"


@pytest.mark.parametrize("name", [HOSTILE, 'plain', '"quoted"', "back\\slash"])
def test_cdr_clid_is_unescaped(name: str) -> None:
    clid = f'"{ast_escape_quoted(name)}" <13909511234>'
    row = cdr.row_from_fields(
        {"uniqueid": "1.1", "start": "2026-12-06 01:00:00", "clid": clid, "src": "13909511234"},
        ZoneInfo("UTC"),
    )
    rec = cdr.record_from_rows([row])
    assert (rec["caller_number"], rec["caller_name"]) == ("13909511234", name)


def test_anonymous_trace_keeps_its_name(traces: Path) -> None:
    state = None
    for _, headers in messages(traces / "anonymous_caller"):
        event = ev.parse_event(headers, 1.0)
        if isinstance(event, ev.ChannelEvent) and (state is not None or event.uniqueid == event.linkedid):
            state, _ = sm.apply(state, event)
    assert (state.caller_number, state.caller_name) == ("anonymous", "Anonymous")
