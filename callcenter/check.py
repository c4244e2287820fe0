"""``callcenter check``: is this machine ready to run the service? One verdict per line.

Checks, in order: the configuration (and the effective non-secret settings), the database
(reachable, schema at every migration head), the AMI login (TCP, banner, Login), the
voicemail spool (a directory that can be listed; how many messages), the Vosk model (loads
in a child process, so the check itself never holds ~500 MB and a hung load can be
killed) and Master.csv. Each verdict is ``ok``, ``FAIL`` or ``skipped`` with the reason;
the exit status is 0 when nothing failed, 1 otherwise. ``--json`` prints one object.
Nothing is written: a missing SQLite file is reported, not created.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from callcenter.ami.cdr import parse_master_csv
from callcenter.ami.cdrzone import ZoneCheck, describe
from callcenter.ami.wire import ActionReader, encode_message, header
from callcenter.config import Config, ConfigError, load_config

OK, FAIL, SKIPPED = "ok", "FAIL", "skipped"
WARN = "WARN"  # ready, but someone should look (notices piling up undelivered)
DEFAULT_TIMEOUT = 10.0
DEFAULT_MODEL_TIMEOUT = 180.0
ACTION_ID = "callcenter-check"
MAX_REPLY_BYTES = 1 << 20
SECRET_WORDS = ("secret", "password", "token", "key")
UPGRADE_HINT = "run callcenter db upgrade"

# Runs in a child process: load the model once, report, exit (the memory goes with it).
_MODEL_PROBE = """
import json, resource, sys, time
try:
    from callcenter.transcribe.engine import ModelError, load_model
except Exception as exc:
    print(json.dumps({"error": f"cannot import the transcription engine: {exc}"})); sys.exit(0)
started = time.monotonic()
try:
    model = load_model(sys.argv[1])
except ModelError as exc:
    print(json.dumps({"error": str(exc)})); sys.exit(0)
print(json.dumps({"seconds": time.monotonic() - started, "sample_rate": model.sample_rate,
                  "upsample": model.allow_upsample,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


@dataclass(frozen=True)
class Verdict:
    name: str
    status: str  # OK | FAIL | SKIPPED
    detail: str

    def line(self) -> str:
        return f"{self.name:<9} {self.status}: {self.detail}"


# -- configuration ---------------------------------------------------------------------------


def _is_secret(name: str) -> bool:
    """``ami_secret``, ``session_key``, ``metrics_token``…; not ``session_key_file`` (a path)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS) and not lowered.endswith(("_file", "_dir", "_path"))


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown by scheme only
        return url.split("://", 1)[0] + "://…"


def effective_settings(config: Config) -> dict[str, Any]:
    """Every setting as the service will use it, secrets replaced by ``(set)``."""
    shown: dict[str, Any] = {}
    for field in dataclasses.fields(config):
        if field.name == "extra":
            continue
        value = getattr(config, field.name)
        if field.name == "database_url":
            value = _shown_url(value)
        elif field.name == "webhook_url" and value:
            value = _shown_url(value).split("?", 1)[0]  # a token may ride in the query
        elif _is_secret(field.name):
            value = "(set)" if value else "(empty)"
        if isinstance(value, Path):
            value = str(value)
        shown[field.name] = list(value) if isinstance(value, tuple) else value
    for key, value in sorted(config.extra.items()):
        shown[key] = "(set)" if _is_secret(key) else value
    return shown


def check_config(env: Mapping[str, str]) -> tuple[Config | None, Verdict]:
    source = env.get("CALLCENTER_CONFIG") or "environment and defaults (no CALLCENTER_CONFIG)"
    try:
        config = load_config(env)
    except ConfigError as exc:
        return None, Verdict("config", FAIL, str(exc))
    note = "; note: the AMI secret is the built-in default" if config.ami_secret == Config.ami_secret else ""
    return config, Verdict("config", OK, f"loaded from {source}{note}")


def check_keys(config: Config, env: Mapping[str, str]) -> Verdict:
    """The session key and the audit chain's keys: present and well-formed, or to be created
    at the first start (never created here)."""
    from callcenter import audit_keys
    from callcenter.web import settings as web_settings

    notes = []
    named = env.get(web_settings.ENV_KEY + "_FILE")
    try:
        if config.extra.get("session_key") or env.get(web_settings.ENV_KEY) or named:
            web_settings.session_key(config.extra, env)
        else:
            path = Path(str(config.extra.get("session_key_file", web_settings.DEFAULT_KEY_FILE))).expanduser()
            if path.exists():
                web_settings.session_key({"session_key": path.read_bytes().decode("ascii", "replace")}, {})
            else:
                notes.append(f"session key {path} will be created at the first start")
    except ConfigError as exc:
        return Verdict("keys", FAIL, f"session key: {exc}")
    except OSError as exc:
        return Verdict("keys", FAIL, f"session key: {exc}")
    path = Path(config.audit_key_file).expanduser()
    if path.exists():
        try:
            keys = audit_keys.load(path, create=False)
        except audit_keys.AuditKeyError as exc:
            return Verdict("keys", FAIL, str(exc))
        notes.append(f"audit keys {path}: {len(keys.keys)} (current {keys.current})")
    else:
        notes.append(f"audit key {path} will be created at the first start (back it up apart from the database)")
    return Verdict("keys", OK, "; ".join(notes))


# -- database --------------------------------------------------------------------------------


def migration_revisions() -> tuple[set[str], set[str]]:
    """(every head, every revision) of this version's migrations."""
    from alembic.script import ScriptDirectory

    from callcenter.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions(base="base", head="heads")}
    return set(script.get_heads()), known


async def _schema_versions(url: str, timeout: float) -> set[str] | None:
    """The revisions in ``alembic_version``; None when the table does not exist."""
    engine = create_async_engine(url, connect_args={"timeout": timeout})
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
                return None
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return {str(row[0]) for row in rows}
    finally:
        await engine.dispose()


async def check_database(config: Config, timeout: float) -> Verdict:
    url, shown = config.database_url, _shown_url(config.database_url)
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" and parsed.database != ":memory:" else None
    if file and not Path(file).is_file():
        return Verdict("database", FAIL, f"{shown}: no database file {Path(file).resolve()} yet; {UPGRADE_HINT}")
    try:
        current = await asyncio.wait_for(_schema_versions(url, timeout), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        return Verdict("database", FAIL, f"{shown}: no answer within {timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - any driver error is the verdict
        return Verdict("database", FAIL, f"{shown}: cannot connect: {_one_line(exc)}")
    heads, known = migration_revisions()
    if current is None:
        return Verdict("database", FAIL, f"{shown}: reachable, but no schema; {UPGRADE_HINT}")
    at = ", ".join(sorted(current)) or "nothing"
    if current - known:
        heads_text = ", ".join(sorted(heads))
        return Verdict("database", FAIL, f"{shown}: schema at {at}, unknown to this version of callcenter "
                                         f"(heads {heads_text}): a newer release migrated it")  # fmt: skip
    if current != heads:
        missing = ", ".join(sorted(heads - current))
        return Verdict("database", FAIL, f"{shown}: schema at {at}, not at {missing}; {UPGRADE_HINT}")
    return Verdict("database", OK, f"{shown}: reachable, schema at every head ({', '.join(sorted(heads))})")


async def check_notices(config: Config, database: Verdict, timeout: float) -> Verdict:
    """Whether notices are piling up undelivered (nobody can read them, unread for over an hour,
    not taken by the webhook) and whether somebody is on duty (callcenter.web.notices.backlog)."""
    if database.status != OK:
        return Verdict("notices", SKIPPED, "the database is not ready")
    import datetime as dt

    from callcenter.db.session import create_engine, session_factory
    from callcenter.web.notices.backlog import backlog

    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session:
            found = await asyncio.wait_for(backlog(session, dt.datetime.now(dt.UTC), webhook=bool(config.webhook_url)),
                                           timeout)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - any driver error is the verdict
        return Verdict("notices", FAIL, f"cannot read the notices: {_one_line(exc)}")
    finally:
        await engine.dispose()
    channel = "inbox + webhook" if config.webhook_url else "panel inbox (no webhook configured)"
    if found.piling_up or found.nobody_on_duty:
        return Verdict("notices", WARN, f"{channel}: {found.text_en()}")
    return Verdict("notices", OK, f"{channel}: every due notice delivered; someone on duty")


# -- AMI -------------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[tuple[str, str], ...]:
    """The first message that answers our action (events and other answers are skipped)."""
    parser, seen = ActionReader(), 0
    while seen < MAX_REPLY_BYTES:
        data = await reader.read(65536)
        if not data:
            raise ConnectionError("the PBX closed the connection without answering")
        seen += len(data)
        for message in parser.feed(data):
            if header(message, "Response") and header(message, "ActionID") in ("", ACTION_ID):
                return message
    raise ConnectionError("no answer to Login in the first MiB")


async def _login(config: Config, timeout: float) -> Verdict:
    where = f"{config.ami_host}:{config.ami_port}"
    reader, writer = await asyncio.wait_for(asyncio.open_connection(config.ami_host, config.ami_port), timeout)
    try:
        banner = (await asyncio.wait_for(reader.readline(), timeout)).decode("utf-8", "replace").strip()
        if not banner.startswith("Asterisk Call Manager/"):
            return Verdict("ami", FAIL, f"{where} does not speak AMI (first line {banner[:60]!r})")
        login = (("Action", "Login"), ("ActionID", ACTION_ID), ("Username", config.ami_username),
                 ("Secret", config.ami_secret), ("Events", "off"))  # fmt: skip
        writer.write(encode_message(login))
        reply = await asyncio.wait_for(_read_response(reader), timeout)
        if header(reply, "Response").lower() != "success":
            return Verdict("ami", FAIL, f"login refused: {_one_line(header(reply, 'Message') or 'no reason given')}"
                                        f" ({config.ami_username}@{where})")  # fmt: skip
        writer.write(encode_message((("Action", "Logoff"), ("ActionID", ACTION_ID + "-bye"))))
        return Verdict("ami", OK, f"logged in to {where} as {config.ami_username} ({banner})")
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), timeout)


async def check_ami(config: Config, timeout: float) -> Verdict:
    where = f"{config.ami_host}:{config.ami_port}"
    try:
        return await _login(config, timeout)
    except (TimeoutError, asyncio.TimeoutError):
        return Verdict("ami", FAIL, f"no answer from {where} within {timeout:g} s")
    except ConnectionRefusedError:
        return Verdict("ami", FAIL, f"cannot reach {where}: connection refused (nothing listens there?)")
    except OSError as exc:
        return Verdict("ami", FAIL, f"cannot reach {where}: {exc.strerror or _one_line(exc)}")
    except Exception as exc:  # noqa: BLE001 - a broken peer is the verdict, not a crash
        return Verdict("ami", FAIL, f"{where}: {_one_line(exc)}")


# -- files -----------------------------------------------------------------------------------


def _stat(path: Path, name: str) -> tuple[os.stat_result | None, Verdict | None]:
    try:
        return path.stat(), None
    except FileNotFoundError:
        return None, Verdict(name, FAIL, f"{path}: does not exist")
    except PermissionError:
        return None, Verdict(name, FAIL, f"{path}: permission denied (a folder on the way is closed to this user)")
    except OSError as exc:
        return None, Verdict(name, FAIL, f"{path}: {exc.strerror or exc}")


def _list(path: Path) -> list[os.DirEntry[str]]:
    with os.scandir(path) as entries:
        return sorted(entries, key=lambda e: e.name)


def _count_messages(path: Path) -> dict[str, int]:
    """Messages per ``context/mailbox``; reads the newest ``.txt`` of each folder (not only lists)."""
    messages: dict[str, int] = {}
    for context in (e for e in _list(path) if e.is_dir()):
        for mailbox in (e for e in _list(Path(context.path)) if e.is_dir()):
            for folder in (e for e in _list(Path(mailbox.path)) if e.is_dir()):
                found = [e for e in _list(Path(folder.path)) if e.name.startswith("msg") and e.name.endswith(".txt")]
                if found:
                    box = f"{context.name}/{mailbox.name}"
                    messages[box] = messages.get(box, 0) + len(found)
                    with open(found[-1].path, "rb") as fh:
                        fh.read(1)
    return messages


def check_spool(path: Path) -> Verdict:
    """The spool (``<context>/<mailbox>/<folder>/msgNNNN.txt``): listable, and its messages."""
    info, failed = _stat(path, "spool")
    if info is None:
        assert failed is not None
        return failed
    if not stat.S_ISDIR(info.st_mode):
        return Verdict("spool", FAIL, f"{path}: not a directory")
    try:
        messages = _count_messages(path)
    except PermissionError as exc:
        return Verdict("spool", FAIL, f"{exc.filename or path}: permission denied (cannot list or read)")
    except OSError as exc:
        return Verdict("spool", FAIL, f"{exc.filename or path}: {exc.strerror or exc}")
    total = sum(messages.values())
    where = ", ".join(f"{box}: {n}" for box, n in messages.items()) or "no mailbox folders yet"
    return Verdict("spool", OK, f"{path}: readable, {total} message{'s' if total != 1 else ''} ({where})")


def check_cdr_csv(path: Path | None) -> Verdict:
    if path is None:
        return Verdict("cdr_csv", SKIPPED, "not configured: calls that end while the service is not listening "
                                          "will not be recovered from Master.csv")  # fmt: skip
    info, failed = _stat(path, "cdr_csv")
    if info is None:
        assert failed is not None
        return Verdict("cdr_csv", FAIL, f"{failed.detail} (Asterisk writes it with the first CDR; cdr.conf [csv])")
    if not stat.S_ISREG(info.st_mode):
        return Verdict("cdr_csv", FAIL, f"{path}: not a file")
    try:
        with path.open("rb") as fh:
            fh.read(4096)
    except OSError as exc:
        return Verdict("cdr_csv", FAIL, f"{path}: cannot read: {exc.strerror or exc}")
    return Verdict("cdr_csv", OK, f"{path}: readable, {info.st_size} bytes")


CDR_TAIL = 256 << 10  # bytes at the end of Master.csv read for the time-zone check


def check_cdr_timezone(path: Path | None, configured: str) -> Verdict:
    """CALLCENTER_CDR_TIMEZONE against the PBX's clocks, from the newest Master.csv rows.

    Each row's local start time beside the epoch time in its uniqueid (cdrzone.py)."""
    name = "cdr_zone"
    if path is None:
        return Verdict(name, SKIPPED, f"{configured}: not verified (no CALLCENTER_CDR_CSV; the service "
                                      "verifies it from the Cdr events and warns in its log and /metrics)")  # fmt: skip
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - CDR_TAIL))
            tail = fh.read(CDR_TAIL)
    except OSError as exc:
        return Verdict(name, SKIPPED, f"{configured}: not verified ({path}: {exc.strerror or exc})")
    if size > CDR_TAIL:
        tail = tail.split(b"\n", 1)[-1]  # drop the partial first line
    rows, _errors = parse_master_csv(tail.decode("utf-8", "replace"), ZoneInfo("UTC"))
    zone = ZoneCheck(configured)
    for row in rows:
        zone.observe_row(row.uniqueid, row.start)
    if zone.observed is None:
        return Verdict(name, SKIPPED, f"{configured}: not verified yet ({path} has no call rows to compare)")
    message = zone.message()
    if message:
        return Verdict(name, FAIL, message)
    return Verdict(name, OK, f"{configured} ({describe(zone.observed)}) agrees with the PBX's clocks "
                             f"({len(zone.samples)} Master.csv rows)")  # fmt: skip


# -- Vosk model ------------------------------------------------------------------------------


async def check_model(path: Path | None, timeout: float) -> Verdict:
    if path is None:
        return Verdict("vosk", SKIPPED, "not configured: drafts will say transcription is unavailable")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _MODEL_PROBE, str(path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        proc.kill()
        await proc.wait()
        return Verdict("vosk", FAIL, f"{path}: not loaded within {timeout:g} s (killed)")
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = {}
    if "error" in result:
        return Verdict("vosk", FAIL, _one_line(result["error"]))
    if proc.returncode != 0 or "sample_rate" not in result:
        tail = _one_line(err.decode("utf-8", "replace").strip().splitlines()[-1:] or "no output")
        return Verdict("vosk", FAIL, f"{path}: the loading process died (exit {proc.returncode}): {tail}")
    rate = "" if result["sample_rate"] == 8000 or result["upsample"] else ", 8 kHz voicemail is resampled"
    return Verdict("vosk", OK, f"{path}: loads in {result['seconds']:.1f} s, {result['sample_rate']} Hz model{rate}, "
                               f"~{result['rss_mb']} MB per worker process")  # fmt: skip


# -- running ---------------------------------------------------------------------------------


def _one_line(value: object) -> str:
    text_ = " ".join(str(value).split())
    return text_[:300]


async def run_checks(
    env: Mapping[str, str], *, timeout: float = DEFAULT_TIMEOUT, model_timeout: float = DEFAULT_MODEL_TIMEOUT
) -> tuple[list[Verdict], dict[str, Any]]:
    """All verdicts, in order, and the effective settings (empty when the config is bad)."""
    config, verdict = check_config(env)
    if config is None:
        reason = "the configuration did not load"
        rest = [Verdict(name, SKIPPED, reason)
                for name in ("keys", "database", "notices", "ami", "spool", "vosk", "cdr_csv", "cdr_zone")]  # fmt: skip
        return [verdict, *rest], {}
    database, ami, model = await asyncio.gather(
        check_database(config, timeout), check_ami(config, timeout), check_model(config.vosk_model, model_timeout)
    )
    spool, cdr, zone = await asyncio.gather(
        asyncio.to_thread(check_spool, config.spool_dir),
        asyncio.to_thread(check_cdr_csv, config.cdr_csv),
        asyncio.to_thread(check_cdr_timezone, config.cdr_csv, config.cdr_timezone),
    )
    notices = await check_notices(config, database, timeout)
    return [verdict, check_keys(config, env), database, notices, ami, spool, model, cdr, zone], effective_settings(config)


def report(verdicts: list[Verdict], settings: dict[str, Any], *, as_json: bool) -> str:
    failed = any(v.status == FAIL for v in verdicts)
    if as_json:
        checks = [{"name": v.name, "status": v.status.lower(), "detail": v.detail} for v in verdicts]
        return json.dumps({"ok": not failed, "checks": checks, "settings": settings}, ensure_ascii=False, default=str)
    lines = [verdicts[0].line()]
    lines += [f"          {key} = {value}" for key, value in settings.items()]
    lines += [v.line() for v in verdicts[1:]]
    counts = {status: sum(v.status == status for v in verdicts) for status in (OK, FAIL, SKIPPED)}
    verdict = "NOT READY" if failed else "ready"
    warned = sum(v.status == WARN for v in verdicts)
    lines.append(f"{verdict}: {counts[OK]} ok, {counts[FAIL]} failed, {counts[SKIPPED]} skipped"
                 + (f", {warned} warnings" if warned else ""))
    return "\n".join(lines)


def command(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    verdicts, settings = asyncio.run(
        run_checks(os.environ if env is None else env, timeout=args.timeout, model_timeout=args.model_timeout)
    )
    print(report(verdicts, settings, as_json=args.json), flush=True)
    return 1 if any(v.status == FAIL for v in verdicts) else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("check", help="check configuration, database, AMI, spool, model, Master.csv",
                            description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"network timeout per check (default {DEFAULT_TIMEOUT:g} s)")  # fmt: skip
    parser.add_argument("--model-timeout", type=float, default=DEFAULT_MODEL_TIMEOUT, metavar="S",
                        help=f"time allowed to load the Vosk model (default {DEFAULT_MODEL_TIMEOUT:g} s)")  # fmt: skip
    parser.set_defaults(func=command)
