"""Configuration: env over TOML, typed values, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.config import ConfigError, load_config


def test_defaults() -> None:
    config = load_config(env={})
    assert config.database_url.startswith("sqlite+aiosqlite:///var/")
    assert (config.ami_host, config.ami_port, config.timezone) == ("127.0.0.1", 5038, "Asia/Shanghai")
    assert config.cdr_csv is None


def test_env_overrides_toml(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('database_url = "sqlite+aiosqlite:///x.db"\n[ami]\nhost = "pbx.local"\nport = 5039\n')
    config = load_config(env={"CALLCENTER_CONFIG": str(toml), "CALLCENTER_AMI_PORT": "6000",
                              "CALLCENTER_CDR_CSV": "/var/log/asterisk/cdr-csv/Master.csv"})  # fmt: skip
    assert config.ami_host == "pbx.local" and config.ami_port == 6000
    assert config.cdr_csv == Path("/var/log/asterisk/cdr-csv/Master.csv")
    assert config.database_url == "sqlite+aiosqlite:///x.db"


def test_secret_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    assert load_config(env={"CALLCENTER_AMI_SECRET_FILE": str(secret)}).ami_secret == "s3cret"


def test_postgresql_url_gets_the_async_driver() -> None:
    config = load_config(env={"CALLCENTER_DATABASE_URL": "postgresql://u@h/db"})
    assert config.database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"CALLCENTER_AMI_PORT": "five"}, "CALLCENTER_AMI_PORT"),
        ({"CALLCENTER_AMI_PORT": "70000"}, "CALLCENTER_AMI_PORT"),
        ({"CALLCENTER_TIMEZONE": "Mars/Olympus"}, "CALLCENTER_TIMEZONE"),
        ({"CALLCENTER_CDR_TIMEZONE": "nowhere"}, "CALLCENTER_CDR_TIMEZONE"),
        ({"CALLCENTER_DATABASE_URL": "mysql://x"}, "CALLCENTER_DATABASE_URL"),
        ({"CALLCENTER_AMI_PING_TIMEOUT": "-1"}, "CALLCENTER_AMI_PING_TIMEOUT"),
        ({"CALLCENTER_AMI_HOST": ""}, "CALLCENTER_AMI_HOST"),
        ({"CALLCENTER_AMI_SECRET_FILE": "/nonexistent/secret"}, "CALLCENTER_AMI_SECRET_FILE"),
        ({"CALLCENTER_CONFIG": "/nonexistent.toml"}, "CALLCENTER_CONFIG"),
        ({"CALLCENTER_TRANSCRIBE_WORKERS": "0"}, "CALLCENTER_TRANSCRIBE_WORKERS: must be from 1 to 32"),
        ({"CALLCENTER_TRANSCRIBE_WORKERS": "33"}, "CALLCENTER_TRANSCRIBE_WORKERS: must be from 1 to 32"),
        ({"CALLCENTER_TRANSCRIBE_WORKERS": "two"}, "CALLCENTER_TRANSCRIBE_WORKERS"),
        ({"CALLCENTER_TRANSCRIBE_WORKERS": "2.5"}, "CALLCENTER_TRANSCRIBE_WORKERS"),
    ],
)
def test_errors_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(env=env)


def test_toml_errors_name_file_and_key(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("[ami]\nport = 'x'\n")
    with pytest.raises(ConfigError, match=r"c\.toml: ami_port"):
        load_config(env={"CALLCENTER_CONFIG": str(toml)})
    toml.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="CALLCENTER_CONFIG"):
        load_config(env={"CALLCENTER_CONFIG": str(toml)})


def test_transcribe_workers(tmp_path: Path) -> None:
    assert load_config(env={}).transcribe_workers is None  # one per spare core, at most 4
    assert load_config(env={"CALLCENTER_TRANSCRIBE_WORKERS": " 3 "}).transcribe_workers == 3
    assert load_config(env={"CALLCENTER_TRANSCRIBE_WORKERS": ""}).transcribe_workers is None
    toml = tmp_path / "c.toml"
    toml.write_text("transcribe_workers = 2\n")
    assert load_config(env={"CALLCENTER_CONFIG": str(toml)}).transcribe_workers == 2
    env = {"CALLCENTER_CONFIG": str(toml), "CALLCENTER_TRANSCRIBE_WORKERS": "32"}
    assert load_config(env=env).transcribe_workers == 32
    assert "transcribe_workers" not in load_config(env={"CALLCENTER_CONFIG": str(toml)}).extra


@pytest.mark.parametrize("value", ["0", "33", "true", "2.5", "[2]"])
def test_transcribe_workers_errors_name_file_and_key(tmp_path: Path, value: str) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(f"transcribe_workers = {value}\n")
    with pytest.raises(ConfigError, match=r"c\.toml: transcribe_workers: "):
        load_config(env={"CALLCENTER_CONFIG": str(toml)})
