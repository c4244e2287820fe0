"""Service configuration: a frozen dataclass loaded once from env + optional TOML.

Environment variables (``CALLCENTER_*``) override the TOML file named by
``CALLCENTER_CONFIG``. Every error names the offending key. Secrets may also
come from ``<KEY>_FILE`` (e.g. ``CALLCENTER_AMI_SECRET_FILE``).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "CALLCENTER_"


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the key."""


@dataclass(frozen=True)
class Config:
    database_url: str = "sqlite+aiosqlite:///var/callcenter.sqlite3"
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "callcenter"
    ami_secret: str = "callcenter-secret"
    # Seconds between watchdog pings; a ping unanswered for ami_ping_timeout drops the link.
    ami_ping_interval: float = 10.0
    ami_ping_timeout: float = 5.0
    ami_reconnect_min: float = 1.0
    ami_reconnect_max: float = 30.0
    spool_dir: Path = Path("var/spool/voicemail")
    # Path of Asterisk's Master.csv used for reconciliation (optional).
    cdr_csv: Path | None = None
    timezone: str = "Asia/Shanghai"
    # Time zone of the PBX's CDR times (Master.csv / Cdr events); "UTC" with usegmtime=yes.
    cdr_timezone: str = "UTC"
    # Numbers of the hotline; informational (every call reaching the PBX is logged).
    hotline_numbers: tuple[str, ...] = ("6085708",)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # Panel processes sharing the port (SO_REUSEPORT; callcenter.web.workers): 1 = the panel
    # runs in the service's own process only.
    http_workers: int = 1
    vosk_model: Path | None = None
    # Transcription worker processes (each holds the model); None: one per spare core, at most 4.
    transcribe_workers: int | None = None
    webhook_url: str | None = None
    # The live feed across processes (callcenter.live.bridge): auto = on when ``serve --role``
    # splits the service over processes (or http_workers > 1), off when one process does it all.
    live_bridge: str = "auto"
    # The audit chain's HMAC keys (callcenter.audit_keys): a file the database does not hold;
    # created (mode 0600) on first use. Back it up apart from the database.
    audit_key_file: Path = Path("var/audit.key")
    # Queue figures (callcenter.analytics.kpi): answered within this many seconds counts for the
    # service level; an abandon with a shorter wait is a short abandon, counted apart.
    service_level_seconds: float = 20.0
    short_abandon_seconds: float = 5.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_FIELDS = {f.name: f for f in dataclasses.fields(Config) if f.name != "extra"}
MAX_TRANSCRIBE_WORKERS = 32  # each worker holds a copy of the model (~300-500 MB)
_COUNTS = {"transcribe_workers": (1, MAX_TRANSCRIBE_WORKERS), "http_workers": (1, 64)}  # integer settings with bounds
# Settings that take one of a few words (a TOML boolean means "on"/"off").
_CHOICES = {"live_bridge": ("auto", "on", "off")}


def _coerce(key: str, name: str, raw: Any) -> Any:
    """Convert ``raw`` to the type of field ``name``; errors name ``key``."""
    default = _FIELDS[name].default
    annotation = str(_FIELDS[name].type)
    try:
        if raw is None or raw == "":
            if "None" in annotation:
                return None
            raise ConfigError(f"{key}: a value is required")
        if name in _COUNTS:
            return _count(raw, *_COUNTS[name])
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            low = str(raw).strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"not a boolean: {raw!r}")
        if isinstance(default, int):
            value = int(raw)
            if name.endswith("_port") and not 0 < value < 65536:
                raise ValueError(f"port out of range: {value}")
            return value
        if isinstance(default, float):
            value = float(raw)
            if value < 0:
                raise ValueError(f"must not be negative: {value}")
            return value
        if "Path" in annotation:
            return Path(str(raw)).expanduser()
        if "tuple" in annotation:
            if isinstance(raw, str):
                return tuple(p.strip() for p in raw.split(",") if p.strip())
            return tuple(str(p) for p in raw)
        if name in _CHOICES:
            word = ("on" if raw else "off") if isinstance(raw, bool) else str(raw).strip().lower()
            if word not in _CHOICES[name]:
                raise ValueError(f"expected one of {', '.join(_CHOICES[name])}, got {raw!r}")
            return word
        if not isinstance(raw, str):
            raise ValueError(f"expected a string, got {type(raw).__name__}")
        return raw
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _count(raw: Any, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (not a boolean, not a fraction)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError(f"expected a whole number, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise ValueError(f"must be from {low} to {high}, got {value}")
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"CALLCENTER_CONFIG: file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"CALLCENTER_CONFIG: {path}: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key in ("ami", "http"):
            for sub, subvalue in value.items():
                flat[f"{key}_{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def load_config(env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Build the configuration from ``env`` (default ``os.environ``) and overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    config_path = env.get(ENV_PREFIX + "CONFIG")
    if config_path:
        for key, raw in _read_toml(Path(config_path)).items():
            if key in _FIELDS:
                values[key] = _coerce(f"{config_path}: {key}", key, raw)
            else:
                extra[key] = raw
    for name in _FIELDS:
        env_key = ENV_PREFIX + name.upper()
        file_key = env_key + "_FILE"
        if env_key in env:
            values[name] = _coerce(env_key, name, env[env_key])
        elif file_key in env:
            try:
                content = Path(env[file_key]).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"{file_key}: {exc.strerror}: {env[file_key]}") from None
            values[name] = _coerce(file_key, name, content)
    for name, value in overrides.items():
        if name not in _FIELDS:
            raise ConfigError(f"{name}: unknown setting")
        values[name] = value
    for name in ("timezone", "cdr_timezone"):
        try:
            ZoneInfo(values.get(name, getattr(Config, name)))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"CALLCENTER_{name.upper()}: unknown time zone {values[name]!r}") from None
    url = values.get("database_url", Config.database_url)
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
        raise ConfigError(
            "CALLCENTER_DATABASE_URL: expected sqlite+aiosqlite:///PATH or postgresql+asyncpg://..."
        )
    if url.startswith("postgresql://"):
        values["database_url"] = "postgresql+asyncpg://" + url[len("postgresql://"):]
    return Config(**values, extra=extra)
