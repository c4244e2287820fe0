"""The voicemail spool: finding a message, reading its metadata, decoding its audio.

Asterisk stores a message as ``<spool>/<context>/<mailbox>/<folder>/msgNNNN`` plus one
file per configured format: ``.wav`` (8 kHz 16-bit PCM), ``.WAV`` (wav49: GSM 6.10 in a
WAV container), ``.gsm`` (raw GSM 6.10 frames) and ``.txt`` (the metadata). The path
comes from AMI and is untrusted: ``resolve_message`` maps it below the service's own
spool root and refuses anything that would leave it.

PCM is read with the standard library (``wave`` checks the header); everything else
(wav49, raw GSM, other WAV encodings) goes through ``soundfile``, whose wheels bundle
libsndfile with its GSM 6.10 codec. Samples are returned as mono ``int16``.
"""

from __future__ import annotations

import logging
import math
import re
import wave
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import soundfile

from callcenter.ami.contract import ASTERISK_SPOOL_ROOT

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".WAV", ".gsm")  # best first: lossless PCM, then GSM
METADATA_SUFFIX = ".txt"
MAX_PATH_CHARS = 1024
MAX_NAME_CHARS = 255
MAX_METADATA_BYTES = 64 * 1024
MAX_VALUE_CHARS = 1024
MAX_AUDIO_SECONDS = 1800.0  # Asterisk's maxsecs is usually minutes
# Loudest 50 ms window below this RMS (int16 scale) counts as silence. Asterisk's own
# voicemail.conf default silencethreshold is 128 (mean absolute amplitude).
SILENCE_RMS = 128.0
SILENCE_WINDOW_SECONDS = 0.05

_WAVE_FORMAT_PCM = 1
_GSM_FRAME_BYTES = 33  # one raw GSM 6.10 frame = 160 samples at 8 kHz
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_METADATA_KEY = re.compile(r"[a-z0-9_]{1,64}")
# Polyphase filter shape, as scipy.signal.resample_poly: 10 zero crossings, Kaiser beta 5.
_SINC_ZEROS = 10
_KAISER_BETA = 5.0
_RESAMPLE_CHUNK = 4096


class VoicemailError(Exception):
    """A voicemail cannot be used; ``permanent`` tells a job runner whether to retry."""

    permanent = True


class SpoolPathError(VoicemailError):
    """A message path that is malformed or points outside the spool root."""


class MetadataError(VoicemailError):
    """The ``.txt`` exists but is not Asterisk message metadata."""


class AudioError(VoicemailError):
    """A recording that cannot be decoded."""


class MissingAudioError(AudioError):
    """The recording is not (or no longer) there; it may yet appear."""

    permanent = False


class EmptyAudioError(AudioError):
    """The file has zero bytes."""


class TruncatedAudioError(AudioError):
    """The file ends before the length its header declares."""


class CorruptAudioError(AudioError):
    """The bytes are not a recording in a known format."""


# --- paths -------------------------------------------------------------------------


def resolve_message(spool_root: Path, message_path: str) -> Path:
    """Map an Asterisk message path (without extension) onto ``spool_root``.

    ``/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000`` (or any path with
    a ``voicemail`` component, or one relative to the spool root) becomes
    ``<spool_root>/hotline/6085708/INBOX/msg0000``. Raises ``SpoolPathError`` for
    anything that is malformed or resolves (following symlinks) outside the root.
    """
    parts = _relative_parts(message_path)
    try:
        root = spool_root.resolve()
        base = root.joinpath(*parts)
        base = base.parent.resolve() / base.name
        for suffix in ("", *AUDIO_SUFFIXES, METADATA_SUFFIX):
            target = base.with_name(base.name + suffix).resolve()
            if not target.is_relative_to(root):
                raise SpoolPathError(f"message path leaves the spool: {message_path!r}")
    except (OSError, RuntimeError) as exc:  # symlink loops: RuntimeError before 3.13
        raise SpoolPathError(f"cannot resolve message path {message_path!r}: {exc}") from None
    return base


def _relative_parts(message_path: str) -> tuple[str, ...]:
    if not isinstance(message_path, str) or not message_path:
        raise SpoolPathError("empty message path")
    if len(message_path) > MAX_PATH_CHARS:
        raise SpoolPathError(f"message path longer than {MAX_PATH_CHARS} characters")
    if _CONTROL_CHARS.search(message_path) or "\\" in message_path:
        raise SpoolPathError(f"control character or backslash in message path: {message_path!r}")
    path = PurePosixPath(message_path)
    parts = path.parts
    if path.is_absolute():
        asterisk_root = PurePosixPath(ASTERISK_SPOOL_ROOT).parts
        if parts[: len(asterisk_root)] == asterisk_root:
            parts = parts[len(asterisk_root):]
        elif "voicemail" in parts:
            parts = parts[parts.index("voicemail") + 1:]
        else:
            raise SpoolPathError(f"not below a voicemail/ directory: {message_path!r}")
    if not parts or ".." in parts or any(len(p) > MAX_NAME_CHARS for p in parts):
        raise SpoolPathError(f"not a message path inside the spool: {message_path!r}")
    name = parts[-1]
    for suffix in (*AUDIO_SUFFIXES, METADATA_SUFFIX):
        if name.endswith(suffix) and len(name) > len(suffix):
            return (*parts[:-1], name[: -len(suffix)])
    return parts


def audio_candidates(base: Path) -> list[Path]:
    """The recordings of message ``base`` that exist, best format first."""
    return [p for p in (base.with_name(base.name + s) for s in AUDIO_SUFFIXES) if p.is_file()]


def find_audio(base: Path) -> Path | None:
    """The best existing recording of message ``base`` (``.wav``, ``.WAV``, ``.gsm``)."""
    found = audio_candidates(base)
    return found[0] if found else None


# --- metadata ----------------------------------------------------------------------


def read_metadata(base: Path) -> dict[str, str] | None:
    """The ``[message]`` section of ``base.txt`` as lower-case keys and cleaned strings.

    None if the file does not exist. Values are caller-controlled text: control
    characters are removed and each value is capped at ``MAX_VALUE_CHARS``.
    """
    path = base.with_name(base.name + METADATA_SUFFIX)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_METADATA_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MetadataError(f"{path.name}: {exc.strerror}") from None
    if len(raw) > MAX_METADATA_BYTES:
        raise MetadataError(f"{path.name}: larger than {MAX_METADATA_BYTES} bytes")
    if b"\0" in raw:
        raise MetadataError(f"{path.name}: binary data, not message metadata")
    return parse_metadata(raw.decode("utf-8", errors="replace"))


def parse_metadata(text: str) -> dict[str, str]:
    """Parse Asterisk's message ``.txt``; lines that are not ``key=value`` are skipped."""
    section: str | None = None
    seen_message = False
    values: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        if line[0] == "[" and line[-1] == "]":
            section = line[1:-1].strip().lower()
            seen_message = seen_message or section == "message"
            continue
        key, sep, value = line.partition("=")
        key = key.strip().lower()
        if section == "message" and sep and _METADATA_KEY.fullmatch(key):
            values[key] = _CONTROL_CHARS.sub("", value).strip()[:MAX_VALUE_CHARS]
    if not seen_message:
        raise MetadataError("no [message] section: not Asterisk message metadata")
    return values


def parse_callerid(value: str) -> tuple[str | None, str | None]:
    """Split ``"Zhang Wei" <13909511234>`` into (name, number); missing parts are None."""
    match = re.fullmatch(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^<]*?))\s*(?:<([^<>]*)>)?\s*', value)
    if not match:
        return None, None
    quoted, bare, number = match.groups()
    name = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
    number = number.strip() if number is not None else None
    if number is None and name and re.fullmatch(r"\+?[0-9*#]+", name):
        name, number = None, name
    return name or None, number or None


def metadata_int(metadata: dict[str, str] | None, key: str) -> int | None:
    """An integer field (``origtime``, ``duration``) or None if absent or malformed."""
    raw = (metadata or {}).get(key, "")
    return int(raw) if re.fullmatch(r"[0-9]{1,18}", raw) else None


# --- audio -------------------------------------------------------------------------


@dataclass(frozen=True)
class _WavLayout:
    format_tag: int
    data_offset: int
    data_bytes: int  # as declared by the header
    available: int  # bytes actually present after data_offset


def load_audio(path: Path, *, allow_truncated: bool = False) -> tuple[np.ndarray, int]:
    """Decode a recording to (mono int16 samples, sample rate).

    Raises ``MissingAudioError``, ``EmptyAudioError`` (0 bytes), ``TruncatedAudioError``
    (unless ``allow_truncated``: then the complete part is returned) or
    ``CorruptAudioError``. A WAV with a valid header and no samples gives an empty array.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(12)
    except FileNotFoundError:
        raise MissingAudioError(f"{path.name}: no such recording") from None
    except OSError as exc:
        raise CorruptAudioError(f"{path.name}: cannot read: {exc.strerror}") from None
    if size == 0:
        raise EmptyAudioError(f"{path.name}: empty file (0 bytes)")
    if path.suffix.lower() == ".gsm" and head[:4] != b"RIFF":
        return _load_raw_gsm(path, size, allow_truncated)
    if len(head) < 12 and b"RIFF".startswith(head[:4]):
        raise TruncatedAudioError(f"{path.name}: {size} bytes, shorter than a WAV header")
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise CorruptAudioError(f"{path.name}: not a WAV file (no RIFF/WAVE header)")
    layout = _wav_layout(path, size)
    if layout.available < layout.data_bytes or (layout.data_bytes == 0 and layout.available):
        message = (
            f"{path.name}: truncated: header declares {layout.data_bytes} bytes of audio, "
            f"file holds {layout.available}"
        )
        if not allow_truncated:
            raise TruncatedAudioError(message)
        log.warning("%s; decoding what is there", message)
    if layout.format_tag == _WAVE_FORMAT_PCM:
        return _load_pcm(path, layout)
    return _load_with_soundfile(path)


def _wav_layout(path: Path, size: int) -> _WavLayout:
    """Walk the RIFF chunks up to ``data``: format tag, where the audio starts, its size."""
    format_tag: int | None = None
    with path.open("rb") as fh:
        fh.seek(12)
        while True:
            header = fh.read(8)
            if len(header) < 8:
                raise TruncatedAudioError(f"{path.name}: ends before its data chunk")
            chunk_id, chunk_size = header[:4], int.from_bytes(header[4:], "little")
            if chunk_id == b"data":
                if format_tag is None:
                    raise CorruptAudioError(f"{path.name}: data chunk before the fmt chunk")
                offset = fh.tell()
                return _WavLayout(format_tag, offset, chunk_size, size - offset)
            if chunk_id == b"fmt ":
                body = fh.read(min(chunk_size, 64))
                if len(body) < min(chunk_size, 64):
                    raise TruncatedAudioError(f"{path.name}: ends inside its fmt chunk")
                if len(body) < 16:
                    raise CorruptAudioError(f"{path.name}: fmt chunk too short")
                format_tag = int.from_bytes(body[:2], "little")
                fh.seek(fh.tell() - len(body))
            fh.seek(chunk_size + (chunk_size & 1), 1)


def _load_pcm(path: Path, layout: _WavLayout) -> tuple[np.ndarray, int]:
    try:
        with wave.open(str(path), "rb") as reader:
            channels, width = reader.getnchannels(), reader.getsampwidth()
            rate = reader.getframerate()
    except (wave.Error, EOFError) as exc:
        raise CorruptAudioError(f"{path.name}: bad WAV header: {exc}") from None
    if width != 2:
        return _load_with_soundfile(path)
    if channels < 1 or not 1000 <= rate <= 192000:
        raise CorruptAudioError(f"{path.name}: implausible: {channels} channels at {rate} Hz")
    nbytes = min(layout.data_bytes or layout.available, layout.available)
    frame_bytes = 2 * channels
    _check_duration(path, nbytes // frame_bytes, rate)
    with path.open("rb") as fh:
        fh.seek(layout.data_offset)
        raw = fh.read(nbytes - nbytes % frame_bytes)
    samples = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
    return _mono(samples), rate


def _load_with_soundfile(path: Path) -> tuple[np.ndarray, int]:
    try:
        info = soundfile.info(str(path))
        _check_duration(path, info.frames, info.samplerate)
        data, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    except soundfile.SoundFileError as exc:
        raise CorruptAudioError(f"{path.name}: cannot decode: {exc}") from None
    return _mono(data), int(rate)


def _load_raw_gsm(path: Path, size: int, allow_truncated: bool) -> tuple[np.ndarray, int]:
    """Asterisk's ``gsm`` format: headerless 33-byte GSM 6.10 frames at 8 kHz."""
    if size % _GSM_FRAME_BYTES:
        message = f"{path.name}: truncated: {size} bytes is not a whole number of GSM frames"
        if not allow_truncated or size < _GSM_FRAME_BYTES:
            raise TruncatedAudioError(message)
        log.warning("%s; decoding the whole frames", message)
    frames = size // _GSM_FRAME_BYTES
    _check_duration(path, frames * 160, 8000)
    try:
        with soundfile.SoundFile(
            str(path), format="RAW", subtype="GSM610", samplerate=8000, channels=1
        ) as reader:
            data = reader.read(frames * 160, dtype="int16", always_2d=True)
    except soundfile.SoundFileError as exc:
        raise CorruptAudioError(f"{path.name}: cannot decode GSM: {exc}") from None
    return _mono(data), 8000


def _check_duration(path: Path, frames: int, rate: int) -> None:
    if rate > 0 and frames / rate > MAX_AUDIO_SECONDS:
        raise AudioError(f"{path.name}: {frames / rate:.0f} s is longer than a voicemail can be")


def _mono(frames: np.ndarray) -> np.ndarray:
    if frames.shape[1] == 1:
        return np.ascontiguousarray(frames[:, 0], dtype=np.int16)
    mixed: np.ndarray = np.rint(frames.mean(axis=1)).astype(np.int16)
    return mixed


# --- signal ------------------------------------------------------------------------


def rms(samples: np.ndarray) -> float:
    """Root mean square on the int16 scale (0.0 for no samples)."""
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def is_silent(samples: np.ndarray, sample_rate: int, threshold: float = SILENCE_RMS) -> bool:
    """True if no 50 ms window is louder than ``threshold`` RMS (no samples: silent)."""
    window = max(1, int(sample_rate * SILENCE_WINDOW_SECONDS))
    if samples.size <= window:
        return rms(samples) < threshold
    whole = samples.size - samples.size % window
    blocks = samples[:whole].reshape(-1, window).astype(np.float64)
    loudest = float(np.sqrt(np.mean(np.square(blocks), axis=1)).max())
    return max(loudest, rms(samples[whole:])) < threshold


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Convert int16 samples between rates with a Kaiser-windowed sinc polyphase filter."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive: {from_rate} -> {to_rate}")
    if from_rate == to_rate or samples.size == 0:
        return np.asarray(samples, dtype=np.int16)
    gcd = math.gcd(from_rate, to_rate)
    up, down = to_rate // gcd, from_rate // gcd
    factor = max(up, down)
    if factor > 1000:
        raise ValueError(f"unsupported rate ratio {from_rate} -> {to_rate}")
    half = _SINC_ZEROS * factor  # filter half-length at the upsampled rate
    taps = np.arange(-half, half + 1)
    cutoff = 0.5 / factor  # cycles per sample at the upsampled rate
    fir = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.kaiser(taps.size, _KAISER_BETA) * up
    x = samples.astype(np.float64)
    out = np.empty(-(-samples.size * up // down))
    span = np.arange(2 * half // up + 2)
    for start in range(0, out.size, _RESAMPLE_CHUNK):
        pos = np.arange(start, min(start + _RESAMPLE_CHUNK, out.size)) * down
        j = (-((half - pos) // up))[:, None] + span  # input indices, first = ceil((pos-half)/up)
        k = pos[:, None] - j * up + half  # filter taps
        ok = (k >= 0) & (k < fir.size) & (j >= 0) & (j < x.size)
        terms = fir[np.clip(k, 0, fir.size - 1)] * x[np.clip(j, 0, x.size - 1)]
        out[start:start + pos.size] = np.where(ok, terms, 0.0).sum(axis=1)
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
