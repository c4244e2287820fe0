"""``callcenter transcribe FILE... [--json]`` with the real Korean model."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path

import pytest

from callcenter.transcribe.engine import SpeechModel
from callcenter.transcribe.transcribe_command import (
    add_transcribe_parser,
    run_transcribe,
    transcribe_file,
)

DATA = Path(__file__).parent / "data"
KEYS = {"file", "text", "words", "confidence", "duration_seconds", "extracted", "error"}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="callcenter")
    add_transcribe_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["transcribe", *argv])


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_transcribe(parse(*argv), env=env or {}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_json_lines_and_a_bad_file_that_does_not_stop_the_others(
    ko_model_path: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not a recording")
    code, out, _ = run(
        "--json", "--model", str(ko_model_path), str(DATA / "ko_yes_mom.wav"), str(broken),
        str(empty), str(tmp_path / "missing.wav"), str(DATA / "ko_mom_two_five.wav"),
    )
    assert code == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert [set(r) for r in records] == [KEYS] * 5
    good, bad, silent, missing, numbers = records
    assert good["text"] == "네 엄마" and good["error"] is None
    assert [w["word"] for w in good["words"]] == ["네", "엄마"]
    assert set(good["words"][0]) == {"word", "start", "end", "conf"}
    assert good["duration_seconds"] == pytest.approx(1.09, abs=0.01)
    assert isinstance(good["extracted"], dict)
    assert "not a WAV file" in bad["error"] and bad["text"] == "" and bad["extracted"] == {}
    assert silent["error"] is None and silent["text"] == "" and silent["confidence"] is None
    assert "no such recording" in missing["error"]
    assert numbers["text"] == "엄마 이 오"


def test_model_from_the_environment_and_plain_output(ko_model_path: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "INBOX"
    inbox.mkdir()
    shutil.copy(DATA / "ko_yes_mom.wav", inbox / "msg0000.WAV")
    (inbox / "cut.wav").write_bytes((DATA / "ko_yes_mom.wav").read_bytes()[:30])
    env = {"CALLCENTER_VOSK_MODEL": str(ko_model_path)}
    # A message base path (no extension) stands for its best recording.
    code, out, err = run(str(inbox / "cut.wav"), str(inbox / "msg0000"), env=env)
    assert code == 1
    assert out.startswith(f"== {inbox / 'msg0000'} (1.1 s, confidence 1.00)\n네 엄마\n")
    assert err.startswith(f"callcenter transcribe: {inbox / 'cut.wav'}: cut.wav: ends inside")


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_no_model_configured_exits_2(json_flag: list[str]) -> None:
    code, out, err = run(*json_flag, str(DATA / "ko_yes_mom.wav"))
    assert (code, out) == (2, "")
    assert "CALLCENTER_VOSK_MODEL" in err


def test_model_that_is_not_there_exits_2(tmp_path: Path) -> None:
    code, out, err = run("--model", str(tmp_path / "nope"), str(DATA / "ko_yes_mom.wav"))
    assert (code, out) == (2, "")
    assert "Vosk model directory not found" in err


def test_transcript_text_goes_to_the_field_reader(ko_model: SpeechModel) -> None:
    result = transcribe_file(ko_model, DATA / "ko_yes_mom.wav", lambda text: {"chars": len(text)})
    assert result["extracted"] == {"chars": 4} and result["error"] is None

    def broken(text: str) -> dict[str, object]:
        raise ValueError("boom")

    result = transcribe_file(ko_model, DATA / "ko_yes_mom.wav", broken)
    assert result["text"] == "네 엄마" and "extract failed" in result["error"]
