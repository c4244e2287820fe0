"""The AMI replay server: a TCP server that speaks AMI like Asterisk and plays recorded traces.

A message at replay time τ (see ``playlist``) is emitted at ``replay_start + τ / speed``, with
``replay_start`` the first successful login (``start_on_login``) or the server start.
Messages due while no client is logged in are lost, as with a real Asterisk, but still
update the channel table (CoreShowChannels) and ``cdr_out`` (Master.csv). ``drop_at`` offsets
count the bytes of every played message as serialised on the wire, across the whole playlist,
whether or not a client received them; the login response and FullyBooted, which the server
generates per login, are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hmac
import logging
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from callcenter.ami.channel_table import ChannelTable
from callcenter.ami.member_table import MemberTable
from callcenter.ami.playlist import Step, concat_traces, loop_period, timeline
from callcenter.ami.trace import BANNER, Message, TraceError, load_trace
from callcenter.ami.wire import ActionReader, Headers, ProtocolError, encode_message, get, header

__all__ = ["ReplayServer", "concat_traces", "register", "run"]

log = logging.getLogger(__name__)

MAX_BACKLOG = 8 * 1024 * 1024  # unsent bytes after which a slow client is dropped
AUTH_FAILURE_DELAY = 0.2  # seconds between "Authentication failed" and closing
CLOSE_GRACE = 1.0  # seconds a closing server lets clients take their last bytes
_YIELD_EVERY = 200  # messages emitted in a row before letting clients be served
_LISTS = frozenset({"queuestatus", "devicestatelist", "pjsipshowcontacts"})  # member_table.py


def _reply(action: Headers, status: str, *pairs: tuple[str, str]) -> bytes:
    """A response to ``action``: ``Response: status``, its ActionID echoed, then ``pairs``."""
    action_id = header(action, "ActionID")
    echo = (("ActionID", action_id),) if action_id else ()
    return encode_message((("Response", status),) + echo + pairs)


def _fully_booted(recorded: Message | None) -> bytes:
    """What Asterisk sends after a login, with the recorded connection's Uptime/LastReload."""
    times = [(key, (recorded and recorded.get(key)) or "0") for key in ("Uptime", "LastReload")]
    return encode_message(
        (("Event", "FullyBooted"), ("Privilege", "system,all"), *times, ("Status", "Fully Booted"))
    )


@dataclass(eq=False)
class _Session:
    writer: asyncio.StreamWriter
    logged_in: bool = False
    classes: frozenset[str] | None = None  # event classes wanted; None = all
    closed: bool = False

    def send(self, data: bytes) -> None:
        if self.closed or not data:
            return
        if self.writer.transport.is_closing():  # the peer went away
            self.closed, self.logged_in = True, False
            return
        self.writer.write(data)
        if self.writer.transport.get_write_buffer_size() > MAX_BACKLOG:
            log.warning("replay: client too slow, dropped")
            self.closed, self.logged_in = True, False
            self.writer.transport.abort()

    def wants(self, headers: Headers) -> bool:
        if not self.logged_in or self.classes is None:
            return self.logged_in
        privilege = set((get(headers, "Privilege") or "").split(","))
        return bool(privilege & self.classes)

    def close(self) -> None:
        self.closed, self.logged_in = True, False
        self.writer.close()


def _event_classes(value: str) -> frozenset[str] | None:
    value = value.strip().lower()
    if value in ("", "on", "yes", "true", "all", "1"):
        return None
    if value in ("off", "no", "false", "0", "none"):
        return frozenset()
    return frozenset(part.strip() for part in value.split(","))


class ReplayServer:
    """A fake Asterisk: AMI over TCP, playing recorded traces (see the module docstring)."""

    def __init__(
        self,
        traces: list[Path],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        loop: bool = False,
        username: str = "callcenter",
        secret: str = "callcenter-secret",
        cdr_out: Path | None = None,
        inject_timestamps: bool = False,
        drop_at: Iterable[int] = (),
        start_on_login: bool = True,
        once: bool = False,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        if loop and once:
            raise ValueError("loop and once exclude each other")
        self.traces = [load_trace(Path(path)) for path in traces]
        if not self.traces:
            raise ValueError("no traces to play")
        self.duration = sum(trace.duration for trace in self.traces)
        if loop and self.duration <= 0:
            raise ValueError("nothing to loop: the playlist lasts 0 s")
        self.loop_period = loop_period(self.traces)
        self._host, self._port, self._speed = host, port, speed
        self._loop, self._once, self._start_on_login = loop, once, start_on_login
        self._username, self._secret = username, secret
        self._cdr_path, self._inject = cdr_out, inject_timestamps
        self._drops = sorted(set(drop_at))
        self._banner = (self.traces[0].banner or BANNER).encode() + b"\r\n"
        self._booted = self.traces[0].connections[0].fully_booted
        self._channels = ChannelTable()
        self._members = MemberTable()  # QueueStatus / DeviceStateList answers
        self._sessions: set[_Session] = set()
        self._tasks: set[asyncio.Task] = set()
        self._server: asyncio.Server | None = None
        self._player: asyncio.Task | None = None
        self._cdr_file = None
        self._began = asyncio.Event()
        self._finished = asyncio.Event()
        self._failure: BaseException | None = None
        self._closing = False
        self._start_mono = self._start_wall = 0.0
        self.played_bytes = 0  # bytes of played messages so far (what drop_at counts)
        self.drops_done = 0  # drop_at offsets reached so far
        self.drops_effective = 0  # of those, the ones that closed a logged-in connection
        self.mute_actions = False  # when set, actions get no answer (a hung PBX)

    async def __aenter__(self) -> ReplayServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return self._server.sockets[0].getsockname()[1]

    @property
    def time_shift(self) -> float:
        """S of the first trace: replay start minus recording start (wall clock)."""
        return self._start_wall - self.traces[0].recording_start

    @functools.cached_property
    def total_bytes(self) -> int:
        """Bytes of one pass over the playlist as played: the range of useful drop_at offsets."""
        start = self._start_wall or self.traces[0].recording_start
        return sum(
            len(encode_message(step.headers(start, self.loop_period, inject=self._inject)))
            for step in timeline(self.traces)
            if step.message is not None
        )

    def replay_time(self) -> float:
        """τ now: unscaled seconds of the playlist played so far."""
        if not self._began.is_set():
            return 0.0
        return (asyncio.get_running_loop().time() - self._start_mono) * self._speed

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        if self._cdr_path is not None:
            self._cdr_file = open(  # noqa: SIM115 - open for the server's lifetime
                self._cdr_path, "a", encoding="utf-8", errors="surrogateescape", newline=""
            )
        self._player = asyncio.create_task(self._play(), name="replay-player")
        if not self._start_on_login:
            self._begin()

    async def wait_finished(self) -> None:
        """Until the last message of the last trace is played (the first pass when looping)."""
        await self._finished.wait()
        if self._failure is not None:
            raise self._failure

    def drop(self) -> None:
        """Close every client connection now."""
        for session in list(self._sessions):
            session.close()

    async def close(self) -> None:
        self._closing = True
        if self._player is not None:
            self._player.cancel()
            await asyncio.gather(self._player, return_exceptions=True)
        if self._server is not None:
            self._server.close()
        self.drop()
        await self._reap_clients()
        if self._server is not None:
            await self._server.wait_closed()
        if self._cdr_file is not None:
            self._cdr_file.close()
            self._cdr_file = None

    async def _reap_clients(self) -> None:
        """Let the connection tasks end (their sockets are closing); abort the stuck ones."""
        for _ in range(2):
            if not self._tasks:
                return
            _, pending = await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE)
            if not pending:
                return
            for session in list(self._sessions):
                session.writer.transport.abort()  # a client that reads nothing
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- clients ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(writer)
        task = asyncio.current_task()
        if self._closing or task is None:
            session.close()
            return
        self._tasks.add(task)
        self._sessions.add(session)
        try:
            session.send(self._banner)
            actions = ActionReader()
            while not session.closed and (data := await reader.read(65536)):
                for action in actions.feed(data):
                    await self._handle(session, action)
                    if session.closed:
                        break
        except ProtocolError as exc:
            log.warning("replay: client dropped: %s", exc)
        except (ConnectionError, asyncio.CancelledError):
            pass  # not re-raised: asyncio 3.11 logs a cancelled client_connected_cb as an error
        except Exception:
            log.exception("replay: client handler failed")
        finally:
            self._sessions.discard(session)
            self._tasks.discard(task)
            session.close()

    async def _handle(self, session: _Session, action: Headers) -> None:
        name = header(action, "Action").lower()
        if self.mute_actions:
            log.debug("replay: muted, %r not answered", name)
        elif not name:
            session.send(_reply(action, "Error", ("Message", "Missing action in request")))
        elif name == "login":
            await self._login(session, action)
        elif name == "logoff":
            session.send(_reply(action, "Goodbye", ("Message", "Thanks for all the fish.")))
            session.close()
        elif not session.logged_in:
            session.send(_reply(action, "Error", ("Message", "Permission denied")))
        elif name == "ping":
            stamp = ("Timestamp", f"{time.time():.6f}")
            session.send(_reply(action, "Success", ("Ping", "Pong"), stamp))
        elif name == "coreshowchannels":
            session.send(self._core_show_channels(action))
        elif name in _LISTS:
            session.send(self._list(action, name))
        else:
            session.send(_reply(action, "Error", ("Message", "Invalid/unknown command")))

    async def _login(self, session: _Session, action: Headers) -> None:
        user_ok = hmac.compare_digest(header(action, "Username").encode(), self._username.encode())
        secret_ok = hmac.compare_digest(header(action, "Secret").encode(), self._secret.encode())
        if not (user_ok and secret_ok):
            session.send(_reply(action, "Error", ("Message", "Authentication failed")))
            await asyncio.sleep(AUTH_FAILURE_DELAY)
            session.close()
            return
        session.classes = _event_classes(header(action, "Events"))
        session.send(_reply(action, "Success", ("Message", "Authentication accepted")))
        session.send(_fully_booted(self._booted))
        session.logged_in = True
        if self._start_on_login and not self._began.is_set():
            self._begin()

    def _core_show_channels(self, action: Headers) -> bytes:
        echo = (("ActionID", header(action, "ActionID")),) if header(action, "ActionID") else ()
        rows = self._channels.rows(self.replay_time())
        listack = (("EventList", "start"), ("Message", "Channels will follow"))
        out = [_reply(action, "Success", *listack)]
        out += [encode_message((("Event", "CoreShowChannel"),) + echo + row) for row in rows]
        complete = (("EventList", "Complete"), ("ListItems", str(len(rows))))
        out.append(encode_message((("Event", "CoreShowChannelsComplete"),) + echo + complete))
        return b"".join(out)

    def _list(self, action: Headers, name: str) -> bytes:
        """QueueStatus / DeviceStateList / PJSIPShowContacts: what the played events told."""
        row_event, complete, rows = {
            "queuestatus": ("QueueMember", "QueueStatusComplete", self._members.queue_members()),
            "devicestatelist": ("DeviceStateChange", "DeviceStateListComplete", self._members.devices()),
            "pjsipshowcontacts": ("ContactList", "ContactListComplete", []),
        }[name]  # fmt: skip
        echo = (("ActionID", header(action, "ActionID")),) if header(action, "ActionID") else ()
        out = [_reply(action, "Success", ("EventList", "start"), ("Message", "List will follow"))]
        out += [encode_message((("Event", row_event),) + echo + tuple(row)) for row in rows]
        done = (("EventList", "Complete"), ("ListItems", str(len(rows))))
        out.append(encode_message((("Event", complete),) + echo + done))
        return b"".join(out)

    # -- playing ---------------------------------------------------------------------------

    def _begin(self) -> None:
        self._start_mono = asyncio.get_running_loop().time()
        self._start_wall = time.time()
        self._began.set()
        log.info("replay: playing %d traces at speed %g", len(self.traces), self._speed)

    async def _play(self) -> None:
        try:
            await self._began.wait()
            loop = asyncio.get_running_loop()
            in_a_row = 0
            for step in timeline(self.traces, loop=self._loop):
                delay = self._start_mono + step.tau / self._speed - loop.time()
                if delay > 0 or in_a_row >= _YIELD_EVERY:
                    await asyncio.sleep(max(delay, 0))
                    in_a_row = 0
                in_a_row += 1
                self.run_step(step)
                if step.last:
                    self._finished.set()
                    if self._once:
                        self.drop()
                        assert self._server is not None
                        self._server.close()
                        return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("replay: playback failed")
            self._failure = exc
        self._finished.set()

    def run_step(self, step: Step) -> None:
        """Apply one step of the timeline now (the player calls this at the step's time)."""
        if step.booted is not None:
            self._booted = step.booted
        if step.restart:
            log.info("replay: recorded Asterisk restart, closing every connection")
            self.drop()
            self._channels.clear()
            self._members.clear()
        if step.message is None:
            return
        headers = step.headers(self._start_wall, self.loop_period, inject=self._inject)
        self._channels.apply(headers, step.tau)
        self._members.apply(headers)
        if self._cdr_file is not None and get(headers, "Event") == "Cdr":
            self._cdr_file.write(step.cdr_row(self._start_wall, self.loop_period).encode())
            self._cdr_file.flush()
        self._emit(encode_message(headers), headers)

    def _emit(self, data: bytes, headers: Headers) -> None:
        start, done = self.played_bytes, 0
        self.played_bytes += len(data)
        while self._drops and self._drops[0] <= self.played_bytes:
            cut = max(self._drops.pop(0) - start, 0)
            if cut > done:
                self._broadcast(data[done:cut], headers)
                done = cut
            log.info("replay: dropping every connection at byte %d", start + cut)
            self.drops_done += 1
            self.drops_effective += any(session.logged_in for session in self._sessions)
            self.drop()
        self._broadcast(data[done:], headers)

    def _broadcast(self, data: bytes, headers: Headers) -> None:
        for session in list(self._sessions):
            if session.wants(headers):
                session.send(data)


# -- command line -------------------------------------------------------------------------


def _trace_folder(value: str) -> Path:
    """A trace is a folder (connections.jsonl, ami.jsonl, ...); a file of one names its folder."""
    path = Path(value)
    if path.is_file():
        if not (path.parent / "connections.jsonl").is_file():
            raise argparse.ArgumentTypeError(f"{value} is a file, and its folder holds no trace: give the trace folder")
        return path.parent
    return path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay", help="play recorded AMI traces as a fake Asterisk",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("traces", nargs="+", type=_trace_folder, metavar="TRACE",
                        help="trace folder (or a file in it, e.g. its ami.jsonl)")  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5038)
    parser.add_argument("--speed", type=float, default=1.0, help="time factor (default 1)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--loop", action="store_true", help="start over forever, fresh call ids")
    mode.add_argument("--once", action="store_true", help="exit after the last message")
    parser.add_argument("--username", default="callcenter")
    parser.add_argument("--secret", default="callcenter-secret")
    parser.add_argument("--cdr-out", type=Path, metavar="PATH", help="append Master.csv rows")
    parser.add_argument("--timestamps", action="store_true", help="add Timestamp to events")
    parser.add_argument("--drop-at", type=int, action="append", default=[], metavar="BYTE",
                        help="close every connection at this offset of the played stream")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = dict(host=args.host, port=args.port, speed=args.speed, loop=args.loop,
                   once=args.once, username=args.username, secret=args.secret,
                   cdr_out=args.cdr_out, inject_timestamps=args.timestamps, drop_at=args.drop_at)  # fmt: skip
    try:
        server = ReplayServer(args.traces, **options)
    except (TraceError, ValueError) as exc:
        log.error("replay: %s", exc)
        return 2
    try:
        return asyncio.run(_serve_until_stopped(server, args.host, once=args.once))
    except OSError as exc:
        log.error("replay: %s", exc)
        return 1


async def _serve_until_stopped(server: ReplayServer, host: str, *, once: bool) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        log.info("replay: listening on %s:%d, %d traces", host, server.port, len(server.traces))
        stopped = asyncio.create_task(stop.wait())
        finished = asyncio.create_task(server.wait_finished())
        try:
            done, _ = await asyncio.wait({stopped, finished}, return_when=asyncio.FIRST_COMPLETED)
            if finished in done:
                finished.result()  # raises if the playback failed
                if not once:
                    await stopped
        except Exception:
            log.error("replay: stopped after a failure")
            return 1
        finally:
            for task in (stopped, finished):
                task.cancel()
            await asyncio.gather(stopped, finished, return_exceptions=True)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    return 0
