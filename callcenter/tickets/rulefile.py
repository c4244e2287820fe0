"""Reading and validating ``rules.toml`` into a :class:`~callcenter.tickets.ruleset.RuleBook`.

:func:`load_rules` reads a file (default: the packaged one), :func:`parse_rules` a parsed
mapping. Unknown keys, unknown events/roles/kinds and bad limits are errors; every error is a
:class:`RuleError` naming the file, the rule (or report) and the key.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from callcenter.config import ConfigError
from callcenter.tickets.ruleset import AppliesTo, Limit, Report, Role, Rule, RuleBook, Warn

LIMIT_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # kind: (required keys besides "kind", optional keys)
    "minutes": (frozenset({"value"}), frozenset()),
    "hours": (frozenset({"value"}), frozenset()),
    "same_day": (frozenset(), frozenset({"cutoff", "end", "roll"})),
    "next_morning": (frozenset({"at"}), frozenset()),
    "working_days": (frozenset({"value"}), frozenset()),
    "calendar_days": (frozenset({"value"}), frozenset({"end", "roll"})),
}
DAY_ENDS = ("end_of_day", "close_of_business")
LIMIT_ROLLS = ("none", "next_workday")  # a limit never moves before its own start
REPORT_ROLLS = ("none", "next_workday", "previous_workday")
WARN_AT = ("due_day_open", "previous_workday_open")
ROLE_HOURS = ("office", "round_the_clock")
REPORT_EVERY = ("week", "month")
REPORT_COVERS = ("week", "previous_month", "current_month")

_RULE_KEYS = frozenset(
    {
        "title_zh",
        "title_en",
        "applies_to",
        "start",
        "stop",
        "limit",
        "warn",
        "breach",
        "case_limit_overrides",
        "urgent",
        "note",
        "note_zh",
        "variants",
    }
)
_APPLIES_KEYS = frozenset({"kinds", "sources", "flags", "without_flags", "severity"})
_REPORT_KEYS = frozenset(
    {
        "title_zh",
        "title_en",
        "every",
        "day",
        "roll",
        "covers",
        "kinds",
        "prepared_by",
        "approved_by",
        "send_to",
        "warn",
        "breach",
        "note",
    }
)
_TOP_KEYS = frozenset({"schema", "roles", "events", "case", "rules", "reports"})
_CASE_KEYS = frozenset({"kinds", "sources", "flags", "severities"})
_MAX_VALUE = 10_000
_SINGULAR = {
    "roles": "role",
    "events": "event",
    "kinds": "kind",
    "sources": "source",
    "flags": "flag",
    "severities": "severity",
}


class RuleError(ConfigError):
    """The rules file is invalid; the message names the rule (or report) and the key."""


def default_rules_path() -> Path:
    return Path(str(resources.files("callcenter.tickets").joinpath("rules.toml")))


def load_rules(path: Path | None = None) -> RuleBook:
    """Read and validate a rules file (default: the packaged ``rules.toml``)."""
    path = default_rules_path() if path is None else path
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RuleError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: {exc}") from None
    return parse_rules(data, source=str(path))


def parse_rules(data: Mapping[str, Any], *, source: str = "rules") -> RuleBook:
    """Validate the parsed TOML ``data`` and build the :class:`RuleBook`."""
    _known(data, _TOP_KEYS, f"{source}: top level")
    if data.get("schema") != 1:
        raise RuleError(f"{source}: top level: schema: expected 1, got {data.get('schema')!r}")
    v = _Vocabulary.parse(data, source)
    rules: dict[str, Rule] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for rule_id, table in _table(data, "rules", f"{source}: top level").items():
        where = f"{source}: rule {rule_id}"
        table = _mapping(table, where, "")
        variants = table.get("variants")
        if variants is None:
            rules[rule_id] = _rule(rule_id, rule_id, table, v, where)
            groups[rule_id] = (rule_id,)
            continue
        members = []
        for name, vtable in _mapping(variants, where, "variants").items():
            vid = f"{rule_id}.{name}"
            rules[vid] = _rule(
                vid,
                rule_id,
                _merge(table, _mapping(vtable, where, f"variants.{name}")),
                v,
                f"{source}: rule {vid}",
            )
            members.append(vid)
        if not members:
            raise RuleError(f"{where}: variants: must not be empty")
        groups[rule_id] = tuple(members)
    reports = {
        rid: _report(rid, _mapping(t, f"{source}: report {rid}", ""), v, f"{source}: report {rid}")
        for rid, t in _table(data, "reports", f"{source}: top level").items()
    }
    return RuleBook(rules, groups, reports, v.roles, v.events)


@dataclass(frozen=True)
class _Vocabulary:
    roles: dict[str, Role]
    events: dict[str, str]
    case: dict[str, tuple[str, ...]]

    @classmethod
    def parse(cls, data: Mapping[str, Any], source: str) -> _Vocabulary:
        roles = {}
        for rid, t in _table(data, "roles", f"{source}: top level").items():
            where = f"{source}: role {rid}"
            t = _mapping(t, where, "")
            _known(t, frozenset({"zh", "hours"}), where)
            roles[rid] = Role(rid, _str(t, "zh", where), _choice(t, "hours", ROLE_HOURS, where))
        events = {
            k: _str({k: e}, k, f"{source}: events") for k, e in _table(data, "events", source).items()
        }
        case_t = _table(data, "case", f"{source}: top level")
        _known(case_t, _CASE_KEYS, f"{source}: case")
        case = {k: _strs(case_t, k, f"{source}: case") for k in _CASE_KEYS}
        return cls(roles, events, case)

    def check(self, values: tuple[str, ...], vocabulary: str, where: str, key: str) -> tuple[str, ...]:
        allowed: Mapping[str, Any] | tuple[str, ...]
        if vocabulary == "roles":
            allowed = self.roles
        elif vocabulary == "events":
            allowed = self.events
        else:
            allowed = self.case[vocabulary]
        for value in values:
            if value not in allowed:
                noun = _SINGULAR.get(vocabulary, vocabulary)
                raise RuleError(f"{where}: {key}: unknown {noun} {value!r}")
        return values


def _rule(rule_id: str, group: str, t: Mapping[str, Any], v: _Vocabulary, where: str) -> Rule:
    _known(t, _RULE_KEYS - {"variants"}, where)  # a variant cannot nest variants
    for key in ("title_zh", "title_en", "start", "stop", "limit"):
        if key not in t:
            raise RuleError(f"{where}: {key}: missing")
    stop = (t["stop"],) if isinstance(t["stop"], str) else _strs(t, "stop", where)
    if not stop:
        raise RuleError(f"{where}: stop: must name at least one event")
    return Rule(
        id=rule_id,
        group=group,
        title_zh=_str(t, "title_zh", where),
        title_en=_str(t, "title_en", where),
        applies_to=_applies(_mapping(t.get("applies_to", {}), where, "applies_to"), v, where),
        start=v.check((_str(t, "start", where),), "events", where, "start")[0],
        stop=v.check(stop, "events", where, "stop"),
        limit=_limit(_mapping(t["limit"], where, "limit"), where),
        warn=_warn(t.get("warn"), v, where),
        breach_notify=_breach(t.get("breach"), v, where),
        case_limit_overrides=_bool(t, "case_limit_overrides", where),
        urgent=_bool(t, "urgent", where),
        note=_str(t, "note", where, ""),
        note_zh=_str(t, "note_zh", where, ""),
    )


def _applies(t: Mapping[str, Any], v: _Vocabulary, where: str) -> AppliesTo:
    _known(t, _APPLIES_KEYS, f"{where}: applies_to")
    w = f"{where}: applies_to"
    return AppliesTo(
        kinds=v.check(_strs(t, "kinds", w), "kinds", w, "kinds"),
        sources=v.check(_strs(t, "sources", w), "sources", w, "sources"),
        flags=v.check(_strs(t, "flags", w), "flags", w, "flags"),
        without_flags=v.check(_strs(t, "without_flags", w), "flags", w, "without_flags"),
        severity=v.check(_strs(t, "severity", w), "severities", w, "severity"),
    )


def _limit(t: Mapping[str, Any], where: str) -> Limit:
    w = f"{where}: limit"
    kind = _choice(t, "kind", tuple(LIMIT_KEYS), w)
    required, optional = LIMIT_KEYS[kind]
    _known(t, required | optional | {"kind"}, f"{w} (kind {kind})")
    for key in required:
        if key not in t:
            raise RuleError(f"{w}: {key}: required for kind {kind}")
    value = 0
    if "value" in t:
        value = t["value"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_VALUE:
            raise RuleError(f"{w}: value: must be an integer from 1 to {_MAX_VALUE}, got {value!r}")
    return Limit(
        kind=kind,
        value=value,
        cutoff=_time(t, "cutoff", w),
        at=_time(t, "at", w),
        end=_choice(t, "end", DAY_ENDS, w, "end_of_day"),
        roll=_choice(t, "roll", LIMIT_ROLLS, w, "none"),
    )


def _warn(raw: Any, v: _Vocabulary, where: str) -> Warn | None:
    if raw is None:
        return None
    w = f"{where}: warn"
    t = _mapping(raw, where, "warn")
    _known(t, frozenset({"before", "at", "notify"}), w)
    notify = v.check(_strs(t, "notify", w), "roles", w, "notify")
    if not notify:
        raise RuleError(f"{w}: notify: must name at least one role")
    if ("before" in t) == ("at" in t):
        raise RuleError(f"{w}: give exactly one of 'before' or 'at'")
    if "at" in t:
        return Warn(notify, at=_choice(t, "at", WARN_AT, w))
    b = _mapping(t["before"], w, "before")
    _known(b, frozenset({"minutes", "hours"}), f"{w}.before")
    if len(b) != 1:
        raise RuleError(f"{w}: before: give exactly one of 'minutes' or 'hours'")
    ((unit, amount),) = b.items()
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= _MAX_VALUE:
        raise RuleError(f"{w}: before.{unit}: must be an integer from 1 to {_MAX_VALUE}, got {amount!r}")
    return Warn(notify, before=dt.timedelta(**{unit: amount}))


def _breach(raw: Any, v: _Vocabulary, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    t = _mapping(raw, where, "breach")
    _known(t, frozenset({"notify"}), f"{where}: breach")
    return v.check(_strs(t, "notify", f"{where}: breach"), "roles", f"{where}: breach", "notify")


def _report(report_id: str, t: Mapping[str, Any], v: _Vocabulary, where: str) -> Report:
    _known(t, _REPORT_KEYS, where)
    every = _choice(t, "every", REPORT_EVERY, where)
    day = t.get("day")
    if every == "month":
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
            raise RuleError(f"{where}: day: a monthly report needs a day from 1 to 28, got {day!r}")
    else:
        for key in ("day", "roll"):
            if key in t:
                raise RuleError(
                    f"{where}: {key}: not used by a weekly report (due on the week's last working day)"
                )
    covers = _choice(t, "covers", REPORT_COVERS, where)
    if (covers == "week") != (every == "week"):
        raise RuleError(f"{where}: covers: {covers!r} does not fit a report due every {every}")
    prepared_by = _str(t, "prepared_by", where)
    return Report(
        id=report_id,
        title_zh=_str(t, "title_zh", where),
        title_en=_str(t, "title_en", where),
        every=every,
        day=day,
        roll=_choice(t, "roll", REPORT_ROLLS, where, "none"),
        covers=covers,
        kinds=v.check(_strs(t, "kinds", where), "kinds", where, "kinds"),
        prepared_by=v.check((prepared_by,), "roles", where, "prepared_by")[0],
        approved_by=v.check(_strs(t, "approved_by", where), "roles", where, "approved_by"),
        send_to=v.check(_strs(t, "send_to", where), "roles", where, "send_to"),
        warn=_warn(t.get("warn"), v, where),
        breach_notify=_breach(t.get("breach"), v, where),
        note=_str(t, "note", where, ""),
    )


# -- small typed readers; each error names ``where`` and the key ---------------------------


def _merge(parent: Mapping[str, Any], variant: Mapping[str, Any]) -> dict[str, Any]:
    merged = {k: val for k, val in parent.items() if k != "variants"}
    for key, val in variant.items():
        if key == "applies_to" and isinstance(val, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **val}
        else:
            merged[key] = val
    return merged


def _known(t: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(t) - allowed)
    if unknown:
        raise RuleError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    if key not in data:
        raise RuleError(f"{where}: [{key}]: missing")
    return _mapping(data[key], where, key)


def _mapping(raw: Any, where: str, key: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise RuleError(f"{where}: {key or 'value'}: expected a table, got {type(raw).__name__}")
    return raw


def _str(t: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    if key not in t and default is not None:
        return default
    raw = t.get(key)
    if not isinstance(raw, str) or not raw.strip():
        raise RuleError(f"{where}: {key}: expected a non-empty string, got {raw!r}")
    return raw


def _strs(t: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    raw = t.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise RuleError(f"{where}: {key}: expected a list of strings, got {raw!r}")
    return tuple(raw)


def _bool(t: Mapping[str, Any], key: str, where: str) -> bool:
    raw = t.get(key, False)
    if not isinstance(raw, bool):
        raise RuleError(f"{where}: {key}: expected true or false, got {raw!r}")
    return raw


def _choice(
    t: Mapping[str, Any], key: str, choices: tuple[str, ...], where: str, default: str | None = None
) -> str:
    raw = t.get(key, default)
    if raw not in choices:
        raise RuleError(f"{where}: {key}: expected one of {', '.join(choices)}, got {raw!r}")
    return str(raw)


def _time(t: Mapping[str, Any], key: str, where: str) -> dt.time | None:
    raw = t.get(key)
    if raw is None or isinstance(raw, dt.time):
        return raw
    if isinstance(raw, str):
        try:
            return dt.time.fromisoformat(raw)
        except ValueError:
            pass
    raise RuleError(f'{where}: {key}: expected a time of day like "17:30", got {raw!r}')
