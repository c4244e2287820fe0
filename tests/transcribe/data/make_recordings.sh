#!/bin/sh
# Regenerates the Korean test recordings in this folder: espeak-ng (voice "ko") speaks,
# sox converts to what Asterisk stores as "wav": 8 kHz, 16-bit signed PCM, mono.
# Made with espeak-ng 1.51 and SoX 14.4.2 (Debian 12); both are deterministic (sox -D:
# no dither), so the same versions give byte-identical files. Another espeak-ng version
# may pronounce differently: re-check the words the tests assert on (test_engine.py).
#
#   apt-get install espeak-ng sox && sh tests/transcribe/data/make_recordings.sh
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# say OUT.wav SPEED TEXT
say() {
    espeak-ng -v ko -s "$2" -w "$tmp/speech.wav" "$3"
    sox -D "$tmp/speech.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1"
}

say ko_yes_mom.wav 150 "네 엄마"              # "yes, mum"
say ko_mom_two_five.wav 150 "엄마. 이. 오."   # "mum. two. five." (Sino-Korean numbers)

# Two utterances 2 s apart: the recogniser ends the first segment in the pause.
sox -D -n -r 8000 -c 1 -b 16 -e signed-integer "$tmp/pause.wav" trim 0 2
sox -D ko_yes_mom.wav "$tmp/pause.wav" ko_mom_two_five.wav ko_two_utterances.wav

ls -l ko_*.wav
