"""Malformed AMI input is logged and skipped; the listener keeps running."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from callcenter.service import CallLogService
from tests.ami.harness import call_log, service_config, settle

JUNK = [
    b"Event: Newchannel\r\nPrivilege: call,all\r\nChannel: SIP/x-1\r\n\r\n",  # no Uniqueid/Linkedid
    b"this is not an AMI message at all\r\n\r\n",  # no headers
    b"Event: DialBegin\r\nUniqueid: 9.9\r\nLinkedid: 9.9\r\n\r\n",  # missing DestUniqueid
    b"Event: SomethingNew\r\nFoo: bar\r\n\r\n",  # unknown event
    b"Event: Newchannel\r\nUniqueid: 7.7\r\nLinkedid: 7.7\r\nCallerIDName: \xff\xfe\xc3(\r\n"
    b"CallerIDNum: \xe5\xbc\xa0\r\nChannel: SIP/trunk-7\r\n\r\n",  # invalid UTF-8 (and a real 张)
    b"Event: VarSet\r\nVariable: X\r\nValue: " + b"A" * 300_000 + b"\r\n\r\n",  # huge value
    b"Event: Hangup\r\nUniqueid: 7.7\r\nLinkedid: 7.7\r\nChannel: SIP/trunk-7\r\nCause: 16\r\n\r\n",
    b"\r\n\r\n\r\n",  # empty messages
    b"Event: Newstate\r\nUniqueid: 1795898248.0\r\nLinkedid: 1795898248.0\r\nTimestamp: nan\r\n"
    b"ChannelStateDesc: Weird\r\nChannel: SIP/trunk-00000000\r\n\r\n",  # a bad timestamp
]


async def hostile_pbx(raw: bytes, junk_every: int) -> tuple[asyncio.Server, asyncio.Event]:
    """A bare TCP AMI peer: banner, accepts Login, then writes recorded bytes mixed with junk,
    some split mid-character to exercise incremental decoding."""
    done = asyncio.Event()
    body = raw.split(b"\r\n", 1)[1]  # drop the banner
    messages = [m + b"\r\n\r\n" for m in body.split(b"\r\n\r\n") if m.strip()]
    messages = messages[2:]  # the recorded login response and FullyBooted

    async def answer_actions(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        while data := await reader.read(4096):
            buffer += data
            while b"\r\n\r\n" in buffer:
                block, buffer = buffer.split(b"\r\n\r\n", 1)
                headers = dict(ln.split(b": ", 1) for ln in block.split(b"\r\n") if b": " in ln)
                aid = headers.get(b"ActionID", b"")
                if headers.get(b"Action", b"").lower() == b"coreshowchannels":
                    writer.write(b"Response: Success\r\nActionID: " + aid + b"\r\nEventList: start\r\n"
                                 b"Message: Channels will follow\r\n\r\nEvent: CoreShowChannelsComplete\r\n"
                                 b"ActionID: " + aid + b"\r\nEventList: Complete\r\nListItems: 0\r\n\r\n")
                else:
                    writer.write(b"Response: Success\r\nActionID: " + aid + b"\r\nPing: Pong\r\n\r\n")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        block = b""
        while b"\r\n\r\n" not in block:
            block += await reader.read(4096)
        action_id = [ln.split(b": ", 1)[1] for ln in block.split(b"\r\n") if ln.startswith(b"ActionID")]
        writer.write(b"Response: Success\r\nActionID: " + action_id[0] + b"\r\nMessage: Authentication accepted\r\n\r\n")
        answering = asyncio.create_task(answer_actions(reader, writer))
        for i, message in enumerate(messages):
            if i % junk_every == 0:
                chunk = JUNK[(i // junk_every) % len(JUNK)]
                writer.write(chunk[: len(chunk) // 2])
                await writer.drain()
                await asyncio.sleep(0.001)
                writer.write(chunk[len(chunk) // 2 :])
            writer.write(message)
            await writer.drain()
            await asyncio.sleep(0.001)
        done.set()
        await answering  # until the client leaves
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), done


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_malformed_input_is_skipped(
    migrated: str, traces: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    raw = (traces / "answered_caller_hangs_up" / "ami.raw").read_bytes()
    server, done = await hostile_pbx(raw, junk_every=7)
    async with server:
        port = server.sockets[0].getsockname()[1]
        service = CallLogService(service_config(migrated, port))
        await service.start()
        try:
            await asyncio.wait_for(done.wait(), 10)
            await settle(service, migrated, 2)
        finally:
            await service.stop()
        assert service.recorder.counters["malformed"] >= 2
        assert service.link.reconnects == 0, "junk must not cost the connection"
    log = {c["linkedid"]: c for c in await call_log(migrated)}
    assert log["1795898248.0"]["answered_by"] == "8001"
    assert log["1795898248.0"]["disposition"] == "answered"
    # The junk call with invalid UTF-8: stored, with replacement characters, never a crash.
    assert log["7.7"]["caller_number"] == "张"
    assert "\ufffd" in log["7.7"]["caller_name"]
    assert "malformed" in caplog.text
