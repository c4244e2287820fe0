"""Logging set-up of the command line: plain text for people, one JSON object per line for shippers.

``configure_logging(verbose, fmt)`` is called once by ``cli.main``; ``fmt`` is ``"text"``
(the historical ``time LEVEL logger: message``) or ``"json"``. Without ``verbose`` the level is
INFO for the service and WARNING for the chatty libraries (:data:`QUIET_LIBRARIES`). ``default_log_format()`` reads
``CALLCENTER_LOG_FORMAT`` for the option's default, so a systemd unit can switch formats in
its environment.

A JSON line carries ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
``message`` and every ``extra=`` field of the call (``linkedid``, ``case_id``, …), plus
``exception`` with the traceback when there is one. Messages quote caller-controlled text
(caller ID, voicemail metadata): ``json.dumps`` escapes quotes and control characters, and
the few characters it leaves raw that line splitters still treat as line ends (U+0085,
U+2028, U+2029) and lone surrogates are escaped here, so one record is always exactly one
line of valid UTF-8.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

FORMATS = ("text", "json")
ENV_FORMAT = "CALLCENTER_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose INFO is chatter for an operator (one line per migration step, two lines per
# scheduler tick): shown from WARNING on unless --verbose.
QUIET_LIBRARIES = ("alembic", "apscheduler")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
# Characters json.dumps(ensure_ascii=False) leaves raw but str.splitlines() and some shippers split on.
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line whatever the message contains."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        for raw, escaped in _LINE_BREAKERS.items():
            line = line.replace(raw, escaped)  # only possible inside strings: JSON syntax is ASCII
        # A lone surrogate (undecodable caller ID bytes) would fail the UTF-8 write: \udXXX is valid JSON.
        return line.encode("utf-8", "backslashreplace").decode("utf-8")


def _utc_iso(created: float) -> str:
    moment = datetime.fromtimestamp(created, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def default_log_format(env: Mapping[str, str] | None = None) -> str:
    """``CALLCENTER_LOG_FORMAT`` if it names a known format, else ``text``."""
    value = (os.environ if env is None else env).get(ENV_FORMAT, "").strip().lower()
    return value if value in FORMATS else "text"


def configure_logging(verbose: bool, fmt: str) -> None:
    """Route every log record to stderr in ``fmt`` (``text`` or ``json``); replaces earlier set-ups."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r} (expected one of {', '.join(FORMATS)})")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
