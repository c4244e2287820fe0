"""deploy/: the example configuration loads and names only real settings; the systemd units are valid."""

from __future__ import annotations

import dataclasses
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from callcenter.cli import build_parser
from callcenter.config import Config, load_config
from callcenter.service import ROLES

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
EXAMPLE = DEPLOY / "callcenter.toml"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED_BIN = "/opt/callcenter/venv/bin/callcenter"
FIELDS = {f.name for f in dataclasses.fields(Config)} - {"extra"}
# How the code reads a TOML-only setting: extra.get("key" / extra["key"] / "key" in extra.
EXTRA_READS = re.compile(
    r"""extra\.get\(\s*["']([a-z0-9_]+)["']"""  # extra.get("key"
    r"""|extra\[\s*["']([a-z0-9_]+)["']\s*\]"""  # extra["key"]
    r"""|["']([a-z0-9_]+)["']\s+in\s+(?:config\.)?extra\b"""  # "key" in extra
)
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
             "Restart": "on-failure", "User": "callcenter"}  # fmt: skip


def documented_extras() -> set[str]:
    """The TOML-only keys the code reads (``config.extra``), found in the package's source."""
    found: set[str] = set()
    for path in (ROOT / "callcenter").rglob("*.py"):
        for match in EXTRA_READS.finditer(path.read_text(encoding="utf-8")):
            found.add(next(group for group in match.groups() if group))
    return found


def flat_keys(data: dict[str, object]) -> list[str]:
    """Keys as load_config sees them: ``[ami] port`` is ``ami_port``."""
    keys = []
    for key, value in data.items():
        if isinstance(value, dict) and key in ("ami", "http"):
            keys += [f"{key}_{sub}" for sub in value]
        else:
            keys.append(key)
    return keys


def commented_keys(text: str) -> list[str]:
    """``# key = value`` examples, with the table they sit in."""
    keys, table = [], ""
    for line in text.splitlines():
        if match := re.match(r"^\[(\w+)\]", line):
            table = match.group(1) + "_"
        elif match := re.match(r"^#\s?([a-z][a-z0-9_]*)\s*=\s*\S", line):
            keys.append(table + match.group(1))
    return keys


def test_extras_are_found_in_the_source() -> None:
    assert {"metrics_token", "session_key", "session_key_file", "cookie_secure", "allowed_origins",
            "reports_dir", "ops_port", "ops_host"} <= documented_extras()  # fmt: skip


def test_every_key_of_the_example_is_real() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = flat_keys(tomllib.loads(text)) + commented_keys(text)
    known = FIELDS | documented_extras()
    unknown = sorted(set(keys) - known)
    assert not unknown, f"deploy/callcenter.toml names settings nothing reads: {unknown}"
    assert FIELDS - {"ami_secret"} <= set(keys), f"not in the example: {sorted(FIELDS - {'ami_secret'} - set(keys))}"
    for secret in ("ami_secret", "session_key", "metrics_token"):
        assert secret not in keys, f"{secret} belongs in callcenter.env, not the TOML file"


def test_load_config_accepts_the_example() -> None:
    config = load_config({"CALLCENTER_CONFIG": str(EXAMPLE)})
    assert config.timezone == config.cdr_timezone == "Asia/Shanghai"
    assert config.database_url.startswith("postgresql+asyncpg://")
    assert config.vosk_model is not None and config.vosk_model.name == "vosk-model-small-cn-0.22"
    assert config.spool_dir == Path("/var/spool/asterisk/voicemail")
    assert config.cdr_csv == Path("/var/log/asterisk/cdr-csv/Master.csv")
    assert (config.ami_port, config.http_port, config.ami_username) == (5038, 8080, "callcenter")
    assert "6085708" in config.hotline_numbers


def test_env_example_names_real_variables() -> None:
    names = re.findall(r"^#?\s*(CALLCENTER_[A-Z_]+)=", (DEPLOY / "callcenter.env.example").read_text(), re.M)
    settings = {"CALLCENTER_" + name.upper() for name in FIELDS}
    panel_and_ops = {"CALLCENTER_SESSION_KEY", "CALLCENTER_METRICS_TOKEN"}
    assert names and set(names) <= settings | panel_and_ops


# -- systemd units -----------------------------------------------------------------------------


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections → (key, value) in order; fails on anything that is not a section, key=value,
    comment or blank line (systemd itself only warns)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        if match := re.fullmatch(r"\[([A-Za-z]+)\]", line):
            assert match.group(1) not in sections, f"{path.name}:{number}: section repeated"
            current = sections.setdefault(match.group(1), [])
            continue
        match = re.fullmatch(r"([A-Za-z]+)=(.*)", line)
        assert match and current is not None, f"{path.name}:{number}: not key=value in a section: {line!r}"
        assert not line.endswith("\\"), f"{path.name}:{number}: continuation lines are not used here"
        current.append((match.group(1), match.group(2)))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [value for k, value in section if k == key]


def instances(path: Path) -> list[str]:
    if path.name == "callcenter@.service":
        return list(ROLES)
    if path.name == "callcenter-web@.service":
        return ["8081", "8082"]
    return [""]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_syntax_and_hardening(path: Path) -> None:
    unit = parse_unit(path)
    assert set(unit) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    for key, expected in HARDENING.items():
        assert values(service, key) == [expected], key
    assert "/var/lib/callcenter" in " ".join(values(service, "ReadWritePaths"))
    assert values(service, "StateDirectory") == ["callcenter"]
    assert "/etc/callcenter/callcenter.env" in values(service, "EnvironmentFile")
    assert "CALLCENTER_CONFIG=/etc/callcenter/callcenter.toml" in values(service, "Environment")
    readable = " ".join(values(service, "ReadOnlyPaths"))
    assert "/var/spool/asterisk/voicemail" in readable and "/var/log/asterisk/cdr-csv" in readable
    assert values(service, "SupplementaryGroups") == ["asterisk"]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_exec_start_names_an_existing_sub_command(path: Path) -> None:
    (exec_start,) = values(parse_unit(path)["Service"], "ExecStart")
    argv = shlex.split(exec_start)
    assert argv[0] == INSTALLED_BIN
    parser = build_parser()
    for instance in instances(path):
        args = parser.parse_args([arg.replace("%i", instance) for arg in argv[1:]])  # exits 2 if unknown
        assert args.command == "serve" and callable(args.func)
        if instance in ROLES:
            assert args.role == [instance]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own check, with ExecStart pointed at this environment's callcenter."""
    here = Path(sys.executable).parent / "callcenter"
    assert here.is_file(), f"no callcenter script next to {sys.executable}"
    names = []
    for path in UNITS:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8").replace(INSTALLED_BIN, str(here)))
        names += [f"./{path.name.replace('@.', f'@{instance}.')}" for instance in instances(path)]
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    ours = [line for line in (proc.stdout + proc.stderr).splitlines() if "callcenter" in line]
    assert proc.returncode == 0 and not ours, proc.stdout + proc.stderr
