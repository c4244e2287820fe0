"""The live tier: a real Asterisk (built by lab/build-asterisk.sh), sipp phones and callers, and
``callcenter serve``. It runs when ``CALLCENTER_ASTERISK`` names a built Asterisk (its prefix or
its ``sbin/asterisk``) and sipp, espeak-ng and sox are installed; otherwise every test of the
tier is skipped and the header says why."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ENV = "CALLCENTER_ASTERISK"
TOOLS = ("sipp", "espeak-ng", "sox")
RESULTS: list[dict[str, str]] = []  # the scenario table, filled by test_pbx_lab.py


def asterisk_prefix() -> tuple[Path | None, str]:
    """(prefix, reason): the prefix when the tier can run, else None and why not."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None, f"{ENV} is not set (build one with lab/build-asterisk.sh, see docs/operations.md)"
    path = Path(raw)
    if path.name == "asterisk" and path.is_file():
        path = path.parent.parent
    if not os.access(path / "sbin" / "asterisk", os.X_OK):
        return None, f"{ENV}={raw}: no executable sbin/asterisk there"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return None, f"{', '.join(missing)} not installed (Debian: sip-tester espeak-ng sox)"
    return path, f"Asterisk at {path}"


def pytest_report_header(config: pytest.Config) -> str:
    prefix, reason = asterisk_prefix()
    return f"live tier (tests/live): {'runs, ' if prefix else 'skipped: '}{reason}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    prefix, reason = asterisk_prefix()
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.live)
            if prefix is None:
                item.add_marker(pytest.mark.skip(reason=f"live tier: {reason}"))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    prefix, reason = asterisk_prefix()
    if prefix is None:
        terminalreporter.write_line(f"live tier skipped: {reason}")
        return
    if not RESULTS:
        return
    cols = list(RESULTS[0])
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in RESULTS)) for c in cols}
    terminalreporter.section("live tier: the call log against Asterisk's Master.csv")
    terminalreporter.write_line(" | ".join(c.ljust(widths[c]) for c in cols))
    terminalreporter.write_line("-+-".join("-" * widths[c] for c in cols))
    for r in RESULTS:
        terminalreporter.write_line(" | ".join(str(r.get(c, "")).ljust(widths[c]) for c in cols))
