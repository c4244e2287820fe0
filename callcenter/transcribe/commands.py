"""Sub-commands of the transcription package: ``callcenter extract TEXT [--json]``.

``register`` calls one private ``_add_<command>`` per sub-command; add a new command
by writing its ``_add_…`` / ``_run_…`` pair and one line in ``register``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from callcenter.phones import shown
from callcenter.transcribe.extract import (
    default_gazetteer,
    default_keywords,
    extract,
    load_gazetteer,
    load_keywords,
)


def register(subparsers: Any) -> None:
    """Add this package's sub-commands to the ``callcenter`` parser."""
    from callcenter.transcribe.transcribe_command import add_transcribe_parser

    add_transcribe_parser(subparsers)
    _add_extract(subparsers)


def _add_extract(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "extract",
        help="read phones, address, temperature, category and station from a transcript",
        epilog="'case' is what the category pre-sets on a voicemail's draft case (keywords.toml). Reads the "
               "packaged tables or the files given, not the tables edited in the panel (try those there).",
        description="Extract draft-case fields from a Chinese transcript (offline).",
    )
    parser.add_argument("text", metavar="TEXT", help="the transcript; '-' reads it from standard input")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keywords", type=Path, metavar="FILE", help="keyword table (default: packaged)")
    parser.add_argument("--gazetteer", type=Path, metavar="FILE", help="gazetteer (default: packaged demo)")
    parser.set_defaults(func=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    keywords = load_keywords(args.keywords) if args.keywords else default_keywords()
    gazetteer = load_gazetteer(args.gazetteer) if args.gazetteer else default_gazetteer()
    extracted = extract(text, keywords=keywords, gazetteer=gazetteer)
    fields = extracted.to_dict()
    hint = keywords.hint(fields["category"])
    if args.json:
        print(json.dumps({"text": text, "extracted": fields, "case": dataclasses.asdict(hint)}, ensure_ascii=False))
        return 0
    address = fields["address"]
    station = fields["station"]
    if station and gazetteer.demo:
        station += f" (demo gazetteer {gazetteer.source})"
    lines = [
        ("phones", ", ".join(shown(p) for p in extracted.callback_first())),  # the callback number first
        *((name, address[name]) for name in ("compound", "building", "unit", "room")),
        ("temperature_c", fields["temperature_c"]),
        ("category", fields["category"]),
        ("case", ", ".join(filter(None, (hint.kind, "urgent" if hint.urgent else "", hint.severity)))),
        ("station", station),
    ]
    for name, value in lines:
        print(f"{name + ':':<15}{'-' if value in (None, '') else value}")
    return 0
