"""The audit chain's keys: HMAC-SHA256 keys kept in a file the database does not hold.

Anyone who can write the database could drop the append-only trigger, change a row and
recompute an *unkeyed* hash chain. With a keyed chain (``hash = HMAC(key, prev_hash +
row)``) they also need this file, which lives with the service's other secrets (mode 0600,
like the session key) and never in the database or its backups.

The file holds one key per line, ``<id> <urlsafe-base64 key>``, oldest first; ``#`` starts
a comment. New rows are written with the last key; every row stores the id of its key, so
rotating (:func:`rotate`, ``callcenter audit rotate-key``) appends a key and keeps every old
row verifiable. Losing a key makes the rows it wrote unverifiable: back the file up
separately from the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY_BYTES = 32
_ID = re.compile(r"^k[0-9]{1,6}$")


class AuditKeyError(ValueError):
    """The key file is missing, unreadable or malformed; the message names the file."""


@dataclass(frozen=True)
class AuditKeys:
    keys: Mapping[str, bytes]  # key id -> key
    current: str  # the id new rows are written with
    path: Path | None = None

    def mac(self, key_id: str, message: str) -> str:
        try:
            key = self.keys[key_id]
        except KeyError:
            raise AuditKeyError(f"audit key {key_id!r} is not in {self.path or 'the key file'}") from None
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    @classmethod
    def of(cls, *keys: bytes) -> AuditKeys:
        """Keys given in code (tests): ids k1, k2, … in order, the last one current."""
        named = {f"k{n}": key for n, key in enumerate(keys, start=1)}
        return cls(named, f"k{len(keys)}")


def _parse(path: Path, text: str) -> AuditKeys:
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not _ID.match(parts[0]):
            raise AuditKeyError(f"{path}:{number}: expected '<id> <key>' with an id like k1")
        try:
            key = base64.urlsafe_b64decode(parts[1].encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise AuditKeyError(f"{path}:{number}: the key is not base64") from None
        if len(key) < KEY_BYTES:
            raise AuditKeyError(f"{path}:{number}: the key is shorter than {KEY_BYTES} bytes")
        if parts[0] in keys:
            raise AuditKeyError(f"{path}:{number}: key id {parts[0]} appears twice")
        keys[parts[0]] = key
    if not keys:
        raise AuditKeyError(f"{path}: holds no key")
    return AuditKeys(keys, list(keys)[-1], path)


def _line(key_id: str) -> str:
    return f"{key_id} {base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}\n"


def load(path: Path, *, create: bool = True) -> AuditKeys:
    """The keys in ``path``; with ``create``, a new file with one key (mode 0600) when there is
    none yet. A file that exists but cannot be read or parsed is an error, never replaced."""
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it meanwhile: read theirs
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write("# callcenter audit chain keys (HMAC-SHA256); keep every line, back up apart from the DB\n")
                fh.write(_line("k1"))
    try:
        text = path.read_text("ascii")
    except FileNotFoundError:
        raise AuditKeyError(f"audit key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyError(f"audit key file {path} cannot be read: {exc}") from None
    return _parse(path, text)


def rotate(path: Path) -> str:
    """Append a new key to ``path`` (it becomes current); its id. Old keys stay."""
    keys = load(path, create=False)
    number = max(int(key_id[1:]) for key_id in keys.keys) + 1
    key_id = f"k{number}"
    with open(path, "a", encoding="ascii") as fh:
        fh.write(_line(key_id))
        fh.flush()
        os.fsync(fh.fileno())
    return key_id


def configured(config: Any) -> AuditKeys:
    """The keys of ``config.audit_key_file`` (created on first use)."""
    return load(Path(config.audit_key_file).expanduser())
