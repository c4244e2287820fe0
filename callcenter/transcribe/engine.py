"""The synchronous Vosk call, meant to run inside a worker process.

A worker loads the model once (``load_model``, hundreds of MB and seconds) and then
calls ``transcribe`` per recording; each call uses its own ``KaldiRecognizer``. Audio
at a rate the model cannot convert itself (``conf/mfcc.conf`` without
``--allow-upsample=true`` / ``--allow-downsample=true``) is resampled here first:
Kaldi aborts the whole process on a rate it refuses, it does not raise.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import vosk

from callcenter.transcribe.voicemail import EmptyAudioError, is_silent, load_audio, resample

log = logging.getLogger(__name__)

KALDI_DEFAULT_SAMPLE_RATE = 16000  # --sample-frequency when mfcc.conf does not set it
CHUNK_SECONDS = 0.25
_REQUIRED_FILES = ("am/final.mdl", "conf/mfcc.conf")
_GRAPHS = ("graph/HCLG.fst", "graph/HCLr.fst")


class ModelError(Exception):
    """The configured model cannot be used.

    Not permanent for the voicemail being transcribed: once an operator fixes the
    model path, the job can run again.
    """

    permanent = False


@dataclass(frozen=True)
class SpeechModel:
    """A loaded Vosk model and what its feature configuration accepts."""

    path: Path
    vosk_model: vosk.Model
    sample_rate: int
    allow_upsample: bool
    allow_downsample: bool

    def feed_rate(self, audio_rate: int) -> int:
        """The rate to hand the recogniser: the audio's own if the model converts it."""
        if audio_rate == self.sample_rate:
            return audio_rate
        if audio_rate < self.sample_rate and self.allow_upsample:
            return audio_rate
        if audio_rate > self.sample_rate and self.allow_downsample:
            return audio_rate
        return self.sample_rate


@dataclass(frozen=True)
class Word:
    word: str
    start: float  # seconds from the start of the recording
    end: float
    conf: float

    def to_dict(self) -> dict[str, Any]:
        return {"word": self.word, "start": self.start, "end": self.end, "conf": self.conf}


@dataclass(frozen=True)
class Transcript:
    """What the model heard. ``sample_rate`` is the recording's (None: no audio at all)."""

    text: str
    words: tuple[Word, ...]
    confidence: float | None  # mean word confidence; None without words
    duration_seconds: float
    sample_rate: int | None
    silent: bool = False  # no samples, or none louder than the silence threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
            "confidence": self.confidence,
            "duration_seconds": self.duration_seconds,
            "sample_rate": self.sample_rate,
            "silent": self.silent,
        }


def read_feature_options(path: Path) -> dict[str, str]:
    """Kaldi ``--key=value`` lines of a conf file (a bare ``--flag`` means ``true``)."""
    options: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("--"):
            key, sep, value = line[2:].partition("=")
            options[key.strip()] = value.strip() if sep else "true"
    return options


def load_model(path: Path | str, *, log_level: int = -1) -> SpeechModel:
    """Load a Vosk model directory once; ``ModelError`` if it is missing or not a model.

    ``log_level`` is Vosk's (process-wide): -1 keeps Kaldi's info lines off stderr.
    """
    model_dir = Path(path)
    if not model_dir.is_dir():
        raise ModelError(f"Vosk model directory not found: {model_dir}")
    missing = [name for name in _REQUIRED_FILES if not (model_dir / name).is_file()]
    if not any((model_dir / name).is_file() for name in _GRAPHS):
        missing.append(" or ".join(_GRAPHS))
    if missing:
        raise ModelError(f"not a Vosk model directory: {model_dir} (missing {', '.join(missing)})")
    try:
        options = read_feature_options(model_dir / "conf/mfcc.conf")
        sample_rate = int(float(options.get("sample-frequency", KALDI_DEFAULT_SAMPLE_RATE)))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{model_dir}: unreadable conf/mfcc.conf: {exc}") from None
    vosk.SetLogLevel(log_level)
    started = time.monotonic()
    try:
        handle = vosk.Model(str(model_dir))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelError(f"Vosk could not load the model in {model_dir}: {exc}") from None
    log.info("loaded Vosk model %s in %.1f s", model_dir, time.monotonic() - started)
    return SpeechModel(
        path=model_dir,
        vosk_model=handle,
        sample_rate=sample_rate,
        allow_upsample=_flag(options.get("allow-upsample")),
        allow_downsample=_flag(options.get("allow-downsample")),
    )


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "t", "1")


def transcribe(
    model: SpeechModel, audio_path: Path, *, allow_truncated: bool = False
) -> Transcript:
    """Transcribe one recording. Empty or silent audio gives an empty transcript;
    missing, truncated or corrupt files raise the ``AudioError`` of ``voicemail``."""
    try:
        samples, rate = load_audio(audio_path, allow_truncated=allow_truncated)
    except EmptyAudioError:
        return Transcript("", (), None, 0.0, None, silent=True)
    return transcribe_samples(model, samples, rate)


def transcribe_samples(model: SpeechModel, samples: np.ndarray, sample_rate: int) -> Transcript:
    """Transcribe mono int16 samples taken at ``sample_rate``."""
    duration = samples.size / sample_rate if sample_rate else 0.0
    if samples.size == 0 or is_silent(samples, sample_rate):
        return Transcript("", (), None, duration, sample_rate, silent=True)
    feed_rate = model.feed_rate(sample_rate)
    if feed_rate != sample_rate:
        samples = resample(samples, sample_rate, feed_rate)
    recognizer = vosk.KaldiRecognizer(model.vosk_model, float(feed_rate))
    recognizer.SetWords(True)
    data = samples.astype("<i2", copy=False).tobytes()
    step = 2 * max(1, int(feed_rate * CHUNK_SECONDS))
    segments: list[dict[str, Any]] = []
    for offset in range(0, len(data), step):
        if recognizer.AcceptWaveform(data[offset:offset + step]):
            segments.append(json.loads(recognizer.Result()))
    segments.append(json.loads(recognizer.FinalResult()))
    return _combine(segments, duration, sample_rate)


def _combine(segments: list[dict[str, Any]], duration: float, sample_rate: int) -> Transcript:
    words = tuple(
        Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w["conf"]))
        for segment in segments
        for w in segment.get("result", ())
    )
    text = " ".join(t for t in (str(s.get("text", "")).strip() for s in segments) if t)
    confidence = sum(w.conf for w in words) / len(words) if words else None
    return Transcript(text, words, confidence, duration, sample_rate)
