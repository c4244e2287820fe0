"""The deadline rules D1–D9 and reports R1–R3 as typed values.

They are configuration, not code: ``rules.toml`` (package data; its comments explain every
rule and how each limit kind counts), read and validated by :mod:`callcenter.tickets.rulefile`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """How long a rule allows. ``value`` is unused (0) for ``same_day`` and ``next_morning``."""

    kind: str
    value: int = 0
    cutoff: dt.time | None = None  # same_day: a start at/after this counts from the next day
    at: dt.time | None = None  # next_morning: the morning time
    end: str = "end_of_day"  # same_day / calendar_days: where the last day ends
    roll: str = "none"  # same_day / calendar_days: last day not a working day → move


@dataclass(frozen=True)
class Warn:
    """When to warn before expiry: ``before`` a wall-clock span, or ``at`` a named moment."""

    notify: tuple[str, ...]
    before: dt.timedelta | None = None
    at: str | None = None


@dataclass(frozen=True)
class AppliesTo:
    """Which cases a rule covers; an empty tuple means "any"."""

    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    without_flags: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()

    def matches(
        self, kind: str, source: str, flags: frozenset[str] = frozenset(), severity: str | None = None
    ) -> bool:
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.sources or source in self.sources)
            and all(f in flags for f in self.flags)
            and not any(f in flags for f in self.without_flags)
            and (not self.severity or severity in self.severity)
        )


@dataclass(frozen=True)
class Rule:
    id: str  # "D5", or "D4.major" for a variant
    group: str  # "D4" for every D4 variant; equal to ``id`` otherwise
    title_zh: str
    title_en: str
    applies_to: AppliesTo
    start: str
    stop: tuple[str, ...]
    limit: Limit
    warn: Warn | None
    breach_notify: tuple[str, ...]
    case_limit_overrides: bool = False
    # An urgent clock (D2, D4 minor): its notices reach every role at once, day or night, and
    # always the person on duty (值班人员); the others keep the office-hours rule.
    urgent: bool = False
    note: str = ""  # how the rule book's words are read (maintainers' English)
    note_zh: str = ""  # the same for the panel's Chinese readers


@dataclass(frozen=True)
class Report:
    id: str
    title_zh: str
    title_en: str
    every: str  # "week" | "month"
    day: int | None  # month: day of the month the report is due (inclusive)
    roll: str  # the due day is not a working day → "previous_workday" | "next_workday" | "none"
    covers: str  # "week" | "previous_month" | "current_month"
    kinds: tuple[str, ...]
    prepared_by: str
    approved_by: tuple[str, ...]
    send_to: tuple[str, ...]
    warn: Warn | None
    breach_notify: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Role:
    id: str
    zh: str
    hours: str  # "office": notices are held until the next business moment


@dataclass(frozen=True)
class RuleBook:
    rules: Mapping[str, Rule]
    groups: Mapping[str, tuple[str, ...]]  # group id -> rule ids ("D4" -> D4.minor, ...)
    reports: Mapping[str, Report]
    roles: Mapping[str, Role]
    events: Mapping[str, str]

    def rule(self, rule_id: str) -> Rule:
        """The rule ``rule_id`` (``KeyError`` with a helpful message otherwise)."""
        if rule_id in self.rules:
            return self.rules[rule_id]
        if rule_id in self.groups:
            choices = ", ".join(self.groups[rule_id])
            raise KeyError(f"rule {rule_id} has variants; name one of: {choices}")
        raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(self.groups)}")

    def applicable(
        self, kind: str, source: str, flags: frozenset[str] = frozenset(), severity: str | None = None
    ) -> tuple[Rule, ...]:
        """The rules a case of this kind, source, flags and severity is under."""
        return tuple(
            r for r in self.rules.values() if r.applies_to.matches(kind, source, flags, severity)
        )
