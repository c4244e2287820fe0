"""Structured logs: one JSON object per line, whatever a caller puts in their caller ID."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from callcenter.logs import QUIET_LIBRARIES, JsonFormatter, configure_logging, default_log_format

HOSTILE_CALLER_IDS = [
    'Zhang "Wei" \\ <13909511234>',
    'x"}\n{"level": "CRITICAL", "message": "forged"}',
    "line\r\nInjected: header",
    "sep\u2028arator\u2029para\u0085nel",
    "ctl\x00\x1b[31mred\x1c\x1d\x1e\x7f",
    "王丽\ud800 lone surrogate",
    "%s %d %(name)s",
]


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("callcenter.ami.recorder", logging.INFO, __file__, 1, msg, args or None, None)
    rec.__dict__.update(extra)
    return rec


@pytest.mark.parametrize("caller", HOSTILE_CALLER_IDS)
def test_hostile_caller_id_stays_on_one_line(caller: str) -> None:
    rec = record("call %s from %r: answered", "1700000000.12", caller, linkedid="1700000000.12")
    line = JsonFormatter().format(rec)
    assert len(line.splitlines()) == 1 and "\n" not in line and "\r" not in line
    line.encode("utf-8")  # writable as UTF-8 (no lone surrogate left raw)
    entry = json.loads(line)
    assert entry["message"] == f"call 1700000000.12 from {caller!r}: answered"
    assert entry["level"] == "INFO" and entry["logger"] == "callcenter.ami.recorder"
    assert entry["linkedid"] == "1700000000.12"
    assert set(entry) == {"time", "level", "logger", "message", "linkedid"}


def test_hostile_text_in_extra_fields_and_message_itself() -> None:
    caller = HOSTILE_CALLER_IDS[1] + HOSTILE_CALLER_IDS[3]
    line = JsonFormatter().format(record(caller, caller_name=caller, numbers=[caller, 1]))
    assert len(line.splitlines()) == 1
    entry = json.loads(line)
    assert entry["message"] == caller and entry["caller_name"] == caller and entry["numbers"] == [caller, 1]


def test_time_is_utc_iso_with_milliseconds() -> None:
    rec = record("hello")
    rec.created = 1_760_000_000.25
    assert json.loads(JsonFormatter().format(rec))["time"] == "2025-10-09T08:53:20.250Z"


def test_exception_is_kept_escaped() -> None:
    try:
        raise ValueError('bad "value"\nsecond line')
    except ValueError:
        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = JsonFormatter().format(rec)
    assert len(line.splitlines()) == 1
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and "Traceback" in entry["exception"]
    assert 'ValueError: bad "value"\nsecond line' in entry["exception"]


def test_unserialisable_extra_falls_back_to_str() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "p"

    entry = json.loads(JsonFormatter().format(record("x", path=Opaque())))
    assert entry["path"] == "p"


def test_default_format_from_environment() -> None:
    assert default_log_format({}) == "text"
    assert default_log_format({"CALLCENTER_LOG_FORMAT": "JSON"}) == "json"
    assert default_log_format({"CALLCENTER_LOG_FORMAT": "xml"}) == "text"


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    yield root
    for name, old in libraries.items():
        logging.getLogger(name).setLevel(old)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_configure_logging_json(root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(False, "json")
    configure_logging(False, "json")  # a second call replaces, it does not add a handler
    assert len(root_logger.handlers) == 1
    log = logging.getLogger("callcenter.test")
    log.debug("not shown")
    log.info("call %s from %r", "17.1", HOSTILE_CALLER_IDS[1], extra={"linkedid": "17.1"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["linkedid"] == "17.1"


def test_configure_logging_text_and_verbose(root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(True, "text")
    logging.getLogger("callcenter.test").debug("details %d", 7)
    assert stream.getvalue().rstrip().endswith("DEBUG callcenter.test: details 7")
    with pytest.raises(ValueError, match="unknown log format"):
        configure_logging(False, "xml")


def test_library_info_is_kept_out_unless_verbose(root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(False, "text")
    logging.getLogger("apscheduler.executors.default").info("Running job sweep_job")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0001 -> 0002")
    logging.getLogger("apscheduler.scheduler").warning("job missed")
    logging.getLogger("callcenter.db.migrate").info("database schema at heads")
    shown = stream.getvalue()
    assert "Running" not in shown and "job missed" in shown and "schema at heads" in shown
    configure_logging(True, "text")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0002 -> 0003")
    assert "0002 -> 0003" in stream.getvalue()
