"""The rules.toml loader (rulefile) and the rule book (ruleset): the packaged file is valid,
and each kind of mistake gives an error that names the rule (or report) and the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from callcenter.config import ConfigError
from callcenter.tickets.rulefile import RuleError, load_rules, parse_rules
from callcenter.tickets.ruleset import Limit


def test_packaged_rules_load() -> None:
    book = load_rules()
    assert list(book.groups) == ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9"]
    assert book.groups["D4"] == ("D4.minor", "D4.medium", "D4.major")
    assert list(book.reports) == ["R1", "R2", "R3"]
    d5 = book.rule("D5")
    assert d5.limit == Limit(kind="working_days", value=2)
    assert (d5.start, d5.stop) == ("assigned", ("feedback_received",))
    major = book.rule("D4.major")
    assert major.group == "D4"
    assert major.limit.at == dt.time(8, 30)
    assert major.start == "accepted" and major.stop == ("handled",)  # inherited from D4
    assert major.breach_notify == ("clerk", "office_head", "manager")  # overridden
    assert book.rule("D4.minor").breach_notify == ("clerk", "office_head")  # inherited
    d1_warn = book.rule("D1").warn
    assert d1_warn is not None and d1_warn.before == dt.timedelta(minutes=10)
    assert book.reports["R3"].day == 23 and book.reports["R3"].send_to == ("property_office",)


def test_rule_lookup_errors() -> None:
    book = load_rules()
    with pytest.raises(KeyError, match="D4 has variants"):
        book.rule("D4")
    with pytest.raises(KeyError, match="unknown rule 'D10'"):
        book.rule("D10")


def test_rule_error_is_a_config_error() -> None:
    assert issubclass(RuleError, ConfigError)


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(RuleError) as info:
        parse_rules(data, source="rules.toml")
    return str(info.value)


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d["rules"]["D5"].update(colour="red"), "rule D5: unknown key 'colour'"),
        (
            lambda d: d["rules"]["D5"]["limit"].update(value=0),
            "rule D5: limit: value: must be an integer",
        ),
        (
            lambda d: d["rules"]["D5"]["limit"].update(value="two"),
            "rule D5: limit: value: must be an integer",
        ),
        (lambda d: d["rules"]["D5"]["limit"].update(value=True), "rule D5: limit: value"),
        (lambda d: d["rules"]["D5"]["limit"].update(value=1.5), "rule D5: limit: value"),
        (
            lambda d: d["rules"]["D5"]["limit"].update(kind="fortnights"),
            "rule D5: limit: kind: expected one of",
        ),
        (
            lambda d: d["rules"]["D5"]["limit"].update(end="end_of_day"),
            "rule D5: limit (kind working_days): unknown key 'end'",
        ),
        (
            lambda d: d["rules"]["D3"]["limit"].update(value=1),
            "rule D3: limit (kind same_day): unknown key 'value'",
        ),
        (
            lambda d: d["rules"]["D3"]["limit"].update(cutoff="25:00"),
            "rule D3: limit: cutoff: expected a time",
        ),
        (lambda d: d["rules"]["D7"]["limit"].update(roll="previous_workday"), "rule D7: limit: roll"),
        (lambda d: d["rules"]["D7"]["limit"].update(end="midnight"), "rule D7: limit: end"),
        (
            lambda d: d["rules"]["D9"]["limit"].pop("value"),
            "rule D9: limit: value: required for kind working_days",
        ),
        (lambda d: d["rules"]["D9"].pop("limit"), "rule D9: limit: missing"),
        (lambda d: d["rules"]["D9"].update(limit=7), "rule D9: limit: expected a table"),
        (
            lambda d: d["rules"]["D4"]["variants"]["major"]["limit"].pop("at"),
            "rule D4.major: limit: at: required for kind next_morning",
        ),
        (lambda d: d["rules"]["D2"].update(start="acepted"), "rule D2: start: unknown event 'acepted'"),
        (
            lambda d: d["rules"]["D4"]["variants"]["major"]["applies_to"].update(severity=["huge"]),
            "rule D4.major: applies_to: severity: unknown severity 'huge'",
        ),
        (lambda d: d["rules"]["D2"].update(stop=[]), "rule D2: stop: must name at least one event"),
        (
            lambda d: d["rules"]["D2"]["applies_to"].update(kinds=["complaints"]),
            "rule D2: applies_to: kinds: unknown kind 'complaints'",
        ),
        (
            lambda d: d["rules"]["D2"]["applies_to"].update(region="west"),
            "rule D2: applies_to: unknown key 'region'",
        ),
        (
            lambda d: d["rules"]["D2"]["warn"].update(notify=["boss"]),
            "rule D2: warn: notify: unknown role 'boss'",
        ),
        (
            lambda d: d["rules"]["D2"]["warn"].update(at="due_day_open"),
            "rule D2: warn: give exactly one of",
        ),
        (
            lambda d: d["rules"]["D2"]["warn"].update(before={"days": 1}),
            "rule D2: warn.before: unknown key 'days'",
        ),
        (
            lambda d: d["rules"]["D2"]["warn"].update(before={"minutes": -5}),
            "rule D2: warn: before.minutes",
        ),
        (
            lambda d: d["rules"]["D2"].update(breach={"notify": ["clerk"], "email": True}),
            "rule D2: breach: unknown key 'email'",
        ),
        (lambda d: d["rules"]["D6"].update(case_limit_overrides="yes"), "rule D6: case_limit_overrides"),
        (
            lambda d: d["rules"]["D4"]["variants"].update(huge={"variants": {}}),
            "rule D4.huge: unknown key 'variants'",
        ),
        (
            lambda d: d["reports"]["R2"].update(day=31),
            "report R2: day: a monthly report needs a day from 1 to 28",
        ),
        (lambda d: d["reports"]["R1"].update(day=5), "report R1: day: not used by a weekly report"),
        (lambda d: d["reports"]["R3"].update(covers="week"), "report R3: covers"),
        (lambda d: d["reports"]["R3"].update(send_to=["city_hall"]), "report R3: send_to: unknown role"),
        (lambda d: d["reports"]["R3"].update(every="quarter"), "report R3: every"),
        (lambda d: d["roles"]["clerk"].update(hours="nine_to_five"), "role clerk: hours"),
        (lambda d: d.pop("schema"), "top level: schema: expected 1"),
        (lambda d: d.update(extras={}), "top level: unknown key 'extras'"),
        (lambda d: d.pop("events"), "[events]: missing"),
    ],
)
def test_loader_errors_name_rule_and_key(rules_data: dict[str, Any], mutate: Any, expected: str) -> None:
    mutate(rules_data)
    message = _error(rules_data)
    assert message.startswith("rules.toml: ")
    assert expected in message


def test_load_rules_reports_syntax_errors_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("schema = 1\n[rules.D1\n", encoding="utf-8")
    with pytest.raises(RuleError, match=str(path)):
        load_rules(path)
    with pytest.raises(RuleError, match="file not found"):
        load_rules(tmp_path / "missing.toml")


def test_edited_rules_file_changes_the_limit(tmp_path: Path) -> None:
    from callcenter.tickets.rulefile import default_rules_path

    text = default_rules_path().read_text(encoding="utf-8")
    edited = text.replace(
        'limit = { kind = "working_days", value = 2 }', 'limit = { kind = "working_days", value = 1 }'
    )
    assert edited != text
    path = tmp_path / "rules.toml"
    path.write_text(edited, encoding="utf-8")
    assert load_rules(path).rule("D5").limit.value == 1
