"""Spool paths, metadata and audio decoding, on the real Asterisk spool and made-up files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from callcenter.transcribe.voicemail import (
    CorruptAudioError,
    EmptyAudioError,
    MetadataError,
    MissingAudioError,
    SpoolPathError,
    TruncatedAudioError,
    audio_candidates,
    find_audio,
    is_silent,
    load_audio,
    metadata_int,
    parse_callerid,
    parse_metadata,
    read_metadata,
    resample,
    resolve_message,
    rms,
)

ASTERISK_PATH = "/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000"
WavWriter = Callable[..., Path]


def tone(freq: float, seconds: float, rate: int = 8000, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    """A writable spool root with one message directory and a directory outside it."""
    root = tmp_path / "spool"
    (root / "hotline" / "6085708" / "INBOX").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.wav").write_bytes(b"RIFF")
    return root


# --- resolve_message ---------------------------------------------------------------


def test_asterisk_path_maps_below_voicemail(voicemail_inbox: Path) -> None:
    root = voicemail_inbox.parents[2]
    base = resolve_message(root, ASTERISK_PATH)
    assert base == root.resolve() / "hotline" / "6085708" / "INBOX" / "msg0000"
    assert find_audio(base) == base.with_name("msg0000.wav")


@pytest.mark.parametrize(
    "message_path",
    [
        "hotline/6085708/INBOX/msg0000",  # already relative to the spool root
        "/srv/pbx/voicemail/hotline/6085708/INBOX/msg0000",  # another PBX's spool root
        ASTERISK_PATH + ".wav",  # an extension is dropped
        "/var/spool/asterisk/voicemail//hotline/./6085708/INBOX/msg0000",
    ],
)
def test_accepted_message_paths(spool: Path, message_path: str) -> None:
    base = resolve_message(spool, message_path)
    assert base == spool.resolve() / "hotline" / "6085708" / "INBOX" / "msg0000"


@pytest.mark.parametrize(
    "message_path",
    [
        "",
        "../outside/secret",
        "hotline/../../outside/secret",
        "/var/spool/asterisk/voicemail/../../../../etc/passwd",
        "/var/spool/asterisk/voicemail/hotline/../../outside/secret",
        "/etc/passwd",
        "/var/spool/asterisk/voicemail",
        "/var/spool/asterisk/voicemail/",
        "hotline/6085708/INBOX/msg0000\x00.wav",
        "hotline/6085708/INBOX/msg0000\n",
        "hotline\\..\\..\\outside\\secret",
        "hotline/" + "a" * 2000,
        "hotline/" + "a" * 300 + "/msg0000",
    ],
)
def test_escaping_or_malformed_paths_are_refused(spool: Path, message_path: str) -> None:
    with pytest.raises(SpoolPathError):
        resolve_message(spool, message_path)


def test_symlinked_directory_leaving_the_root_is_refused(spool: Path) -> None:
    os.symlink(spool.parent / "outside", spool / "hotline" / "evil")
    with pytest.raises(SpoolPathError, match="leaves the spool"):
        resolve_message(spool, "hotline/evil/secret")


def test_symlinked_recording_leaving_the_root_is_refused(spool: Path) -> None:
    inbox = spool / "hotline" / "6085708" / "INBOX"
    os.symlink(spool.parent / "outside" / "secret.wav", inbox / "msg0001.wav")
    with pytest.raises(SpoolPathError, match="leaves the spool"):
        resolve_message(spool, ASTERISK_PATH[:-1] + "1")


def test_symlink_loop_is_refused(spool: Path) -> None:
    inbox = spool / "hotline" / "6085708" / "INBOX"
    os.symlink(inbox / "loop", inbox / "loop")
    with pytest.raises(SpoolPathError):
        resolve_message(spool, "hotline/6085708/INBOX/loop/msg0000")


def test_symlink_inside_the_root_is_followed(spool: Path) -> None:
    os.symlink(spool / "hotline" / "6085708", spool / "hotline" / "alias")
    base = resolve_message(spool, "hotline/alias/INBOX/msg0000")
    assert base == spool.resolve() / "hotline" / "6085708" / "INBOX" / "msg0000"


# --- find_audio --------------------------------------------------------------------


def test_find_audio_prefers_pcm_then_wav49_then_gsm(tmp_path: Path) -> None:
    base = tmp_path / "msg0000"
    assert find_audio(base) is None
    for suffix in (".gsm", ".WAV", ".wav"):
        base.with_name("msg0000" + suffix).write_bytes(b"x")
        assert find_audio(base) == base.with_name("msg0000" + suffix)
    assert [p.name for p in audio_candidates(base)] == ["msg0000.wav", "msg0000.WAV", "msg0000.gsm"]


# --- metadata ----------------------------------------------------------------------


def test_read_metadata_of_the_real_message(voicemail_inbox: Path) -> None:
    meta = read_metadata(voicemail_inbox / "msg0000")
    assert meta is not None
    assert meta["callerid"] == '"Zhang Wei" <13909511234>'
    assert meta["callerchan"] == "SIP/trunk-00000141"
    assert meta["msg_id"] == "1795898786-00000000"
    assert metadata_int(meta, "origtime") == 1795898786
    assert metadata_int(meta, "duration") == 11
    assert meta["category"] == ""
    assert parse_callerid(meta["callerid"]) == ("Zhang Wei", "13909511234")


def test_missing_metadata_is_none(tmp_path: Path) -> None:
    assert read_metadata(tmp_path / "msg0000") is None


def test_metadata_keeps_what_parses_and_cleans_values() -> None:
    meta = parse_metadata(
        "[other]\nduration=99\n[message]\ngarbage line\n=novalue\nweird key=1\n"
        "callerid=\"Evil\x1b[31m\" <123>\r\nduration=abc\nDURATION=7\n[message2]\nexten=1\n"
    )
    assert meta == {"callerid": '"Evil[31m" <123>', "duration": "7"}
    assert metadata_int({"duration": "abc"}, "duration") is None
    assert metadata_int(None, "duration") is None


@pytest.mark.parametrize(
    "content",
    [b"", b"just text\nno section\n", b"\x00\x01\x02binary", b"[message]\n" + b"x=" + b"y" * 70000],
)
def test_garbage_metadata_raises(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "msg0000.txt").write_bytes(content)
    with pytest.raises(MetadataError):
        read_metadata(tmp_path / "msg0000")


def test_metadata_with_invalid_utf8_is_read(tmp_path: Path) -> None:
    (tmp_path / "msg0000.txt").write_bytes(b'[message]\ncallerid="\xd5\xc5\xce\xb0" <139>\n')
    meta = read_metadata(tmp_path / "msg0000")
    assert meta is not None and meta["callerid"].endswith("<139>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"Zhang Wei" <13909511234>', ("Zhang Wei", "13909511234")),
        ("<13909511234>", (None, "13909511234")),
        ("13909511234", (None, "13909511234")),
        ('"Say \\"hi\\"" <1>', ('Say "hi"', "1")),
        ('"Anonymous" <>', ("Anonymous", None)),
        ("Unknown", ("Unknown", None)),
        ("", (None, None)),
        ("<<>>", (None, None)),
    ],
)
def test_parse_callerid(value: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_callerid(value) == expected


# --- load_audio --------------------------------------------------------------------


def test_load_the_real_pcm_and_wav49_recordings(voicemail_inbox: Path) -> None:
    pcm, pcm_rate = load_audio(voicemail_inbox / "msg0000.wav")
    gsm, gsm_rate = load_audio(voicemail_inbox / "msg0000.WAV")
    assert (pcm_rate, gsm_rate) == (8000, 8000)
    assert pcm.dtype == gsm.dtype == np.int16
    assert pcm.size / 8000 == pytest.approx(11.54, abs=0.01)
    assert gsm.size == 288 * 320  # 288 wav49 blocks of 320 samples
    assert rms(gsm) == pytest.approx(rms(pcm), rel=0.2)
    assert not is_silent(pcm, 8000) and not is_silent(gsm, 8000)


def test_load_raw_gsm(voicemail_inbox: Path, tmp_path: Path) -> None:
    pcm, _ = load_audio(voicemail_inbox / "msg0000.wav")
    path = tmp_path / "msg0000.gsm"
    soundfile.write(str(path), pcm, 8000, format="RAW", subtype="GSM610")
    assert path.stat().st_size % 33 == 0
    samples, rate = load_audio(path)
    assert rate == 8000 and samples.size == path.stat().st_size // 33 * 160
    assert rms(samples) == pytest.approx(rms(pcm), rel=0.2)

    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(TruncatedAudioError):
        load_audio(path)
    samples, _ = load_audio(path, allow_truncated=True)
    assert samples.size == path.stat().st_size // 33 * 160


@pytest.mark.parametrize("name", ["msg0000.wav", "msg0000.WAV", "msg0000.gsm"])
def test_zero_length_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(EmptyAudioError):
        load_audio(tmp_path / name)


def test_missing_file_may_be_retried(tmp_path: Path) -> None:
    with pytest.raises(MissingAudioError) as info:
        load_audio(tmp_path / "msg0000.wav")
    assert info.value.permanent is False


@pytest.mark.parametrize("name", ["msg0000.wav", "msg0000.WAV"])
def test_truncated_recording(voicemail_inbox: Path, tmp_path: Path, name: str) -> None:
    data = (voicemail_inbox / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2 + 1])
    with pytest.raises(TruncatedAudioError, match="truncated") as info:
        load_audio(path)
    assert info.value.permanent is True
    samples, rate = load_audio(path, allow_truncated=True)
    assert rate == 8000 and 0.4 < samples.size / 92000 < 0.6


@pytest.mark.parametrize("cut", [3, 11, 30, 44])
def test_wav_cut_inside_its_header(voicemail_inbox: Path, tmp_path: Path, cut: int) -> None:
    path = tmp_path / "msg0000.wav"
    path.write_bytes((voicemail_inbox / "msg0000.wav").read_bytes()[:cut])
    with pytest.raises(TruncatedAudioError):
        load_audio(path)


def test_unfinalised_header_counts_as_truncated(wav_writer: WavWriter, tmp_path: Path) -> None:
    path = wav_writer(tmp_path / "msg0000.wav", tone(440, 1.0))
    data = bytearray(path.read_bytes())
    data[40:44] = bytes(4)  # data chunk size 0, as before Asterisk closes the file
    path.write_bytes(bytes(data))
    with pytest.raises(TruncatedAudioError):
        load_audio(path)
    assert load_audio(path, allow_truncated=True)[0].size == 8000


@pytest.mark.parametrize(
    "content",
    [
        b"hello, this is not audio at all" * 10,
        np.random.default_rng(7).bytes(4000),
        b"RIFF\x10\x00\x00\x00WAVEdata\x04\x00\x00\x00abcd",  # data before fmt
        b"RIFF\x20\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00data\x00\x00\x00\x00",
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x55\x55\x01\x00"
        + bytes(12) + b"data\x04\x00\x00\x00abcd",  # unknown codec
    ],
)
def test_corrupt_bytes(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "msg0000.wav"
    path.write_bytes(content)
    with pytest.raises(CorruptAudioError):
        load_audio(path)


def test_header_only_wav_is_empty_audio(wav_writer: WavWriter, tmp_path: Path) -> None:
    samples, rate = load_audio(wav_writer(tmp_path / "msg0000.wav", []))
    assert samples.size == 0 and rate == 8000


def test_stereo_is_mixed_down(wav_writer: WavWriter, tmp_path: Path) -> None:
    frames = np.array([[1000, 3000], [-2000, 0]] * 100, dtype=np.int16)
    samples, _ = load_audio(wav_writer(tmp_path / "s.wav", frames.ravel(), 16000, channels=2))
    assert samples[:2].tolist() == [2000, -1000] and samples.size == 200


def test_other_pcm_widths_go_through_soundfile(tmp_path: Path) -> None:
    path = tmp_path / "u8.wav"
    soundfile.write(str(path), tone(440, 0.5) / 32768.0, 8000, subtype="PCM_U8")
    samples, rate = load_audio(path)
    assert rate == 8000 and samples.dtype == np.int16 and rms(samples) > 5000


# --- silence and resampling ----------------------------------------------------------


def test_silence_detection() -> None:
    rng = np.random.default_rng(1)
    hiss = rng.normal(0, 20, 16000).astype(np.int16)
    assert is_silent(np.zeros(16000, dtype=np.int16), 8000)
    assert is_silent(hiss, 8000)
    assert is_silent(np.array([], dtype=np.int16), 8000)
    blip = hiss.copy()
    blip[8000:8400] = tone(1000, 0.05)  # 50 ms of speech-loud tone in 2 s of hiss
    assert not is_silent(blip, 8000)
    assert rms(np.full(10, 100, dtype=np.int16)) == pytest.approx(100.0)


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


def test_resample_up_keeps_pitch_and_level() -> None:
    src = tone(1000, 1.0)
    out = resample(src, 8000, 16000)
    assert out.dtype == np.int16 and out.size == 16000
    assert _peak_hz(out, 16000) == pytest.approx(1000, abs=2)
    assert rms(out[200:-200]) == pytest.approx(rms(src), rel=0.02)


def test_resample_down_filters_what_cannot_be_kept() -> None:
    audible = resample(tone(1000, 1.0, rate=16000), 16000, 8000)
    aliased = resample(tone(6000, 1.0, rate=16000), 16000, 8000)  # above the new 4 kHz Nyquist
    assert audible.size == aliased.size == 8000
    assert _peak_hz(audible, 8000) == pytest.approx(1000, abs=2)
    assert rms(aliased[200:-200]) < 0.01 * rms(audible[200:-200])


def test_resample_odd_ratios_and_edges() -> None:
    src = tone(440, 0.5)
    assert resample(src, 8000, 11025).size == int(np.ceil(4000 * 11025 / 8000))
    assert resample(src, 8000, 8000).tolist() == src.tolist()
    assert resample(np.array([], dtype=np.int16), 8000, 16000).size == 0
    loud = np.full(1000, 32767, dtype=np.int16)
    assert resample(loud, 8000, 16000).max() <= 32767  # clipped, not wrapped
    with pytest.raises(ValueError):
        resample(src, 0, 16000)


def test_resolve_in_a_copy_of_the_real_spool(voicemail_inbox: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(voicemail_inbox.parents[2], tmp_path / "copy")
    assert find_audio(resolve_message(Path(copy), ASTERISK_PATH)) is not None
