"""The AMI wire format: messages are ``Key: Value`` lines ended by an empty line.

Server to client, lines end with ``\\r\\n``; from clients, ``\\n`` is accepted too, and actions
may arrive split or several to a packet. Header order and duplicate keys are kept.
"""

from __future__ import annotations

Headers = tuple[tuple[str, str], ...]

MAX_LINE = 64 * 1024  # a longer line from a client is a protocol error
MAX_HEADERS = 128  # further headers of one action are ignored, as by Asterisk


class ProtocolError(Exception):
    """A client broke the framing (a line over MAX_LINE)."""


def get(headers: Headers, key: str) -> str | None:
    """The first value of ``key`` (exact case, as in Asterisk's events), or None."""
    for name, value in headers:
        if name == key:
            return value
    return None


def header(action: Headers, key: str) -> str:
    """An action header by case-insensitive name, '' when absent, as Asterisk reads actions."""
    wanted = key.lower()
    return next((value for name, value in action if name.lower() == wanted), "")


def encode_message(headers: Headers) -> bytes:
    """One message as on the wire: ``Key: Value\\r\\n`` lines and an empty line."""
    text = "".join(f"{key}: {value}\r\n" for key, value in headers) + "\r\n"
    return text.encode("utf-8", "surrogateescape")


def decode_message(block: bytes) -> Headers:
    """The headers of one recorded message block (without its terminating empty line)."""
    headers = []
    for line in block.decode("utf-8", "surrogateescape").split("\r\n"):
        key, _, value = line.partition(":")
        headers.append((key, value[1:] if value.startswith(" ") else value))
    return tuple(headers)


class ActionReader:
    """Splits what a client sends into actions, whatever the chunking and line ends."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._headers: list[tuple[str, str]] = []

    def feed(self, data: bytes) -> list[Headers]:
        """The actions completed by ``data``; raises ProtocolError on an overlong line."""
        self._buffer += data
        actions: list[Headers] = []
        start = 0
        while (newline := self._buffer.find(b"\n", start)) >= 0:
            if newline - start > MAX_LINE:
                raise ProtocolError("line too long")
            line = bytes(self._buffer[start:newline]).rstrip(b"\r")
            start = newline + 1
            if not line.strip():
                if self._headers:
                    actions.append(tuple(self._headers))
                    self._headers = []
            elif len(self._headers) < MAX_HEADERS:
                key, _, value = line.decode("utf-8", "replace").partition(":")
                self._headers.append((key.strip(), value.strip()))
        del self._buffer[:start]
        if len(self._buffer) > MAX_LINE:
            raise ProtocolError("line too long")
        return actions
