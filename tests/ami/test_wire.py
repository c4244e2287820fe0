"""AMI framing: what the replay server writes and how it reads clients."""

from __future__ import annotations

import pytest

from callcenter.ami.wire import (
    MAX_HEADERS,
    MAX_LINE,
    ActionReader,
    ProtocolError,
    decode_message,
    encode_message,
    get,
    header,
)


def test_encode_and_decode_keep_order_duplicates_and_empty_values() -> None:
    headers = (("Event", "VarSet"), ("AccountCode", ""), ("Value", "a: b"), ("Value", "x"))
    data = encode_message(headers)
    assert data == b"Event: VarSet\r\nAccountCode: \r\nValue: a: b\r\nValue: x\r\n\r\n"
    assert decode_message(data[:-4]) == headers
    assert get(headers, "Value") == "a: b" and get(headers, "value") is None


def test_undecodable_bytes_survive_a_round_trip() -> None:
    block = b"Event: Newchannel\r\nCallerIDName: \xff\xfe\xe4\xb8\xad"
    assert encode_message(decode_message(block)) == block + b"\r\n\r\n"


def test_actions_split_anywhere_with_either_line_end() -> None:
    reader = ActionReader()
    assert reader.feed(b"Action: Ping\r\nActionID: 1\r") == []
    assert reader.feed(b"\n\r\nAction: Logoff\n\nAction:") == [
        (("Action", "Ping"), ("ActionID", "1")),
        (("Action", "Logoff"),),
    ]
    assert reader.feed(b" Login\n\n\n\r\n") == [(("Action", "Login"),)]
    assert header((("action", "login"), ("SECRET", "s")), "Secret") == "s"
    assert header((("Action", "Login"),), "ActionID") == ""


def test_garbage_lines_become_headers_of_an_action_without_action() -> None:
    assert ActionReader().feed(b"\x00\xff junk\nno colon\n\n") == [
        (("\x00\ufffd junk", ""), ("no colon", "")),
    ]


def test_an_overlong_line_is_a_protocol_error() -> None:
    reader = ActionReader()
    reader.feed(b"Secret: " + b"x" * (MAX_LINE - 100))
    with pytest.raises(ProtocolError):
        reader.feed(b"x" * 200)
    with pytest.raises(ProtocolError):
        ActionReader().feed(b"Key: " + b"x" * MAX_LINE + b"\n")


def test_headers_beyond_the_cap_are_ignored() -> None:
    lines = b"".join(b"H%d: v\n" % i for i in range(MAX_HEADERS + 10))
    [action] = ActionReader().feed(lines + b"\n")
    assert len(action) == MAX_HEADERS
