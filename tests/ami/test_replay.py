"""The AMI replay server over real TCP on 127.0.0.1, with plain asyncio streams as the client."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import math
import re
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from callcenter.ami.playlist import concat_traces
from callcenter.ami.replay import ReplayServer, register
from callcenter.ami.wire import MAX_LINE

ANSWERED = "answered_caller_hangs_up"
FAST = 50.0  # the answered trace (19 s) in 0.4 s
TIMEOUT = 5.0
SECRET = "callcenter-secret"

Msg = list[tuple[str, str]]


def recorded(trace: Path) -> list[tuple[float, Msg]]:
    """ami.jsonl as the capture saw it, minus the login response and the FullyBooted after it."""
    lines = (trace / "ami.jsonl").read_text(encoding="utf-8").splitlines()
    items = [(d["t"], [tuple(h) for h in d["msg"]]) for d in map(json.loads, lines)]
    assert items[0][1][0][0] == "Response" and items[1][1][0] == ("Event", "FullyBooted")
    return items[2:]


def played_stream(trace: Path) -> bytes:
    """ami.raw after the banner, the login response and the FullyBooted."""
    raw = (trace / "ami.raw").read_bytes()
    booted = raw.index(b"Event: FullyBooted\r\n")
    return raw[raw.index(b"\r\n\r\n", booted) + 4 :]


def header(msg: Msg, key: str) -> str | None:
    return next((v for k, v in msg if k == key), None)


def cdr_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


class Client:
    """A bare AMI client: sends actions, reads messages."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.banner = b""

    @classmethod
    async def connect(cls, port: int) -> Client:
        client = cls(*await asyncio.open_connection("127.0.0.1", port))
        client.banner = await asyncio.wait_for(client.reader.readline(), TIMEOUT)
        return client

    def send(self, *pairs: tuple[str, str], eol: str = "\r\n") -> None:
        self.writer.write("".join(f"{k}: {v}{eol}" for k, v in pairs).encode() + eol.encode())

    async def message(self) -> Msg | None:
        """The next message; None at EOF."""
        msg: Msg = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), TIMEOUT)
            if not line:
                return None
            text = line.decode().rstrip("\r\n")
            if not text:
                return msg
            key, _, value = text.partition(": ")
            msg.append((key, value))

    async def until(self, event: str) -> list[Msg]:
        """Messages up to and including the first ``Event: event``."""
        out: list[Msg] = []
        while (msg := await self.message()) is not None:
            out.append(msg)
            if header(msg, "Event") == event:
                return out
        raise AssertionError(f"EOF before {event}")

    async def login(self, secret: str = SECRET, action_id: str = "login-1") -> list[Msg]:
        self.send(("Action", "Login"), ("ActionID", action_id), ("Username", "callcenter"),
                  ("Secret", secret))  # fmt: skip
        response = await self.message()
        assert response is not None
        if header(response, "Response") != "Success":
            return [response]
        booted = await self.message()
        assert booted is not None
        return [response, booted]

    async def rest(self) -> bytes:
        """Everything until EOF."""
        return await asyncio.wait_for(self.reader.read(), TIMEOUT)

    async def closed_by_server(self) -> bool:
        """EOF (or a reset: the server closed with our bytes unread) and nothing else."""
        try:
            return await self.rest() == b""
        except ConnectionResetError:
            return True

    async def logoff_and_collect(self) -> list[Msg]:
        """Messages received until the answer to a Logoff (then EOF); closes the client."""
        self.send(("Action", "Logoff"), ("ActionID", "bye"))
        out: list[Msg] = []
        while (msg := await self.message()) is not None:
            if header(msg, "Response") == "Goodbye":
                assert await self.message() is None
                await self.close()
                return out
            out.append(msg)
        raise AssertionError("no Goodbye")

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


@pytest.fixture
def answered(traces: Path) -> Path:
    return traces / ANSWERED


async def test_banner_and_login(answered: Path) -> None:
    async with ReplayServer([answered]) as server:
        client = await Client.connect(server.port)
        assert client.banner == b"Asterisk Call Manager/9.0.0\r\n"
        response, booted = await client.login()
        assert response == [("Response", "Success"), ("ActionID", "login-1"),
                            ("Message", "Authentication accepted")]  # fmt: skip
        assert booted == [("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", "6"),
                          ("LastReload", "6"), ("Status", "Fully Booted")]  # fmt: skip
        await client.close()


async def test_failed_login_closes_the_socket(answered: Path) -> None:
    async with ReplayServer([answered], secret="right") as server:
        client = await Client.connect(server.port)
        [response] = await client.login(secret="wrong", action_id="x")
        assert response == [("Response", "Error"), ("ActionID", "x"),
                            ("Message", "Authentication failed")]  # fmt: skip
        assert await client.rest() == b""
        await client.close()


async def test_actions_before_and_after_login(answered: Path) -> None:
    async with ReplayServer([answered]) as server:
        client = await Client.connect(server.port)
        client.send(("Action", "Ping"), ("ActionID", "early"))
        assert await client.message() == [("Response", "Error"), ("ActionID", "early"),
                                          ("Message", "Permission denied")]  # fmt: skip
        await client.login()
        # Ping with bare \n line ends, split over two packets.
        client.writer.write(b"action: ping\nActionID: p-")
        await client.writer.drain()
        await asyncio.sleep(0.01)
        client.writer.write(b"42\n\n")
        pong = await client.message()
        assert pong is not None and pong[:3] == [("Response", "Success"), ("ActionID", "p-42"),
                                                 ("Ping", "Pong")]  # fmt: skip
        assert abs(float(header(pong, "Timestamp") or 0) - time.time()) < 5
        client.send(("Action", "Originate"), ("ActionID", "o"))
        assert await client.message() == [("Response", "Error"), ("ActionID", "o"),
                                          ("Message", "Invalid/unknown command")]  # fmt: skip
        client.send(("Action", "Logoff"))
        assert await client.message() == [("Response", "Goodbye"),
                                          ("Message", "Thanks for all the fish.")]  # fmt: skip
        assert await client.rest() == b""
        await client.close()


async def test_the_answered_trace_plays_every_recorded_event(answered: Path) -> None:
    async with ReplayServer([answered], speed=FAST) as server:
        client = await Client.connect(server.port)
        started = time.monotonic()
        await client.login()
        await server.wait_finished()
        elapsed = time.monotonic() - started
        got = await client.logoff_and_collect()
    expected = recorded(answered)
    assert len(got) == len(expected) == 177
    shift = timedelta(seconds=math.floor(server.time_shift))
    for msg, (_, want) in zip(got, expected):
        if header(want, "Event") == "Cdr":
            for key in ("StartTime", "AnswerTime", "EndTime"):
                if header(want, key):
                    assert cdr_time(header(msg, key)) == cdr_time(header(want, key)) + shift
            msg = [(k, v) for k, v in msg if k not in ("StartTime", "AnswerTime", "EndTime")]
            want = [(k, v) for k, v in want if k not in ("StartTime", "AnswerTime", "EndTime")]
        assert msg == want
    assert expected[-1][0] / FAST * 0.9 < elapsed < expected[-1][0] / FAST + 1.0


async def test_raw_only_trace(answered: Path, tmp_path: Path) -> None:
    for name in ("ami.raw", "connections.jsonl", "cdr.csv"):
        shutil.copy(answered / name, tmp_path / name)
    async with ReplayServer([tmp_path], speed=200) as server:
        client = await Client.connect(server.port)
        await client.login()
        await server.wait_finished()
        got = await client.logoff_and_collect()
    assert [h for h in got if header(h, "Event") != "Cdr"] == [
        m for _, m in recorded(answered) if header(m, "Event") != "Cdr"
    ]


async def test_drop_mid_message_then_relogin(answered: Path, tmp_path: Path) -> None:
    stream = played_stream(answered)
    starts = {0} | {i + 4 for i in range(len(stream)) if stream.startswith(b"\r\n\r\n", i)}
    answer = stream.index(b"Event: DialEnd\r\n")  # t = 4.656: then 10 s of talk
    first_cdr = stream.index(b"Event: Cdr\r\n")  # t = 14.663
    cuts = [answer + 100, first_cdr + 40]  # both inside a message
    cdr_out = tmp_path / "Master.csv"
    async with ReplayServer([answered], speed=FAST, drop_at=cuts, cdr_out=cdr_out) as server:
        client = await Client.connect(server.port)
        await client.login()
        assert await client.rest() == stream[: cuts[0]]  # a truncated DialEnd, then EOF
        await client.close()
        client = await Client.connect(server.port)
        await client.login()
        again = await client.rest()  # from a later event to the middle of the first Cdr
        await client.close()
        await server.wait_finished()
        shift = server.time_shift
    resumed = stream.index(again[:200])
    assert resumed in starts and answer < resumed < first_cdr
    assert again == stream[resumed : cuts[1]]
    assert_master_csv(cdr_out, answered / "cdr.csv", shift)  # the lost Cdr events too


def encode(msg: Msg) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in msg).encode() + b"\r\n"


def assert_master_csv(written: Path, original: Path, shift: float) -> None:
    """Rows equal, quoting included, once the time shift (whole seconds) is undone."""
    out_lines = written.read_text().splitlines()
    want_lines = original.read_text().splitlines()
    assert len(out_lines) == len(want_lines)
    for out_line, want_line in zip(out_lines, want_lines):
        [out], [want] = csv.reader(io.StringIO(out_line)), csv.reader(io.StringIO(want_line))
        undone = out_line
        for index in (9, 10, 11):
            if want[index]:
                moved = cdr_time(want[index]) + timedelta(seconds=math.floor(shift))
                assert cdr_time(out[index]) == moved
                undone = undone.replace(f'"{out[index]}"', f'"{want[index]}"', 1)
        assert undone == want_line


async def test_core_show_channels_mid_call(answered: Path) -> None:
    async with ReplayServer([answered], speed=10) as server:  # 1 s of talk
        client = await Client.connect(server.port)
        await client.login()
        await client.until("BridgeEnter")
        await client.until("BridgeEnter")
        client.send(("Action", "CoreShowChannels"), ("ActionID", "csc-7"))
        answer: list[Msg] = []
        while (msg := await client.message()) is not None:
            if header(msg, "ActionID") == "csc-7":
                answer.append(msg)
                if header(msg, "Event") == "CoreShowChannelsComplete":
                    break
        await client.close()
    assert answer[0] == [("Response", "Success"), ("ActionID", "csc-7"), ("EventList", "start"),
                         ("Message", "Channels will follow")]  # fmt: skip
    channels = {header(m, "Channel"): dict(m) for m in answer[1:-1]}
    assert set(channels) == {"SIP/trunk-00000000", "SIP/8001-00000002"}
    for row in channels.values():
        assert [k for k, _ in answer[1][:3]] == ["Event", "ActionID", "Channel"]
        assert row["Event"] == "CoreShowChannel" and row["Linkedid"] == "1795898248.0"
        assert row["ChannelStateDesc"] == "Up" and len(row["BridgeId"]) == 36
    trunk = channels["SIP/trunk-00000000"]
    assert trunk["Uniqueid"] == "1795898248.0" and trunk["CallerIDName"] == "Zhang Wei"
    assert trunk["Application"] == "Queue" and trunk["ApplicationData"] == "hotline,rt,,,15"
    hours, minutes, seconds = map(int, trunk["Duration"].split(":"))
    assert hours == minutes == 0 and 3 <= seconds <= 13  # since Newchannel (t 1.6), replay time
    assert channels["SIP/8001-00000002"]["BridgeId"] == trunk["BridgeId"]
    assert [k for k, _ in answer[1]] == [
        "Event", "ActionID", "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum",
        "CallerIDName", "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode",
        "Context", "Exten", "Priority", "Uniqueid", "Linkedid", "Application", "ApplicationData",
        "Duration", "BridgeId",
    ]  # fmt: skip
    assert answer[-1] == [("Event", "CoreShowChannelsComplete"), ("ActionID", "csc-7"),
                          ("EventList", "Complete"), ("ListItems", "2")]  # fmt: skip


async def test_events_due_before_login_are_lost_but_tracked(answered: Path) -> None:
    speed = 5.0
    async with ReplayServer([answered], speed=speed, start_on_login=False) as server:
        await asyncio.sleep(3.15 / speed)  # τ ≈ 3 s: the call rings (1.6 - 4.6), nobody listens
        client = await Client.connect(server.port)
        await client.login()
        client.send(("Action", "CoreShowChannels"))
        got = await client.until("CoreShowChannelsComplete")
        await client.close()
    rows = [m for m in got if header(m, "Event") == "CoreShowChannel"]
    assert {header(m, "Channel") for m in rows} == {
        "SIP/trunk-00000000", "SIP/8001-00000002", "SIP/8002-00000001"
    }
    assert {header(m, "ChannelStateDesc") for m in rows} == {"Ring", "Ringing"}
    assert not any(header(m, "Event") == "Newchannel" for m in got)


async def test_timestamps_move_to_the_present(traces: Path) -> None:
    trace = traces / "timestamped_answered"
    async with ReplayServer([trace], speed=FAST) as server:
        client = await Client.connect(server.port)
        before = time.time()
        await client.login()
        await server.wait_finished()
        got = await client.logoff_and_collect()
    expected = recorded(trace)
    assert len(got) == len(expected)
    for msg, (t, want) in zip(got, expected):
        stamp = float(header(msg, "Timestamp") or 0)
        assert before - 0.5 < stamp - t < before + 0.5  # unscaled: t seconds after the start
        delta = stamp - float(header(want, "Timestamp") or 0)
        assert abs(delta - server.time_shift) < 1e-5


async def test_inject_timestamps(answered: Path) -> None:
    async with ReplayServer([answered], speed=FAST, inject_timestamps=True) as server:
        client = await Client.connect(server.port)
        before = time.time()
        _, booted = await client.login()
        await server.wait_finished()
        got = await client.logoff_and_collect()
    assert header(booted, "Timestamp") is None
    for msg, (t, want) in zip(got, recorded(answered), strict=True):
        assert msg[2][0] == "Timestamp" and msg[:2] == want[:2]
        assert before - 0.5 < float(msg[2][1]) - t < before + 0.5
        assert len(msg) == len(want) + 1


async def test_loop_gives_fresh_call_ids(answered: Path) -> None:
    async def one_call(client: Client) -> list[Msg]:
        out: list[Msg] = []
        while (msg := await client.message()) is not None:
            out.append(msg)
            if header(msg, "Event") == "Hangup" and header(msg, "Channel") == "SIP/8001-00000002":
                return out
        raise AssertionError("EOF in a call")

    async with ReplayServer([answered], speed=200, loop=True) as server:
        period = server.loop_period
        client = await Client.connect(server.port)
        await client.login()
        first, second, third = [await one_call(client) for _ in range(3)]
        await client.close()
    assert period == int(period) and period >= server.duration + 1
    assert header(first[0], "Linkedid") == "1795898248.0"
    assert header(second[0], "Linkedid") == f"{1795898248 + period}.0"
    assert header(third[0], "Linkedid") == f"{1795898248 + 2 * period}.0"
    assert len(first) == len(second) == 177
    moved = 0
    for before, after in zip(first, second):
        for (key, old), (same_key, new) in zip(before, after, strict=True):
            assert key == same_key
            if key.lower().endswith(("uniqueid", "linkedid")) and re.fullmatch(r"\d+\.\d+", old):
                epoch, seq = old.split(".")
                assert new == f"{int(epoch) + period}.{seq}"  # Uniqueid, DestLinkedid, UniqueID…
                moved += 1
            elif key not in ("StartTime", "AnswerTime", "EndTime"):
                assert new == old  # BridgeUniqueid (a UUID) included
    assert moved > 300


async def test_a_recorded_restart_closes_and_continues(traces: Path, tmp_path: Path) -> None:
    both = concat_traces([traces / ANSWERED, traces / "abandoned_while_ringing"], tmp_path / "two")
    async with ReplayServer([both], speed=FAST) as server:
        client = await Client.connect(server.port)
        await client.login()
        before = (await client.rest()).split(b"\r\n\r\n")
        assert before[-2].startswith(b"Event: Shutdown\r\nPrivilege: system,all\r\n")
        await client.close()
        client = await Client.connect(server.port)
        _, booted = await client.login()
        assert header(booted, "Uptime") == "0" and header(booted, "LastReload") == "0"
        await server.wait_finished()
        after = await client.logoff_and_collect()
    ids = {header(m, "Uniqueid") for m in after} - {None}
    assert ids and all(not uid.startswith("1795898248.") for uid in ids)  # the second call only
    assert header(after[-1], "Event") == recorded(traces / "abandoned_while_ringing")[-1][1][0][1]


async def test_two_clients_get_every_event(answered: Path) -> None:
    async with ReplayServer([answered], speed=FAST) as server:
        one, two = await Client.connect(server.port), await Client.connect(server.port)
        silent = await Client.connect(server.port)  # connected, never logs in
        await one.login()
        await two.login()
        await server.wait_finished()
        got_one, got_two = await one.logoff_and_collect(), await two.logoff_and_collect()
        silent.send(("Action", "Logoff"))
        assert header(await silent.message() or [], "Response") == "Goodbye"
        await silent.close()
    assert got_one == got_two and len(got_one) == 177


async def test_garbage_does_not_disturb_others(answered: Path) -> None:
    async with ReplayServer([answered], speed=FAST) as server:
        good = await Client.connect(server.port)
        await good.login()
        junk = await Client.connect(server.port)
        junk.writer.write(b"\x00\xff\xfe garbage\r\nno colon here\n\n\r\n")
        assert header(await junk.message() or [], "Message") == "Missing action in request"
        junk.writer.write(b"Action: Login\r\nUsername: callcenter\r\nSecret: " + SECRET.encode())
        junk.writer.write(b"x" * (MAX_LINE + 10))
        assert await junk.closed_by_server()  # dropped for the huge line
        await junk.close()
        rude = await Client.connect(server.port)
        await rude.login()
        rude.writer.transport.abort()  # vanishes mid-playback
        await server.wait_finished()
        got = await good.logoff_and_collect()
    assert len(got) == 177


async def test_once_closes_connections_at_the_end(answered: Path) -> None:
    async with ReplayServer([answered], speed=FAST, once=True) as server:
        client = await Client.connect(server.port)
        await client.login()
        rest = await client.rest()
        await server.wait_finished()
        await client.close()

    def timeless(data: bytes) -> list[bytes]:
        lines = data.split(b"\r\n")
        return [x for x in lines if not x.startswith((b"StartTime:", b"AnswerTime:", b"EndTime:"))]

    assert timeless(rest) == timeless(played_stream(answered))


async def test_drop_closes_everyone_now(answered: Path) -> None:
    async with ReplayServer([answered], speed=1) as server:
        client = await Client.connect(server.port)
        await client.login()
        server.drop()
        assert await client.rest() == b""
        await client.close()


def test_cli_arguments() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["replay", "a", "b", "--speed", "5", "--loop", "--cdr-out", "m.csv"])
    assert args.traces == [Path("a"), Path("b")] and args.speed == 5 and args.loop
    assert args.port == 5038 and args.host == "127.0.0.1" and args.cdr_out == Path("m.csv")
    assert callable(args.func)
    with pytest.raises(SystemExit):
        parser.parse_args(["replay", "a", "--loop", "--once"])


def test_a_trace_file_names_its_folder(traces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["replay", str(traces / "voicemail" / "ami.jsonl")])
    assert args.traces == [traces / "voicemail"]
    stray = tmp_path / "ami.jsonl"
    stray.write_text("{}\n")
    with pytest.raises(SystemExit):
        parser.parse_args(["replay", str(stray)])
    assert "give the trace folder" in capsys.readouterr().err
