"""Settings of the panel that ``Config`` does not have as fields, read once at start-up.

Read from ``config.extra`` (the TOML file) and, for secrets, from the environment given
(``CALLCENTER_SESSION_KEY`` / ``CALLCENTER_SESSION_KEY_FILE``). Handlers never read these
sources; they get a ``WebSettings`` from the app.

- ``session_key``: a Fernet key (``callcenter user`` prints how to make one). Without
  one, a key file (``session_key_file``, default ``var/session.key``) is created once with
  mode 0600 and reused. Several panel instances behind one address must share the key.
- ``cookie_secure`` (default true): the session cookie is only sent over HTTPS, and over
  plain http to localhost/127.0.0.1 (browsers treat loopback as secure). Set it to false
  only to reach a development panel over plain http from another machine.
- ``trusted_proxies``: addresses/networks of reverse proxies whose ``X-Forwarded-For`` is
  believed (``CALLCENTER_TRUSTED_PROXIES``, comma-separated); see ``auth/proxies.py``.
- ``allowed_origins``: extra origins (``https://panel.example``) accepted on unsafe
  requests and the websocket, e.g. when a TLS proxy changes the Host header.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from callcenter.config import Config, ConfigError
from callcenter.web.auth.proxies import parse_networks

ENV_KEY = "CALLCENTER_SESSION_KEY"
DEFAULT_KEY_FILE = Path("var/session.key")


@dataclass(frozen=True)
class WebSettings:
    session_key: bytes
    cookie_secure: bool = True
    allowed_origins: tuple[str, ...] = ()
    session_idle_seconds: int = 12 * 3600
    session_max_seconds: int = 24 * 3600
    login_free_failures: int = 5
    login_base_lock_seconds: int = 30
    login_max_lock_seconds: int = 3600
    login_forget_seconds: int = 24 * 3600
    # Failures from one address over all accounts (password spraying) before it is locked.
    login_address_free_failures: int = 20
    # Failures on one account from unknown browsers before new browsers are locked out of it
    # (a browser where the account logged in before still gets in: strangers cannot lock a clerk out).
    login_account_free_failures: int = 10
    trusted_proxies: tuple[Any, ...] = ()  # networks (callcenter.web.auth.proxies)
    ws_revalidate_seconds: float = 30.0


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    low = str(value).strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key}: not a boolean: {value!r}")


def _check_key(key: str, raw: bytes) -> bytes:
    raw = raw.strip()
    try:
        Fernet(raw)
    except (ValueError, TypeError):
        raise ConfigError(f"{key}: not a Fernet key (32 url-safe base64-encoded bytes)") from None
    return raw


def key_file(path: Path) -> bytes:
    """The key in ``path``, creating it (mode 0600) if it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _check_key(str(path), path.read_bytes())
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key())
    return _check_key(str(path), path.read_bytes())


def session_key(extra: Mapping[str, Any], env: Mapping[str, str]) -> bytes:
    if extra.get("session_key"):
        return _check_key("session_key", str(extra["session_key"]).encode())
    if env.get(ENV_KEY):
        return _check_key(ENV_KEY, env[ENV_KEY].encode())
    if env.get(ENV_KEY + "_FILE"):
        path = Path(env[ENV_KEY + "_FILE"])
        try:
            return _check_key(ENV_KEY + "_FILE", path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"{ENV_KEY}_FILE: {exc.strerror}: {path}") from None
    return key_file(Path(str(extra.get("session_key_file", DEFAULT_KEY_FILE))).expanduser())


def load_web_settings(config: Config, env: Mapping[str, str] | None = None, **overrides: Any) -> WebSettings:
    env = os.environ if env is None else env
    extra = config.extra
    values: dict[str, Any] = {}
    if "cookie_secure" in extra:
        values["cookie_secure"] = _bool("cookie_secure", extra["cookie_secure"])
    elif "CALLCENTER_COOKIE_SECURE" in env:
        values["cookie_secure"] = _bool("CALLCENTER_COOKIE_SECURE", env["CALLCENTER_COOKIE_SECURE"])
    origins = extra.get("allowed_origins", ())
    if isinstance(origins, str):
        origins = [o for o in origins.split(",") if o.strip()]
    values["allowed_origins"] = tuple(str(o).strip().rstrip("/") for o in origins)
    proxies = extra.get("trusted_proxies", env.get("CALLCENTER_TRUSTED_PROXIES", ()))
    if isinstance(proxies, str):
        proxies = proxies.split(",")
    values["trusted_proxies"] = parse_networks([str(p) for p in proxies])
    values.update(overrides)
    if "session_key" not in values:
        values["session_key"] = session_key(extra, env)
    return WebSettings(**values)
