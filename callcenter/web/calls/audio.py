"""Where a call's voicemail recording is on disk — only ever inside the spool root.

The stored path is Asterisk's (``/var/spool/asterisk/voicemail/hotline/6085708/INBOX/msg0000``,
no extension); the service's spool directory is mapped by the part below ``voicemail/``
(see ami-traces/README.md). The path comes from the PBX and may be anything: it is
resolved (symlinks too) and refused unless it stays under the spool root.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

# Formats a browser plays, in order of preference (wav49/GSM ``.WAV`` is not one of them).
PLAYABLE = ((".wav", "audio/wav"), (".mp3", "audio/mpeg"), (".ogg", "audio/ogg"))
MARKER = "voicemail"


def relative_part(stored: str) -> PurePosixPath | None:
    """The part of a stored message path below ``.../voicemail/`` (or the whole, if relative)."""
    path = PurePosixPath(stored.replace("\\", "/"))
    parts = path.parts
    if MARKER in parts:
        index = len(parts) - 1 - parts[::-1].index(MARKER)
        rest = parts[index + 1 :]
    elif not path.is_absolute():
        rest = parts
    else:
        return None
    if not rest or any(part in ("..", "") for part in rest):
        return None
    return PurePosixPath(*rest)


def recording(spool_root: Path, stored: str | None) -> tuple[Path, str] | None:
    """(file, content type) of the playable recording of ``stored``, or None."""
    if not stored:
        return None
    rel = relative_part(stored)
    if rel is None:
        return None
    try:
        root = spool_root.resolve(strict=True)
    except OSError:
        return None
    for suffix, content_type in PLAYABLE:
        candidate = (root / rel).with_name(rel.name + suffix)
        try:
            resolved = candidate.resolve(strict=True)
        except OSError:
            continue
        if resolved.is_relative_to(root) and resolved.is_file():
            return resolved, content_type
    return None
