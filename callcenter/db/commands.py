"""``callcenter db upgrade``: apply the schema migrations."""

from __future__ import annotations

import argparse
import asyncio

from callcenter.config import load_config
from callcenter.db.migrate import upgrade
from callcenter import audit_keys
from callcenter.db.session import create_engine


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations up to REVISION (default: every head)")
    up.add_argument("revision", nargs="?", default="heads")
    up.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    config = load_config()

    async def run() -> None:
        engine = create_engine(config.database_url)
        try:
            await upgrade(engine, args.revision, audit_keys=audit_keys.configured(config))
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"database upgraded to {args.revision}")
    return 0
