#!/usr/bin/env bash
# Build the lab's Asterisk (tag 20.20.1, bundled pjproject 2.17) into a prefix outside the
# repository. Idempotent: when PREFIX/sbin/asterisk already reports the wanted version it
# does nothing.
#
#   lab/build-asterisk.sh SRC_DIR [PREFIX] [EXTERNALS_CACHE]
#
# SRC_DIR          an Asterisk 20.20.1 source tree, e.g. from a git mirror:
#                    git --git-dir=ASTERISK.git archive --prefix=asterisk-20.20.1/ 20.20.1 \
#                        -- . ':(exclude)ChangeLogs/historical/ChangeLog' | tar x
#                  (the historical ChangeLog is not needed and is absent from some mirrors)
# PREFIX           default /opt/callcenter-lab/asterisk
# EXTERNALS_CACHE  folder holding pjproject-2.17.tar.bz2, default /opt/callcenter-lab/externals.
#                  Make it from pjproject's git tag; its md5 then is exactly the one Asterisk
#                  checks (third-party/pjproject/pjproject-2.17.tar.bz2.md5):
#                    git --git-dir=PJPROJECT.git archive --format=tar --prefix=pjproject-2.17/ 2.17 \
#                        | bzip2 -9 > EXTERNALS_CACHE/pjproject-2.17.tar.bz2
#                  Set PJPROJECT_GIT=PJPROJECT.git and this script makes it when missing.
#
# Debian packages: build-essential pkg-config libedit-dev uuid-dev libjansson-dev libxml2-dev
# libsqlite3-dev libssl-dev libsrtp2-dev libcurl4-openssl-dev libncurses-dev bzip2 patch;
# for the lab itself: sip-tester espeak-ng sox asterisk-core-sounds-en-wav.
# The build takes ~10 minutes on two cores (JOBS, default 2; it runs under nice).
set -euo pipefail

SRC=${1:?usage: lab/build-asterisk.sh SRC_DIR [PREFIX] [EXTERNALS_CACHE]}
PREFIX=${2:-/opt/callcenter-lab/asterisk}
CACHE=${3:-/opt/callcenter-lab/externals}
JOBS=${JOBS:-2}
WANT_VERSION=20.20.1
PJ=pjproject-2.17

SRC=$(cd "$SRC" && pwd)
case "$PREFIX" in /*) ;; *) echo "PREFIX must be absolute" >&2; exit 2 ;; esac

if [ -x "$PREFIX/sbin/asterisk" ] && "$PREFIX/sbin/asterisk" -V 2>/dev/null | grep -qx "Asterisk $WANT_VERSION"; then
    echo "build-asterisk: $PREFIX already has Asterisk $WANT_VERSION; nothing to do"
    exit 0
fi

mkdir -p "$CACHE"
if [ ! -f "$CACHE/$PJ.tar.bz2" ]; then
    if [ -n "${PJPROJECT_GIT:-}" ]; then
        git --git-dir="$PJPROJECT_GIT" archive --format=tar --prefix="$PJ/" 2.17 | bzip2 -9 > "$CACHE/$PJ.tar.bz2.tmp"
        mv "$CACHE/$PJ.tar.bz2.tmp" "$CACHE/$PJ.tar.bz2"
    else
        echo "build-asterisk: $CACHE/$PJ.tar.bz2 missing (set PJPROJECT_GIT or see the header)" >&2
        exit 2
    fi
fi
want_md5=$(awk '{print $1}' "$SRC/third-party/pjproject/$PJ.tar.bz2.md5")
have_md5=$(md5sum "$CACHE/$PJ.tar.bz2" | awk '{print $1}')
if [ "$want_md5" != "$have_md5" ]; then
    echo "build-asterisk: $PJ.tar.bz2 md5 $have_md5, Asterisk expects $want_md5" >&2
    exit 2
fi

cd "$SRC"
if [ ! -f config.status ] || ! grep -q -- "--prefix=$PREFIX" config.status; then
    nice -n 10 ./configure --prefix="$PREFIX" --with-pjproject-bundled \
        --with-externals-cache="$CACHE" --without-libjwt >configure.log 2>&1 \
        || { tail -40 configure.log >&2; exit 1; }
fi
nice -n 10 make menuselect.makeopts >/dev/null
# No sound downloads: the lab takes its prompts from Debian's asterisk-core-sounds-en-wav.
menuselect/menuselect \
    --disable CORE-SOUNDS-EN-GSM --disable MOH-OPSOUND-WAV \
    --disable-category MENUSELECT_CORE_SOUNDS --disable-category MENUSELECT_MOH \
    --disable-category MENUSELECT_EXTRA_SOUNDS \
    --disable BUILD_NATIVE \
    menuselect.makeopts
nice -n 10 make -j"$JOBS" >make.log 2>&1 || { tail -60 make.log >&2; exit 1; }
nice -n 10 make install >install.log 2>&1 || { tail -40 install.log >&2; exit 1; }
"$PREFIX/sbin/asterisk" -V
