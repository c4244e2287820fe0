"""The AMI link: panoramisk, wrapped so that its known traps cannot hurt (dependencies.md).

- One synchronous callback that only puts ``(headers, arrival_time)`` on an
  ``asyncio.Queue``; the consumer (``Recorder``) is a task the service owns.
- Ready only after a successful Login (a wrong secret is logged, and retried with backoff).
- Reconnect with exponential backoff and one clear log line per attempt; panoramisk's own
  fixed-delay reconnect is replaced.
- A ping watchdog: an unanswered Ping within ``ami_ping_timeout`` drops the link.
- Incremental UTF-8 decoding (panoramisk decodes each TCP chunk alone, which drops a
  Chinese character split between two packets) and a cap on an unterminated message.
- ``close()`` stops everything; no task is left behind.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from panoramisk import Manager
from panoramisk import utils as pm_utils
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from callcenter.ami.events import wanted
from callcenter.config import Config

log = logging.getLogger(__name__)

MAX_PENDING = 1 << 20  # an unterminated message longer than this is discarded
SEPARATOR = "\r\n\r\n"

# Queue items: ("message", headers, arrival) | ("connected", None, t) | ("disconnected", reason, t)
QueueItem = tuple[str, Any, float]


class EventQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The listener → recorder queue, with TCP backpressure instead of dropping events:
    above ``high`` items the socket stops being read, below ``low`` it is read again."""

    def __init__(self, high: int = 50_000, low: int = 10_000) -> None:
        super().__init__()
        self.high, self.low = high, low
        self.paused = False
        self.pause: Callable[[], None] = lambda: None
        self.resume: Callable[[], None] = lambda: None

    def put_nowait(self, item: QueueItem) -> None:
        super().put_nowait(item)
        if not self.paused and self.qsize() >= self.high:
            self.paused = True
            self.pause()

    def get_nowait(self) -> QueueItem:
        item = super().get_nowait()
        if self.paused and self.qsize() <= self.low:
            self.paused = False
            self.resume()
        return item


class HotlineProtocol(AMIProtocol):
    """AMIProtocol with incremental decoding and a bounded buffer."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def data_received(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        if self.version is None and text.startswith("Asterisk Call Manager/"):
            line, _, text = text.partition("\r\n")
            self.version = line.partition("/")[2].strip()
            self.log.info("AMI protocol version %s", self.version)
        buffer = self._pending + text
        parts = buffer.split(SEPARATOR)
        self._pending = parts.pop()
        if len(self._pending) > MAX_PENDING:
            log.warning("AMI: discarding %d bytes without a message end", len(self._pending))
            self._pending = ""
        for part in parts:
            part = part.strip()
            if not part:
                continue
            try:
                message = Message.from_line(part)
            except Exception:  # noqa: BLE001 - a malformed message must not kill the link
                log.warning("AMI: unparsable message skipped (%d bytes)", len(part))
                continue
            if message is None:
                log.warning("AMI: message without Event/Response skipped: %.80r", part)
                continue
            try:
                self.handle_message(message)
            except Exception:  # noqa: BLE001
                log.exception("AMI: error handling a message; skipped")


class HotlineManager(Manager):
    """panoramisk's Manager with backoff reconnects under our control."""

    def __init__(self, link: AmiLink, **config: Any) -> None:
        self._link = link
        super().__init__(**config)

    def connection_made(self, f: asyncio.Future) -> None:  # type: ignore[override]
        try:
            f.result()
        except OSError as exc:
            self._link._schedule_reconnect(f"connect failed: {exc.strerror or exc}")
            return
        except asyncio.CancelledError:
            return
        super().connection_made(f)
        if self.authenticated_future is not None:
            self.authenticated_future.add_done_callback(self._link._login_done)

    def connection_lost(self, exc: Any) -> None:
        self._connected = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        reason = "Asterisk shut down" if isinstance(exc, Message) else f"connection lost ({exc or 'EOF'})"
        self._link._lost(reason)

    def ping(self) -> None:  # the watchdog pings; panoramisk's blind pinger is off
        self.pinger = None


class AmiLink:
    """Owns the panoramisk Manager, the event queue, the watchdog and the reconnects."""

    def __init__(
        self,
        config: Config,
        *,
        queue: EventQueue | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.queue = queue or EventQueue()
        self.queue.pause, self.queue.resume = self._pause_reading, self._resume_reading
        self.clock = clock
        self.ready = asyncio.Event()
        self.reconnects = 0
        self.login_failures = 0
        self.received = 0  # every message from the PBX, wanted or not
        self.last_event_at: float | None = None
        self._closing = False
        self._attempt = 0
        self._reconnect_handle: asyncio.TimerHandle | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self.manager = HotlineManager(
            self,
            host=config.ami_host,
            port=config.ami_port,
            username=config.ami_username,
            secret=config.ami_secret,
            ping_delay=10**9,
            reconnect_timeout=10**9,
            protocol_factory=HotlineProtocol,
            forgetable_actions=("ping", "login", "coreshowchannels", "queuestatus", "devicestatelist",
                                "pjsipshowcontacts"),  # the clerk board's snapshot: asked again at login
        )
        self.manager.register_event("*", self._on_message)
        # FullyBooted re-sends "awaiting actions" in panoramisk; we never queue any.
        self.manager.callbacks["FullyBooted"].clear()

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        self.manager.loop = asyncio.get_running_loop()
        self.manager.connect()
        self._watchdog = asyncio.create_task(self._watch(), name="ami-watchdog")

    async def close(self) -> None:
        self._closing = True
        if self._reconnect_handle:
            self._reconnect_handle.cancel()
        if self._watchdog:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
        self.ready.clear()
        self.manager.close()
        await asyncio.sleep(0)

    # -- callbacks from panoramisk (synchronous, never raise) ------------------------
    def _on_message(self, _manager: Manager, message: Message) -> None:
        self.received += 1
        self.last_event_at = self.clock()
        try:
            store = message._store  # panoramisk's CaseInsensitiveDict: lower key -> (key, value)
            name = store.get("event")
            variable = store.get("variable")
            if name is None or not wanted(name[1], variable[1] if variable else None):
                return
            headers = {k: (v[0] if type(v) is list else v) for k, v in store.values()}
            self.queue.put_nowait(("message", headers, self.clock()))
        except Exception:  # noqa: BLE001 - never let an exception reach panoramisk
            log.exception("AMI: could not enqueue a message")

    def _pause_reading(self) -> None:
        protocol = getattr(self.manager, "protocol", None)
        if protocol is not None and not protocol.closed:
            log.warning("AMI: %d events waiting; pausing the socket until they are stored", self.queue.qsize())
            protocol.transport.pause_reading()

    def _resume_reading(self) -> None:
        protocol = getattr(self.manager, "protocol", None)
        if protocol is not None and not protocol.closed:
            protocol.transport.resume_reading()

    def _login_done(self, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        try:
            response = future.result()
        except Exception as exc:  # noqa: BLE001
            log.warning("AMI: login got no answer: %s", exc)
            return
        if getattr(response, "success", False):
            self._attempt = 0
            log.info("AMI: logged in to %s:%s as %s", self.config.ami_host, self.config.ami_port, self.config.ami_username)
            self.ready.set()
            self.queue.put_nowait(("connected", None, self.clock()))
        else:
            self.login_failures += 1
            message = response.get("Message", "refused") if hasattr(response, "get") else "refused"
            log.error("AMI: login as %r refused: %s", self.config.ami_username, message)
            self.manager.close()
            self._lost("login refused")

    def _lost(self, reason: str) -> None:
        was_ready = self.ready.is_set()
        self.ready.clear()
        if was_ready:
            self.queue.put_nowait(("disconnected", reason, self.clock()))
        if self._closing:
            return
        self._schedule_reconnect(reason)

    def _schedule_reconnect(self, reason: str) -> None:
        if self._closing or self._reconnect_handle is not None:
            return
        delay = min(self.config.ami_reconnect_max, self.config.ami_reconnect_min * (2 ** self._attempt))
        delay *= random.uniform(0.8, 1.2)
        self._attempt = min(self._attempt + 1, 16)
        self.reconnects += 1
        log.warning("AMI: %s; reconnecting to %s:%s in %.1f s", reason, self.config.ami_host, self.config.ami_port, delay)
        self._reconnect_handle = asyncio.get_running_loop().call_later(delay, self._reconnect)

    def _reconnect(self) -> None:
        self._reconnect_handle = None
        if not self._closing:
            self.manager.connect()

    # -- actions -----------------------------------------------------------------------
    async def action(self, action: dict[str, str], *, timeout: float | None = None, as_list: bool = False) -> Any:
        """Send an action on the ready link; raises TimeoutError or ConnectionError."""
        if not self.ready.is_set():
            raise ConnectionError("AMI link not ready")
        future = self.manager.send_action(action, as_list=as_list)
        return await asyncio.wait_for(future, timeout or self.config.ami_ping_timeout)

    async def core_show_channels(self, timeout: float = 10.0) -> list[dict[str, str]]:
        response = await self.action({"Action": "CoreShowChannels"}, timeout=timeout, as_list=True)
        messages = response if isinstance(response, list) else [response]
        return [
            {k: (v[0] if isinstance(v, list) else v) for k, v in m.items()}
            for m in messages
            if m.get("Event") == "CoreShowChannel"
        ]

    def drop(self, reason: str) -> None:
        """Close the current connection; the reconnect logic takes over."""
        protocol = getattr(self.manager, "protocol", None)
        if protocol is not None and not protocol.closed:
            log.warning("AMI: dropping the connection: %s", reason)
            protocol.transport.close()

    async def _watch(self) -> None:
        interval, timeout = self.config.ami_ping_interval, self.config.ami_ping_timeout
        while True:
            await asyncio.sleep(interval)
            if not self.ready.is_set():
                continue
            protocol = getattr(self.manager, "protocol", None)
            try:
                await self.action({"Action": "Ping"}, timeout=timeout)
            except (asyncio.TimeoutError, TimeoutError):
                # Only if the connection that was pinged is still the current one (a ping sent
                # just before a reconnect is never answered, and says nothing about the new link).
                if getattr(self.manager, "protocol", None) is protocol:
                    self.drop(f"no answer to Ping within {timeout:g} s")
            except ConnectionError:
                continue
            except Exception:  # noqa: BLE001 - the watchdog must survive
                log.exception("AMI: watchdog ping failed")


# panoramisk.testing flips this for the whole process; refuse to run if that happened.
assert pm_utils.EOL == "\r\n", "panoramisk.testing changed EOL: do not import it"
