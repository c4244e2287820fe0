"""``callcenter audit verify|checkpoint|rotate-key``: the audit chain from the command line.

- ``verify [--against FILE]``: walk the keyed chain; exit 1 at the first broken link. With a
  checkpoint (a file, or ``-`` for standard input) the row it names must still be there,
  unchanged: a chain rewritten or cut back below it fails even if its head row was rewritten.
- ``checkpoint``: verify, then print the signed head as one JSON line; store it outside the
  database (a ticket, an e-mail, a write-once log) to compare with later.
- ``rotate-key``: append a new key to ``audit_key_file``; new rows use it, old rows keep
  verifying with the old lines (never delete them).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from callcenter import audit, audit_keys
from callcenter.config import load_config
from callcenter.db.session import create_engine, require_database, session_factory


def register(sub: Any) -> None:
    aud = sub.add_parser("audit", help="the audit trail (keyed hash chain)")
    aud_sub = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = aud_sub.add_parser("verify", help="check the chain; exit 1 at the first broken link")
    p.add_argument("--against", metavar="FILE", help="a checkpoint printed by `audit checkpoint` (- = stdin)")
    p.set_defaults(func=cmd_verify)
    aud_sub.add_parser("checkpoint", help="verify, then print the signed head to keep outside the database"
                       ).set_defaults(func=cmd_checkpoint)  # fmt: skip
    aud_sub.add_parser("rotate-key", help="add a new key to audit_key_file (old rows stay verifiable)"
                       ).set_defaults(func=cmd_rotate)  # fmt: skip


def _read_against(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text("utf-8")
    except OSError as exc:
        raise SystemExit(f"callcenter: cannot read the checkpoint {name}: {exc.strerror}") from None


async def _verify(config: Any, keys: audit_keys.AuditKeys, against: audit.Checkpoint | None,
                  checkpoint: bool) -> int:  # fmt: skip
    require_database(config.database_url)
    engine = create_engine(config.database_url)
    try:
        sessions = session_factory(engine, keys)
        verdict = await audit.verify(sessions, keys, against)
        if not verdict.ok:
            print(f"audit chain broken at row {verdict.broken_at}: {verdict.message}", file=sys.stderr)
            return 1
        if checkpoint:
            print((await audit.checkpoint(sessions, keys, dt.datetime.now(dt.UTC))).line())
        else:
            print(verdict.message)
        return 0
    finally:
        await engine.dispose()


def _keys(config: Any) -> audit_keys.AuditKeys:
    try:
        return audit_keys.load(Path(config.audit_key_file).expanduser(), create=False)
    except audit_keys.AuditKeyError as exc:
        raise SystemExit(f"callcenter: {exc}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    config = load_config()
    keys = _keys(config)
    against = None
    if args.against:
        try:
            against = audit.read_checkpoint(_read_against(args.against), keys)
        except ValueError as exc:
            print(f"callcenter: {exc}", file=sys.stderr)
            return 1
    return asyncio.run(_verify(config, keys, against, checkpoint=False))


def cmd_checkpoint(args: argparse.Namespace) -> int:
    config = load_config()
    return asyncio.run(_verify(config, _keys(config), None, checkpoint=True))


def cmd_rotate(args: argparse.Namespace) -> int:
    config = load_config()
    path = Path(config.audit_key_file).expanduser()
    try:
        key_id = audit_keys.rotate(path)
    except audit_keys.AuditKeyError as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    print(f"audit key {key_id} added to {path}; new audit rows use it (restart running services)")
    return 0
