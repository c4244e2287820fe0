#!/usr/bin/env bash
# Speech for the lab's voicemail caller: a Mandarin message (espeak-ng, voice cmn) as 8 kHz
# A-law raw audio for sipp's rtp_stream, after LEAD seconds of silence (the caller waits
# through the greeting and the beep: ~13.5 s with the stock English prompts).
#   lab/speech.sh OUT.alaw [LEAD_SECONDS] [TEXT]
# Debian packages: espeak-ng, sox.
set -euo pipefail
out=${1:?usage: lab/speech.sh OUT.alaw [LEAD_SECONDS] [TEXT]}
lead=${2:-15}
text=${3:-"你好，暖气不热。金凤区万达小区三号楼。"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v cmn -s 150 -w "$tmp/speech.wav" "$text"
# 8 kHz mono A-law (what the trunk offers), LEAD s of silence before, 1 s after
sox "$tmp/speech.wav" -r 8000 -c 1 -e a-law -t al "$out" vol 0.8 pad "$lead" 1
echo "$out: $(( $(stat -c %s "$out") / 8000 )) s of 8 kHz A-law"
