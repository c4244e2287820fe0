"""``callcenter user add|passwd|list|set-office``: accounts of the web panel.

Passwords are read from standard input (``--password-stdin``, first line), never from the
command line (it would show in ``ps`` and shell history). Changing a password revokes
every session of that user. On SQLite the schema is brought up to date first, as the
service does at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timezone
from typing import TextIO

from sqlalchemy import select

from callcenter.config import Config, load_config
from callcenter.db.migrate import upgrade
from callcenter import audit_keys
from callcenter.db.session import create_engine, is_sqlite, session_factory
from callcenter.web.auth.accounts import (
    AccountError, add_user, check_office, check_station, find_user, hash_password, set_password,
)
from callcenter.web.admin.users import set_office
from callcenter.web.models import User
from callcenter.web.auth.roles import Role


def read_password(stream: TextIO) -> str:
    line = stream.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise AccountError("password: nothing on standard input")
    return password


async def _run(config: Config, action: str, args: argparse.Namespace, password: str | None) -> int:
    engine = create_engine(config.database_url)
    try:
        keys = audit_keys.configured(config)
        if is_sqlite(config.database_url):
            await upgrade(engine, audit_keys=keys)
        async with session_factory(engine, keys)() as session, session.begin():
            now = datetime.now(timezone.utc)
            if action == "add":
                assert password is not None
                await check_office(session, args.office)
                await check_station(session, args.station)
                user = await add_user(
                    session, username=args.name, role=args.role, password_hash=hash_password(password, args.name), now=now,
                    station_code=args.station, display_name=args.display_name or "", extension=args.extension,
                    office_code=args.office,
                )  # fmt: skip
                print(f"user {user.username} ({user.role}) added")
            elif action == "set-office":
                found = await find_user(session, args.name)
                if found is None:
                    raise AccountError(f"username: no user {args.name!r}")
                await set_office(session, found.id, args.office, actor="cli", now=now)
                print(f"{found.username} now heads {args.office}")
            elif action == "passwd":
                assert password is not None
                found = await find_user(session, args.name)
                if found is None:
                    raise AccountError(f"username: no user {args.name!r}")
                revoked = await set_password(session, found, hash_password(password, found.username), now)
                print(f"password of {found.username} changed; {revoked} session(s) revoked")
            else:
                for user in await session.scalars(select(User).order_by(User.username)):
                    flags = "" if user.active else "  (disabled)"
                    unit = user.station_code or user.office_code or "-"
                    print(f"{user.username}\t{user.role}\t{unit}\t{user.extension or '-'}\t"
                          f"{user.display_name}{flags}")  # fmt: skip
    finally:
        await engine.dispose()
    return 0


def _main(args: argparse.Namespace) -> int:
    config = load_config()
    try:
        password = read_password(sys.stdin) if args.user_command in ("add", "passwd") else None
        return asyncio.run(_run(config, args.user_command, args, password))
    except AccountError as exc:
        print(f"callcenter user: {exc}", file=sys.stderr)
        return 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    user = sub.add_parser("user", help="accounts of the web panel")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="add an account (password on standard input)")
    add.add_argument("name", help="login name: a-z 0-9 _ . -")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--station", help="station code (role station only)")
    add.add_argument("--office", help="heating management office code (role office_head only; required there)")
    add.add_argument("--display-name", help="name shown in the panel (e.g. 王丽)")
    add.add_argument("--extension", help="the clerk's phone extension (e.g. 8001)")
    add.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    passwd = user_sub.add_parser("passwd", help="set a password (revokes the user's sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    user_sub.add_parser("list", help="list the accounts")
    office = user_sub.add_parser("set-office", help="link an office-head account to its heating management office")
    office.add_argument("name")
    office.add_argument("office", help="the office's code in the directory (e.g. office1)")
    for parser in (add, passwd, user_sub.choices["list"], office):
        parser.set_defaults(func=_main)
