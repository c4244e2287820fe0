"""What runs inside a transcription worker process (see :mod:`callcenter.transcribe.pool`).

``init_worker`` is the pool's initializer: it loads the Vosk model once per process and
keeps it in a module global (or the reason it could not). ``run_job`` transcribes one
voicemail with a fresh recogniser (the draft fields are read from the transcript by the
Transcriber, with the extraction tables in force: :mod:`~callcenter.transcribe.table_store`); it
never raises for a bad recording or a missing model, it returns a :class:`JobResult`
that says what went wrong and whether retrying can help. Everything crossing the
process boundary is plain data (picklable, no exceptions, no model handles).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from callcenter.transcribe.engine import ModelError, SpeechModel, Transcript, load_model, transcribe
from callcenter.transcribe.voicemail import EmptyAudioError, TruncatedAudioError, VoicemailError

_model: SpeechModel | None = None
_model_error: str | None = "the worker was not initialised"


@dataclass(frozen=True)
class JobResult:
    """The outcome of one job. ``error`` None: ``transcript`` (``Transcript.to_dict()``) is set."""

    pid: int
    audio_path: str | None = None  # the recording that was transcribed
    transcript: dict[str, Any] | None = None
    extracted: dict[str, Any] | None = None  # set by the Transcriber (the tables in force)
    note: str | None = None  # something the clerk should know (truncated file, silence)
    error: str | None = None
    permanent: bool = False  # retrying cannot help (the recording itself is bad)
    model_error: bool = False  # the model is unusable: nothing was tried
    seconds: float = 0.0  # time spent in this worker
    cpu_seconds: float = 0.0  # CPU time of this worker for the job


@dataclass(frozen=True)
class Probe:
    pid: int
    model: str | None  # the model directory's name when loaded
    error: str | None


def init_worker(model_path: str) -> None:
    """Pool initializer: load the model once. Never raises (a raising initializer breaks
    the whole pool); the error is kept and returned by every job instead."""
    global _model, _model_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    try:
        _model, _model_error = load_model(model_path), None
    except ModelError as exc:
        _model, _model_error = None, str(exc)
    except Exception as exc:  # noqa: BLE001 - anything else the loader throws
        _model, _model_error = None, f"cannot load the Vosk model {model_path}: {exc!r}"


def probe() -> Probe:
    """Whether this worker has its model (used to warm the pool up and report once)."""
    return Probe(os.getpid(), _model.path.name if _model else None, _model_error)


def run_job(candidates: list[str]) -> JobResult:
    """Transcribe the first recording of ``candidates`` (best format first) that decodes."""
    started, cpu = time.monotonic(), time.process_time()
    result = _run_job([Path(p) for p in candidates])
    return replace(result, seconds=time.monotonic() - started, cpu_seconds=time.process_time() - cpu)


def _run_job(paths: list[Path]) -> JobResult:
    pid = os.getpid()
    if _model is None:
        return JobResult(pid, error=_model_error, model_error=True)
    try:
        path, transcript, note = _first_decodable(paths, _model)
    except VoicemailError as exc:
        return JobResult(pid, error=str(exc), permanent=exc.permanent)
    except Exception as exc:  # noqa: BLE001 - unknown: retried a few times, then given up
        return JobResult(pid, error=f"unexpected error: {exc!r}")
    if transcript.silent:
        note = "; ".join(filter(None, [note, "no speech in the recording (silence)"]))
    return JobResult(pid, audio_path=str(path), transcript=transcript.to_dict(), note=note)


def _first_decodable(paths: list[Path], model: SpeechModel) -> tuple[Path, Transcript, str | None]:
    """A complete recording if there is one; else the complete part of a truncated one."""
    if not paths:
        raise VoicemailError("no recording to transcribe")
    errors: list[VoicemailError] = []
    truncated: list[Path] = []
    for path in paths:
        try:
            if path.is_file() and path.stat().st_size == 0:
                raise EmptyAudioError(f"{path.name}: empty file (0 bytes)")
            return path, transcribe(model, path), None
        except TruncatedAudioError as exc:
            errors.append(exc)
            truncated.append(path)
        except VoicemailError as exc:
            errors.append(exc)
    for path in truncated:
        try:
            note = f"{path.name} is truncated: transcribed the part that was recorded"
            return path, transcribe(model, path, allow_truncated=True), note
        except VoicemailError as exc:
            errors.append(exc)
    combined = VoicemailError("; ".join(dict.fromkeys(str(e) for e in errors)))
    combined.permanent = all(e.permanent for e in errors)
    raise combined

