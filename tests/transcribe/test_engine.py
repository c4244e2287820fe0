"""The Vosk call with the real Korean model, Korean test speech and the real Mandarin voicemail."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from callcenter.transcribe.engine import (
    ModelError,
    SpeechModel,
    Transcript,
    load_model,
    read_feature_options,
    transcribe,
)
from callcenter.transcribe.voicemail import (
    CorruptAudioError,
    MissingAudioError,
    TruncatedAudioError,
)

DATA = Path(__file__).parent / "data"
WavWriter = Callable[..., Path]


def words_of(transcript: Transcript) -> list[str]:
    return [w.word for w in transcript.words]


def assert_word_times_sane(transcript: Transcript) -> None:
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    for w in transcript.words:
        assert 0.0 <= w.start <= w.end <= transcript.duration_seconds + 0.5
        assert 0.0 <= w.conf <= 1.0


# --- loading -----------------------------------------------------------------------


def test_missing_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found") as info:
        load_model(tmp_path / "no-such-model")
    assert info.value.permanent is False


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "model.zip").write_bytes(b"PK")
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "model.zip")


def test_empty_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"not a Vosk model.*am/final\.mdl"):
        load_model(tmp_path)


def test_model_files_vosk_cannot_read(tmp_path: Path, ko_model_path: Path) -> None:
    for name in ("am/final.mdl", "graph/HCLG.fst"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"garbage")
    shutil.copytree(ko_model_path / "conf", tmp_path / "conf")
    with pytest.raises(ModelError, match="could not load"):
        load_model(tmp_path)


def test_feature_options(tmp_path: Path) -> None:
    conf = tmp_path / "mfcc.conf"
    conf.write_text(
        "--use-energy=false  # comment\n--sample-frequency=8000\n--allow-upsample\nnoise\n"
    )
    assert read_feature_options(conf) == {
        "use-energy": "false", "sample-frequency": "8000", "allow-upsample": "true",
    }


def test_korean_model_configuration(ko_model: SpeechModel) -> None:
    assert ko_model.sample_rate == 16000  # mfcc.conf sets no --sample-frequency: Kaldi's default
    assert ko_model.allow_upsample and ko_model.allow_downsample
    assert ko_model.feed_rate(8000) == 8000  # Kaldi upsamples by itself
    strict = dataclasses.replace(ko_model, allow_upsample=False, allow_downsample=False)
    assert strict.feed_rate(8000) == 16000
    assert strict.feed_rate(44100) == 16000
    assert strict.feed_rate(16000) == 16000


# --- Korean speech (espeak-ng, see data/make_recordings.sh) --------------------------


def test_korean_words_are_recognised(ko_model: SpeechModel) -> None:
    transcript = transcribe(ko_model, DATA / "ko_yes_mom.wav")
    assert words_of(transcript) == ["네", "엄마"]  # "yes", "mum"
    assert transcript.text == "네 엄마"
    assert transcript.sample_rate == 8000
    assert transcript.duration_seconds == pytest.approx(1.09, abs=0.01)
    assert transcript.confidence is not None and transcript.confidence > 0.5
    assert_word_times_sane(transcript)


def test_korean_number_words_are_recognised(ko_model: SpeechModel) -> None:
    transcript = transcribe(ko_model, DATA / "ko_mom_two_five.wav")
    assert words_of(transcript) == ["엄마", "이", "오"]  # "mum", "two", "five"
    assert_word_times_sane(transcript)


def test_word_times_count_from_the_start_of_the_recording(ko_model: SpeechModel) -> None:
    transcript = transcribe(ko_model, DATA / "ko_two_utterances.wav")
    # Kaldi dithers its features, so decoding is not bit-for-bit repeatable: here "이"
    # came out as "의" in 5 of 90 runs; the other words never changed.
    words = words_of(transcript)
    assert words[:3] == ["네", "엄마", "엄마"] and words[-1] == "오" and len(words) == 5
    second_mum = transcript.words[2]
    assert second_mum.start > 2.5  # after the first utterance (1.1 s) and the 2 s pause
    assert_word_times_sane(transcript)


def test_resampling_for_a_model_that_does_not_upsample(ko_model: SpeechModel) -> None:
    strict = dataclasses.replace(ko_model, allow_upsample=False)
    transcript = transcribe(strict, DATA / "ko_yes_mom.wav")
    assert words_of(transcript) == ["네", "엄마"]
    assert transcript.sample_rate == 8000  # the recording's rate, not the model's


# --- the real Mandarin voicemail (the Korean model cannot understand it) -------------


@pytest.mark.parametrize("name", ["msg0000.wav", "msg0000.WAV"])
def test_real_voicemail_runs_through(
    ko_model: SpeechModel, voicemail_inbox: Path, name: str
) -> None:
    transcript = transcribe(ko_model, voicemail_inbox / name)
    assert transcript.duration_seconds == pytest.approx(11.5, abs=0.1)
    assert transcript.sample_rate == 8000 and not transcript.silent
    assert len(transcript.words) > 5 and transcript.text
    assert transcript.confidence is not None and 0.0 < transcript.confidence <= 1.0
    assert_word_times_sane(transcript)
    assert transcript.words[-1].end > 8.0  # the words span the message, not just its start
    record = transcript.to_dict()
    assert set(record["words"][0]) == {"word", "start", "end", "conf"}


# --- empty, silent and broken recordings -------------------------------------------


def test_zero_length_file_gives_an_empty_transcript(ko_model: SpeechModel, tmp_path: Path) -> None:
    (tmp_path / "msg0000.wav").write_bytes(b"")
    transcript = transcribe(ko_model, tmp_path / "msg0000.wav")
    assert transcript == Transcript("", (), None, 0.0, None, silent=True)


def test_silent_file_gives_an_empty_transcript(
    ko_model: SpeechModel, tmp_path: Path, wav_writer: WavWriter
) -> None:
    hiss = np.random.default_rng(3).normal(0, 15, 16000).astype(np.int16)
    transcript = transcribe(ko_model, wav_writer(tmp_path / "msg0000.wav", hiss))
    assert (transcript.text, transcript.words, transcript.confidence) == ("", (), None)
    assert transcript.silent and transcript.duration_seconds == 2.0


def test_header_only_file_gives_an_empty_transcript(
    ko_model: SpeechModel, tmp_path: Path, wav_writer: WavWriter
) -> None:
    transcript = transcribe(ko_model, wav_writer(tmp_path / "msg0000.wav", []))
    assert transcript.silent and transcript.duration_seconds == 0.0
    assert transcript.sample_rate == 8000


def test_truncated_file_raises_unless_allowed(ko_model: SpeechModel, tmp_path: Path) -> None:
    data = (DATA / "ko_two_utterances.wav").read_bytes()
    path = tmp_path / "msg0000.wav"
    path.write_bytes(data[:20000])  # the first utterance, "네 엄마"
    with pytest.raises(TruncatedAudioError):
        transcribe(ko_model, path)
    transcript = transcribe(ko_model, path, allow_truncated=True)
    assert "엄마" in words_of(transcript)


def test_corrupt_and_missing_files_raise(ko_model: SpeechModel, tmp_path: Path) -> None:
    (tmp_path / "msg0000.wav").write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(CorruptAudioError):
        transcribe(ko_model, tmp_path / "msg0000.wav")
    with pytest.raises(MissingAudioError):
        transcribe(ko_model, tmp_path / "msg0001.wav")
