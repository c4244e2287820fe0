"""Where the session key comes from; the key file is made once, 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from callcenter.config import ConfigError, load_config
from callcenter.web.settings import load_web_settings


def test_key_file_is_created_once_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "session.key"
    config = load_config(env={})
    config = type(config)(**{**config.__dict__, "extra": {"session_key_file": str(path)}})
    first = load_web_settings(config, env={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_web_settings(config, env={}).session_key == first.session_key
    assert first.cookie_secure is True


def test_key_from_env_and_errors_name_the_key(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    config = load_config(env={})
    assert load_web_settings(config, env={"CALLCENTER_SESSION_KEY": key}).session_key == key.encode()
    with pytest.raises(ConfigError, match="CALLCENTER_SESSION_KEY"):
        load_web_settings(config, env={"CALLCENTER_SESSION_KEY": "short"})
    off = load_web_settings(config, env={"CALLCENTER_SESSION_KEY": key, "CALLCENTER_COOKIE_SECURE": "false"})
    assert off.cookie_secure is False
