"""Lint and consistency checks of ``asterisk-conf/``, the production Asterisk configuration.

* ``extensions.conf`` is linted with asterisklint (``asterisklint dialplan-check``, PyPI package
  ``asterisklint``, test extra); a planted error proves the linter really runs.
* Every ``*.conf`` file must parse with the small Asterisk-config parser below (sections,
  templates ``(!)``/``(name)``, ``key = value``, ``key => value``, ``;`` comments, ``#include``).
* The files must agree with ``callcenter/ami/contract.py`` (imported, never copied): the AMI
  user and its classes, ``timestampevents``, the voicemail UserEvent and its headers, the
  mailbox, and the hotline's route number -> Queue(hotline) -> VoiceMail().
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import ipaddress
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from callcenter.ami import contract
from callcenter.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "asterisk-conf"

EXPECTED_FILES = {
    "README.md",
    "manager.conf",
    "extensions.conf",
    "queues.conf",
    "voicemail.conf",
    "pjsip.conf",
    "cdr.conf",
    "cdr_manager.conf",
    "cel.conf",
    "cel_custom.conf",
    "features.conf",
    "modules.conf",
}

TRUE_VALUES = {"yes", "true", "y", "t", "1", "on"}  # Asterisk's ast_true()


# --------------------------------------------------------------------------- the parser


class ConfSyntaxError(ValueError):
    """A line that Asterisk's config loader would not accept (message names file and line)."""


@dataclass(frozen=True)
class Entry:
    key: str
    op: str  # "=" or "=>"
    value: str
    line: int


@dataclass
class Section:
    name: str
    line: int
    is_template: bool = False
    templates: tuple[str, ...] = ()
    entries: list[Entry] = field(default_factory=list)
    # entries inherited from templates, then the section's own (filled by the parser)
    resolved: list[Entry] = field(default_factory=list)

    def getall(self, key: str) -> list[str]:
        return [e.value for e in self.resolved if e.key.lower() == key.lower()]

    def get(self, key: str) -> str | None:
        values = self.getall(key)
        return values[-1] if values else None


@dataclass
class ConfFile:
    path: str
    sections: list[Section] = field(default_factory=list)
    directives: list[tuple[str, str, int]] = field(default_factory=list)

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name and not s.is_template]

    def one(self, name: str, **where: str) -> Section:
        found = [
            s for s in self.named(name)
            if all((s.get(k) or "").lower() == v.lower() for k, v in where.items())
        ]
        assert len(found) == 1, f"{self.path}: expected one [{name}] {where or ''}, found {len(found)}"
        return found[0]


_SECTION_RE = re.compile(r"^\[([^\[\]]+)\](?:\(([^()]*)\))?$")
_ENTRY_RE = re.compile(r"^([^\s=\[\];][^=]*?)\s*(=>|=)\s*(.*)$")
_DIRECTIVE_RE = re.compile(r"^#(include|tryinclude|exec)\s+(\S.*)$")


def _strip_comment(line: str, in_block: bool) -> tuple[str, bool]:
    """Remove ``;`` comments (not ``\\;``) and ``;-- ... --;`` block comments."""
    out = []
    i = 0
    while i < len(line):
        if in_block:
            end = line.find("--;", i)
            if end < 0:
                return "".join(out), True
            i, in_block = end + 3, False
            continue
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            if line.startswith(";--", i):
                i, in_block = i + 3, True
                continue
            break
        out.append(ch)
        i += 1
    return "".join(out), in_block


def parse_conf(text: str, path: str = "<string>") -> ConfFile:
    conf = ConfFile(path)
    current: Section | None = None
    in_block = False
    by_name: dict[str, list[Section]] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line, in_block = _strip_comment(raw, in_block)
        line = line.strip()
        if not line:
            continue
        where = f"{path}:{lineno}"
        if line.startswith("#"):
            m = _DIRECTIVE_RE.match(line)
            if not m:
                raise ConfSyntaxError(f"{where}: unknown directive {line!r}")
            conf.directives.append((m.group(1), m.group(2).strip().strip('"'), lineno))
            continue
        if line.startswith("["):
            m = _SECTION_RE.match(line)
            if not m:
                raise ConfSyntaxError(f"{where}: malformed section header {line!r}")
            name = m.group(1).strip()
            if not name:
                raise ConfSyntaxError(f"{where}: empty section name")
            options = [o.strip() for o in (m.group(2) or "").split(",") if o.strip()]
            if m.group(2) is not None and not options:
                raise ConfSyntaxError(f"{where}: empty template list in {line!r}")
            if "+" in options:  # [name](+): add to an earlier section of that name
                if not by_name.get(name):
                    raise ConfSyntaxError(f"{where}: [{name}](+) without an earlier [{name}]")
                current = by_name[name][-1]
                continue
            section = Section(name, lineno, is_template="!" in options)
            inherited: list[Entry] = []
            for tpl in options:
                if tpl == "!":
                    continue
                candidates = by_name.get(tpl)
                if not candidates:
                    raise ConfSyntaxError(f"{where}: template ({tpl}) is not defined above")
                inherited.extend(candidates[-1].resolved)
                section.templates += (tpl,)
            section.resolved = list(inherited)
            conf.sections.append(section)
            by_name.setdefault(name, []).append(section)
            current = section
            continue
        m = _ENTRY_RE.match(line)
        if not m:
            raise ConfSyntaxError(f"{where}: not a section, 'key = value' or 'key => value': {line!r}")
        if current is None:
            raise ConfSyntaxError(f"{where}: {m.group(1)!r} outside of any [section]")
        entry = Entry(m.group(1).strip(), m.group(2), m.group(3).strip(), lineno)
        current.entries.append(entry)
        current.resolved.append(entry)
    if in_block:
        raise ConfSyntaxError(f"{path}: unterminated ';--' block comment")
    return conf


def load(name: str) -> ConfFile:
    path = CONF_DIR / name
    return parse_conf(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE_VALUES


def split_args(data: str, maxsplit: int = -1) -> list[str]:
    """Split application data at top-level commas (not inside (), {} or [])."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(data):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0 and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append(data[start:i])
            start = i + 1
    parts.append(data[start:])
    return parts


# --------------------------------------------------------------------------- the dialplan model


@dataclass(frozen=True)
class Prio:
    number: int
    label: str | None
    app: str
    data: str
    line: int


_APPCALL_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*(?:\((.*)\))?$", re.S)
_PRIO_RE = re.compile(r"^(n|\d+)(?:\(([^()]+)\))?$")


def dialplan(conf: ConfFile) -> dict[str, dict[str, list[Prio]]]:
    """context -> extension -> priorities in order (from ``exten =>``/``same =>`` lines)."""
    contexts: dict[str, dict[str, list[Prio]]] = {}
    for section in conf.sections:
        if section.name in ("general", "globals"):
            continue
        exts = contexts.setdefault(section.name, {})
        current: list[Prio] | None = None
        for e in section.entries:
            key = e.key.lower()
            if key == "include":
                continue
            if key == "exten":
                exten, prio, appcall = split_args(e.value, 2)
                current = exts.setdefault(exten.strip(), [])
            elif key == "same":
                assert current is not None, f"{conf.path}:{e.line}: 'same' without an extension"
                prio, appcall = split_args(e.value, 1)
            else:
                raise AssertionError(f"{conf.path}:{e.line}: unexpected key {e.key!r} in a context")
            pm = _PRIO_RE.match(prio.strip())
            am = _APPCALL_RE.match(appcall.strip())
            assert pm and am, f"{conf.path}:{e.line}: cannot read priority/application of {e.value!r}"
            number = current[-1].number + 1 if pm.group(1) == "n" else int(pm.group(1))
            assert pm.group(1) == "n" or not current or number > current[-1].number, (
                f"{conf.path}:{e.line}: priorities out of order")
            current.append(Prio(number, pm.group(2), am.group(1), am.group(2) or "", e.line))
    return contexts


def includes(conf: ConfFile, context: str) -> list[str]:
    return [e.value for s in conf.named(context) for e in s.entries if e.key.lower() == "include"]


def _target(prios: list[Prio], exten: str, spec: str) -> int | None:
    """Index of a Goto target within the same extension (None: elsewhere / not followed)."""
    parts = [p.strip() for p in spec.split(",")]
    if len(parts) == 2 and parts[0] != exten:
        return None
    if len(parts) == 3:
        return None
    dest = parts[-1]
    for i, p in enumerate(prios):
        if p.label == dest or (dest.isdigit() and p.number == int(dest)):
            return i
    raise AssertionError(f"extension {exten}: no priority or label {dest!r}")


def _successors(prios: list[Prio], exten: str, i: int) -> list[int | None]:
    p = prios[i]
    app = p.app.lower()
    nxt = i + 1 if i + 1 < len(prios) else None
    if app in ("hangup", "return"):
        return []
    if app == "goto":
        return [_target(prios, exten, p.data)]
    if app in ("gotoif", "gotoiftime"):
        _cond, _, dests = p.data.partition("?")
        iftrue, _, iffalse = dests.partition(":")
        out = []
        for dest in (iftrue, iffalse):
            out.append(_target(prios, exten, dest) if dest.strip() else nxt)
        return out
    return [nxt]


def paths(prios: list[Prio], exten: str, start: int, stop: Callable[[Prio], bool]) -> Iterator[list[Prio]]:
    """Every execution path from ``start`` until ``stop`` holds, the extension is left or ends."""

    def walk(i: int | None, trail: list[Prio]) -> Iterator[list[Prio]]:
        if i is None:
            yield trail
            return
        p = prios[i]
        assert p not in trail, f"loop in extension {exten} at priority {p.number}"
        trail = trail + [p]
        if stop(p):
            yield trail
            return
        succ = _successors(prios, exten, i)
        if not succ:
            yield trail
            return
        for s in succ:
            yield from walk(s, trail)

    yield from walk(start, [])


def is_voicemail(p: Prio) -> bool:
    return p.app == "VoiceMail" and split_args(p.data)[0] == f"{contract.VOICEMAIL_MAILBOX}@{contract.VOICEMAIL_CONTEXT}"


def is_hotline_queue(p: Prio) -> bool:
    return p.app == "Queue" and split_args(p.data)[0] == "hotline"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def ext() -> ConfFile:
    return load("extensions.conf")


@pytest.fixture(scope="module")
def dp(ext: ConfFile) -> dict[str, dict[str, list[Prio]]]:
    return dialplan(ext)


@pytest.fixture(scope="module")
def globals_(ext: ConfFile) -> dict[str, str]:
    return {e.key: e.value for e in ext.one("globals").entries}


@pytest.fixture(scope="module")
def pjsip() -> ConfFile:
    return load("pjsip.conf")


def contract_user_event_headers() -> dict[str, str]:
    """The headers contract.py documents for the voicemail UserEvent (parsed from its source)."""
    source = inspect.getsource(contract)
    m = re.search(r"Headers:[^\n]*\n((?:#[^\n]*\n)+)", source)
    assert m, "contract.py no longer documents the UserEvent headers after 'Headers:'"
    headers = dict(re.findall(r"(\w+): (\S+)", m.group(1)))
    assert headers, "no 'Name: value' pairs found in contract.py's UserEvent documentation"
    return headers


# --------------------------------------------------------------------------- files and syntax


def test_expected_files_present() -> None:
    present = {p.name for p in CONF_DIR.iterdir() if p.is_file()}
    assert EXPECTED_FILES <= present, f"missing in asterisk-conf/: {sorted(EXPECTED_FILES - present)}"


CONF_FILES = sorted(p.name for p in CONF_DIR.glob("*.conf"))


@pytest.mark.parametrize("name", CONF_FILES)
def test_conf_file_parses(name: str) -> None:
    conf = load(name)
    assert conf.sections, f"{name}: no sections"
    real = [s for s in conf.sections if not s.is_template]
    assert real, f"{name}: only templates"
    for directive, target, line in conf.directives:  # includes must be resolvable here
        if directive == "include":
            assert (CONF_DIR / target).is_file(), f"{name}:{line}: #include {target} not shipped"


def test_every_file_has_header_comment() -> None:
    for name in CONF_FILES:
        first = (CONF_DIR / name).read_text(encoding="utf-8").lstrip().splitlines()[0]
        assert first.startswith(";"), f"{name}: starts without a comment saying what it is"


@pytest.mark.parametrize(
    "text",
    [
        "[a]\nkey = value ; comment\n",
        "[a]\nexten => 1,1,NoOp(x\\;y)\n same => n,Hangup()\n",
        "[tpl](!)\ntype = endpoint\n[x](tpl)\nkey=val\n[x](+)\nmore=1\n",
        "#include other.conf\n[a]\n;-- block\ncomment --;\nk=v\n",
        "; only a comment\n[a]\n",
    ],
)
def test_parser_accepts_asterisk_syntax(text: str) -> None:
    parse_conf(text)


@pytest.mark.parametrize(
    "text",
    [
        "key = value\n",  # outside a section
        "[a\nk=v\n",  # broken header
        "[a]\njust words\n",  # neither = nor =>
        "[x](missing)\n",  # template not defined
        "[a]\n#define X\n",  # unknown directive
        "[a]\n;-- never closed\n",
        "[a](+)\n",  # append to nothing
    ],
)
def test_parser_rejects_broken_syntax(text: str) -> None:
    with pytest.raises(ConfSyntaxError):
        parse_conf(text)


def test_parser_resolves_templates() -> None:
    conf = parse_conf("[t](!)\ntype = aor\nmax_contacts = 1\n[8001](t)\nmax_contacts = 2\n")
    s = conf.one("8001")
    assert s.get("type") == "aor" and s.get("max_contacts") == "2"
    assert conf.named("t") == []


# --------------------------------------------------------------------------- asterisklint


def _asterisklint_version() -> str:
    try:
        return importlib.metadata.version("asterisklint")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("asterisklint is not installed: pip install -e '.[test]' (it is part of the test extra)")


def _asterisklint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the asterisklint CLI (``asterisklint ARGS``) with the interpreter running the tests."""
    _asterisklint_version()
    code = "import os, sys; from asterisklint.main import main; sys.exit(main(sys.argv[1:], os.environ))"
    env = dict(os.environ, ALINT_IGNORE="")  # suppress no message class
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_dialplan_passes_asterisklint() -> None:
    result = _asterisklint("dialplan-check", "extensions.conf", cwd=CONF_DIR)
    report = (result.stdout + result.stderr).strip()
    # No message of any class: errors (E_), warnings (W_) and hints (H_) alike.
    assert result.returncode == 0 and not report, (
        f"asterisklint {_asterisklint_version()} dialplan-check extensions.conf:\n{report}")


def test_asterisklint_really_checks(tmp_path: Path) -> None:
    """A planted unknown application must be reported (the clean run above is not vacuous)."""
    text = (CONF_DIR / "extensions.conf").read_text(encoding="utf-8")
    broken = text.replace("same => n(open),Queue(", "same => n(open),Qeueu(", 1)
    assert broken != text
    (tmp_path / "extensions.conf").write_text(broken, encoding="utf-8")
    result = _asterisklint("dialplan-check", "extensions.conf", cwd=tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode != 0 and "E_APP_MISSING: app 'Qeueu'" in report, report


def test_asterisklint_sees_every_context(ext: ConfFile) -> None:
    result = _asterisklint("dialplan-show", "extensions.conf", cwd=CONF_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    shown = set(re.findall(r"\[ Context '([^']+)'", result.stdout))
    ours = {s.name for s in ext.sections} - {"general", "globals"}
    assert shown == ours


# --------------------------------------------------------------------------- manager.conf


def test_ami_general_settings() -> None:
    general = load("manager.conf").one("general")
    assert is_true(general.get("enabled"))
    assert is_true(general.get("timestampevents")), "the service needs Timestamp headers"
    assert not is_true(general.get("webenabled"))
    bind = ipaddress.ip_address(general.get("bindaddr") or "0.0.0.0")
    assert not bind.is_unspecified, "AMI must not listen on all addresses"
    assert bind.is_loopback or bind.is_private


def test_ami_user_matches_contract() -> None:
    manager = load("manager.conf")
    assert Config.ami_username == contract.AMI_USERNAME
    user = manager.one(contract.AMI_USERNAME)
    read = [c.strip() for c in (user.get("read") or "").split(",") if c.strip()]
    write = [c.strip() for c in (user.get("write") or "").split(",") if c.strip()]
    assert len(read) == len(set(read)) and set(read) == set(contract.AMI_READ_CLASSES), read
    assert len(write) == len(set(write)) and set(write) == set(contract.AMI_WRITE_CLASSES), write
    assert "all" not in read + write
    users = [s.name for s in manager.sections if s.name != "general" and not s.is_template]
    assert users == [contract.AMI_USERNAME], f"unexpected AMI users: {users}"


def test_ami_user_access_restricted() -> None:
    user = load("manager.conf").one(contract.AMI_USERNAME)
    acl = [(e.key.lower(), e.value) for e in user.resolved if e.key.lower() in ("deny", "permit")]
    assert acl and acl[0] == ("deny", "0.0.0.0/0.0.0.0"), f"deny all first, then permit: {acl}"
    permits = [v for k, v in acl if k == "permit"]
    assert permits
    for permit in permits:
        net = ipaddress.ip_network(permit, strict=True)
        assert net.num_addresses == 1, f"permit a single host only, not {permit}"
    timeout = int(user.get("writetimeout") or 0)
    assert 1000 <= timeout <= 10000, f"writetimeout {timeout} ms"
    secret = user.get("secret") or ""
    assert "CHANGE_ME" in secret and secret != Config.ami_secret, "the shipped secret must be a marked placeholder"


# --------------------------------------------------------------------------- extensions.conf


def test_hotline_number_routes_to_queue_then_voicemail(dp: dict[str, dict[str, list[Prio]]]) -> None:
    prios = dp["from-trunk"][contract.HOTLINE_NUMBER]
    assert prios[0].number == 1
    all_paths = list(paths(prios, contract.HOTLINE_NUMBER, 0, is_voicemail))
    for trail in all_paths:
        route = " -> ".join(f"{p.number}:{p.app}" for p in trail)
        assert is_voicemail(trail[-1]), f"a path ends without voicemail: {route}"
        assert any(p.app == "Set" and p.data.startswith("CDR(userfield)=") for p in trail), route
        push = [i for i, p in enumerate(trail) if p.app == "Set" and "hangup_handler_push" in p.data]
        assert push and push[0] < len(trail) - 1, f"no hangup handler before VoiceMail: {route}"
    with_queue = [t for t in all_paths if any(is_hotline_queue(p) for p in t)]
    without_queue = [t for t in all_paths if not any(is_hotline_queue(p) for p in t)]
    assert with_queue, "no path rings the clerks (Queue(hotline))"
    assert without_queue, "no after-hours path straight to voicemail"
    for trail in with_queue:  # business hours were checked before ringing
        q = next(i for i, p in enumerate(trail) if is_hotline_queue(p))
        assert any(p.app in ("GotoIfTime", "GotoIf") for p in trail[:q])
    # every way out of Queue() (timeout, nobody available) reaches voicemail
    q = next(i for i, p in enumerate(prios) if is_hotline_queue(p))
    for trail in paths(prios, contract.HOTLINE_NUMBER, q + 1, is_voicemail):
        assert is_voicemail(trail[-1]) and not any(p.app == "Hangup" for p in trail)


def test_hotline_queue_options(dp: dict[str, dict[str, list[Prio]]], globals_: dict[str, str]) -> None:
    prios = dp["from-trunk"][contract.HOTLINE_NUMBER]
    (queue,) = [p for p in prios if is_hotline_queue(p)]
    args = split_args(queue.data)
    assert "t" in args[1], "clerks must be able to transfer"
    assert args[4] == "${HOTLINE_RING_SECONDS}"
    ring = int(globals_["HOTLINE_RING_SECONDS"])
    assert 10 <= ring <= 60
    queues = load("queues.conf").one("hotline")
    assert queues.get("strategy") == "ringall"
    assert int(queues.get("timeout") or 0) == ring, "queues.conf timeout and HOTLINE_RING_SECONDS differ"


def test_business_hours_defaults(dp: dict[str, dict[str, list[Prio]]], globals_: dict[str, str]) -> None:
    assert globals_["HOTLINE_HOURS"] == "08:30-17:29"  # 08:30-17:30, end minute inclusive
    assert globals_["HOTLINE_DAYS"] == "mon-fri"
    assert globals_["HOTLINE_TZ"] == "Asia/Shanghai"
    for rng in globals_["HOTLINE_HOURS"].split("&"):
        m = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", rng)
        assert m and int(m[1]) < 24 and int(m[3]) < 24 and int(m[2]) < 60 and int(m[4]) < 60, rng
    prios = dp["from-trunk"][contract.HOTLINE_NUMBER]
    checks = [p for p in prios if p.app == "GotoIfTime"]
    assert checks
    for p in checks:
        spec = p.data.partition("?")[0].split(",")
        assert spec[0] == "${HOTLINE_HOURS}" and len(spec) == 5 and spec[4] == "${HOTLINE_TZ}", p.data
    assert any(p.data.partition("?")[0].split(",")[1] == "${HOTLINE_DAYS}" for p in checks)
    # holidays / adjusted working days come from AstDB before the weekday rule
    text = " ".join(p.data for p in prios)
    assert "DB_EXISTS(hotline/closed/" in text and "DB_EXISTS(hotline/open/" in text and "DB(hotline/mode)" in text


def test_voicemail_user_event_matches_contract(dp: dict[str, dict[str, list[Prio]]]) -> None:
    expected = contract_user_event_headers()
    assert expected.get("Mailbox") == f"{contract.VOICEMAIL_MAILBOX}@{contract.VOICEMAIL_CONTEXT}"
    found = [
        (ctx, exten, i)
        for ctx, exts in dp.items()
        for exten, prios in exts.items()
        for i, p in enumerate(prios)
        if p.app == "UserEvent"
    ]
    assert len(found) == 1, f"expected exactly one UserEvent, found {found}"
    ctx, exten, idx = found[0]
    prios = dp[ctx][exten]
    name, *body = split_args(prios[idx].data)
    assert name == contract.VOICEMAIL_USER_EVENT
    headers = {}
    for item in body:
        key, sep, value = item.partition(":")
        assert sep, f"UserEvent argument {item!r} is not 'Header: value'"
        headers[key.strip()] = value.strip()
    assert headers == expected
    # raised only when a message was stored: every path to it passes a VM_MESSAGEFILE-empty check
    guards = [
        p for p in prios[:idx]
        if p.app == "GotoIf" and "${VM_MESSAGEFILE}" in p.data and '""' in p.data.partition("?")[0]
    ]
    assert guards, "the UserEvent is not guarded by a VM_MESSAGEFILE check"
    for trail in paths(prios, exten, 0, lambda p: p.app == "UserEvent"):
        if trail[-1].app == "UserEvent":
            assert any(g in trail for g in guards)
            # VM_DURATION is not set by app_voicemail: the dialplan must assign it first
            assert any(p.app == "Set" and p.data.startswith("VM_DURATION=") for p in trail)
    guard_dest = guards[0].data.partition("?")[2]
    target = _target(prios, exten, guard_dest)
    assert target is not None and target > idx, "the empty-VM_MESSAGEFILE branch must skip the UserEvent"
    assert prios[-1].app == "Return", "a hangup handler ends with Return()"


def test_user_event_runs_as_hangup_handler_of_the_voicemail_call(dp: dict[str, dict[str, list[Prio]]]) -> None:
    ctx = next(c for c, exts in dp.items() for ps in exts.values() for p in ps if p.app == "UserEvent")
    prios = dp["from-trunk"][contract.HOTLINE_NUMBER]
    pushes = [p for p in prios if p.app == "Set" and p.data.startswith("CHANNEL(hangup_handler_push)=")]
    assert len(pushes) == 1
    target = pushes[0].data.split("=", 1)[1].split(",")
    assert target[0] == ctx and target[1] in dp[ctx]
    vm = next(p for p in prios if is_voicemail(p))
    assert pushes[0].number < vm.number


def test_voicemail_application_matches_mailbox(dp: dict[str, dict[str, list[Prio]]]) -> None:
    box = f"{contract.VOICEMAIL_MAILBOX}@{contract.VOICEMAIL_CONTEXT}"
    vm_apps = [p for exts in dp.values() for ps in exts.values() for p in ps if p.app.startswith("VoiceMail")]
    assert vm_apps
    for p in vm_apps:
        assert split_args(p.data)[0] == box, f"line {p.line}: {p.app}({p.data})"


def test_callerid_never_used_unfiltered(dp: dict[str, dict[str, list[Prio]]]) -> None:
    for exts in dp.values():
        for prios in exts.values():
            for p in prios:
                if "CALLERID(" not in p.data:
                    continue
                assert p.app == "NoOp", f"line {p.line}: caller ID used in {p.app}()"
                for m in re.finditer(r"CALLERID\(", p.data):
                    assert p.data[: m.start()].endswith("${FILTER(0-9+,${"), f"line {p.line}: unfiltered caller ID"


def test_internal_contexts(ext: ConfFile, dp: dict[str, dict[str, list[Prio]]]) -> None:
    for ctx in ("clerks", "stations"):
        assert "internal-dial" in includes(ext, ctx)
    for ctx in ("internal-dial", "hotline-transfer"):
        assert {"_80XX", "_81XX"} <= set(dp[ctx]), ctx
        for exten in ("_80XX", "_81XX"):
            dials = [p for p in dp[ctx][exten] if p.app == "Dial"]
            assert dials and dials[0].data.startswith("PJSIP/${EXTEN},")
    assert "*98" in dp["clerks"] and "*98" not in dp.get("stations", {})
    hotline = dp["from-trunk"][contract.HOTLINE_NUMBER]
    assert any(p.app == "Set" and p.data == "__TRANSFER_CONTEXT=hotline-transfer" for p in hotline)
    assert any(p.app == "Set" and p.data == "HOTLINE_CALLER=1" for p in hotline)
    for name, prios in dp["hotline-transfer"].items():
        for i, p in enumerate(prios):
            # the external caller never gets transfer rights (Dial option T)
            if p.app == "Dial":
                assert "T" not in split_args(p.data)[2]
            # only the hotline caller itself (not an attended transfer's consultation leg)
            # falls back to the hotline mailbox
            if p.app == "Goto" and p.data.startswith("from-trunk,"):
                assert any(
                    q.app == "GotoIf" and '"${HOTLINE_CALLER}" != "1"' in q.data for q in prios[:i]
                ), f"hotline-transfer {name}: voicemail fallback not limited to the caller"


def test_phone_contexts_exist_in_dialplan(pjsip: ConfFile, dp: dict[str, dict[str, list[Prio]]]) -> None:
    for s in pjsip.sections:
        if not s.is_template and s.get("type") == "endpoint":
            assert s.get("context") in dp, f"endpoint {s.name}: context {s.get('context')} not in the dialplan"


# --------------------------------------------------------------------------- other files


def test_voicemail_conf_matches_contract() -> None:
    vm = load("voicemail.conf")
    box = vm.one(contract.VOICEMAIL_CONTEXT)
    entries = [e for e in box.entries if e.key == contract.VOICEMAIL_MAILBOX]
    assert len(entries) == 1 and entries[0].op == "=>"
    pin = entries[0].value.split(",")[0]
    assert "CHANGE_ME" in pin, "the mailbox PIN must ship as a marked placeholder"
    general = vm.one("general")
    assert general.get("format") == "wav"
    minsecs, maxsecs = int(general.get("minsecs") or 0), int(general.get("maxsecs") or 0)
    assert 1 <= minsecs < maxsecs <= 600


def test_queue_members_are_clerk_endpoints(pjsip: ConfFile) -> None:
    members = load("queues.conf").one("hotline").getall("member")
    interfaces = []
    for m in members:
        interface, _penalty, name, *_ = [x.strip() for x in m.split(",")]
        assert name, f"member {interface} has no name"
        interfaces.append(interface)
    assert interfaces == ["PJSIP/8001", "PJSIP/8002"]
    for interface in interfaces:
        endpoint = pjsip.one(interface.split("/", 1)[1], type="endpoint")
        assert endpoint.get("context") == "clerks"


def test_pjsip_sample(pjsip: ConfFile) -> None:
    trunk = [s for s in pjsip.sections if s.get("type") == "endpoint" and s.get("context") == "from-trunk"]
    assert len(trunk) == 1
    identify = [s for s in pjsip.sections if s.get("type") == "identify"]
    assert identify and all(s.get("endpoint") == trunk[0].name and s.getall("match") for s in identify)
    for phone in ("8001", "8002", "8101"):
        endpoint = pjsip.one(phone, type="endpoint")
        pjsip.one(phone, type="aor")
        auth = pjsip.one(phone, type="auth")
        assert endpoint.get("aors") == phone and endpoint.get("auth") == phone
        assert auth.get("username") == phone
    assert pjsip.one("8101", type="endpoint").get("context") == "stations"
    secrets = [s.get("password") for s in pjsip.sections if not s.is_template and s.get("type") == "auth"]
    assert secrets and all(p and p.startswith("CHANGE_ME") for p in secrets), secrets
    assert [s for s in pjsip.sections if s.get("type") == "transport"]


def test_cdr_configuration() -> None:
    cdr = load("cdr.conf")
    general, csv = cdr.one("general"), cdr.one("csv")
    for key in ("enable", "unanswered", "endbeforehexten"):
        assert is_true(general.get(key)), key
    assert not is_true(general.get("batch")), "batched CDRs reach the service late"
    for key in ("loguniqueid", "loguserfield"):
        assert is_true(csv.get(key)), key
    assert is_true(load("cdr_manager.conf").one("general").get("enabled"))


def test_cel_and_modules() -> None:
    cel = load("cel.conf")
    assert is_true(cel.one("general").get("enable"))
    assert not is_true(cel.one("manager").get("enabled")), "CEL on AMI would double the event volume"
    noload = load("modules.conf").one("modules").getall("noload")
    assert "cel_manager.so" in noload and "chan_sip.so" in noload


def test_transfer_feature_codes() -> None:
    featuremap = load("features.conf").one("featuremap")
    blind, attended = featuremap.get("blindxfer"), featuremap.get("atxfer")
    assert blind and attended and blind != attended
    assert re.fullmatch(r"[0-9*#]{1,4}", blind) and re.fullmatch(r"[0-9*#]{1,4}", attended)


def test_readme_names_the_service_settings() -> None:
    readme = (CONF_DIR / "README.md").read_text(encoding="utf-8")
    fields = {f.name for f in dataclasses.fields(Config)}
    for name in ("ami_host", "ami_port", "ami_username", "ami_secret", "spool_dir", "cdr_csv"):
        assert name in fields, f"Config has no field {name}: update README and this test"
        assert f"CALLCENTER_{name.upper()}" in readme, name
    assert contract.ASTERISK_SPOOL_ROOT in readme
    assert "/var/log/asterisk/cdr-csv/Master.csv" in readme
    for reload_cmd in ("dialplan reload", "manager reload"):
        assert reload_cmd in readme
