"""``callcenter transcribe FILE... [--json]``: run recordings through the Vosk model.

The model (``--model`` or ``CALLCENTER_VOSK_MODEL``) is loaded once for all files. A
file that cannot be transcribed is reported and the others still run; the exit code
is then 1. No usable model: exit code 2. FILE may also be a message base path without
extension (``.../INBOX/msg0000``): its best recording is used.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from callcenter.config import load_config

log = logging.getLogger(__name__)

Extractor = Callable[[str], dict[str, Any]]
EXTRACT_MODULE = "callcenter.transcribe.extract"


def add_transcribe_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``transcribe`` sub-command to ``subparsers`` (from ``add_subparsers``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "transcribe",
        help="transcribe voicemail recordings with the Vosk model",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="recording(s)")
    parser.add_argument(
        "--model", type=Path, help="Vosk model directory (default: CALLCENTER_VOSK_MODEL)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line per file")
    parser.set_defaults(func=run_transcribe)
    return parser


def run_transcribe(
    args: argparse.Namespace,
    *,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Transcribe ``args.files``; returns the exit code (0 ok, 1 a file failed, 2 no model)."""
    # Imported here so that building the CLI parser does not load vosk and numpy.
    from callcenter.transcribe.engine import ModelError, load_model

    out = out or sys.stdout
    err = err or sys.stderr
    model_path = args.model or load_config(env).vosk_model
    if model_path is None:
        print("callcenter transcribe: no Vosk model: pass --model DIR or set "
              "CALLCENTER_VOSK_MODEL", file=err)
        return 2
    try:
        model = load_model(model_path)
    except ModelError as exc:
        print(f"callcenter transcribe: {exc}", file=err)
        return 2
    extractor = _load_extractor()
    failed = False
    for path in args.files:
        result = transcribe_file(model, path, extractor)
        failed = failed or result["error"] is not None
        if args.json:
            print(json.dumps(result, ensure_ascii=False), file=out, flush=True)
        else:
            _print_human(result, out, err)
    return 1 if failed else 0


def transcribe_file(model: Any, path: Path, extractor: Extractor | None) -> dict[str, Any]:
    """One output record: transcript fields, ``extracted`` and ``error`` (None if fine)."""
    from callcenter.transcribe.engine import transcribe
    from callcenter.transcribe.voicemail import VoicemailError, find_audio

    result: dict[str, Any] = {
        "file": str(path), "text": "", "words": [], "confidence": None,
        "duration_seconds": None, "extracted": {}, "error": None,
    }
    audio = path
    if not path.exists() and not path.suffix:
        audio = find_audio(path) or path
    try:
        transcript = transcribe(model, audio)
    except VoicemailError as exc:
        result["error"] = str(exc)
        return result
    except Exception as exc:  # one bad file must not stop the others
        log.exception("transcribing %s failed", path)
        result["error"] = f"unexpected error: {exc!r}"
        return result
    result.update(
        text=transcript.text,
        words=[w.to_dict() for w in transcript.words],
        confidence=transcript.confidence,
        duration_seconds=round(transcript.duration_seconds, 3),
    )
    if extractor is not None:
        try:
            result["extracted"] = extractor(transcript.text)
        except Exception as exc:
            log.exception("extracting from %s failed", path)
            result["error"] = f"extract failed: {exc!r}"
    return result


def _load_extractor() -> Extractor | None:
    """``extract(text).to_dict()`` if ``callcenter.transcribe.extract`` exists."""
    try:
        module = importlib.import_module(EXTRACT_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == EXTRACT_MODULE:
            return None
        raise

    def extract(text: str) -> dict[str, Any]:
        return dict(module.extract(text).to_dict())

    return extract


def _print_human(result: dict[str, Any], out: TextIO, err: TextIO) -> None:
    if result["error"] is not None:
        print(f"callcenter transcribe: {result['file']}: {result['error']}", file=err, flush=True)
        if not result["text"]:
            return
    confidence = result["confidence"]
    shown = "-" if confidence is None else f"{confidence:.2f}"
    print(f"== {result['file']} ({result['duration_seconds']:.1f} s, confidence {shown})",
          file=out)
    print(result["text"] or "(nothing recognised)", file=out)
    if result["extracted"]:
        print("extracted: " + json.dumps(result["extracted"], ensure_ascii=False), file=out)
    out.flush()
