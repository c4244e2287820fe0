"""The ``callcenter`` command line.

Each sub-command lives in the module that owns its concept; the module exposes
``register(subparsers)`` which adds its parser(s) and sets ``func`` (a callable
taking the parsed args and returning an exit code). Only the CLI configures logging.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from callcenter.config import ConfigError
from callcenter.db.session import DatabaseMissing
from callcenter.logs import FORMATS, configure_logging, default_log_format

# Modules that contribute sub-commands, in help order.
COMMAND_MODULES = (
    "callcenter.service",
    "callcenter.demo",
    "callcenter.ami.replay",
    "callcenter.db.commands",
    "callcenter.calls_export",
    "callcenter.tickets.commands",
    "callcenter.audit_commands",
    "callcenter.transcribe.commands",
    "callcenter.web.commands",
    "callcenter.check",
    "callcenter.transcribe.voicemail_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--log-format", choices=FORMATS, default=default_log_format(),
                        help="text, or json: one JSON object per line (env CALLCENTER_LOG_FORMAT)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.log_format)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"callcenter: configuration error: {exc}", file=sys.stderr)
        return 2
    except DatabaseMissing as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
