"""The editable tables of the extraction: keyword categories and the compound gazetteer.

``keywords.toml`` gives each category its keywords, its priority and what it suggests for
the draft case (``case = { kind = ..., urgent = ... }``: the category → kind mapping);
``gazetteer.toml`` the compounds, their aliases and heating stations. Both are packaged
next to this module as defaults; administrators edit them in the panel (stored in the
database, :mod:`~callcenter.transcribe.table_store`). ``load_keywords`` / ``load_gazetteer``
(files) and ``keywords_from_text`` / ``gazetteer_from_text`` (TOML text) validate a table
and name the file (or table) and entry of any error.
"""

from __future__ import annotations

import dataclasses

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from callcenter.config import ConfigError
from callcenter.tickets.workflow import KINDS, SEVERITIES
from callcenter.transcribe.chinese import normalize


class TableError(ConfigError):
    """A keyword table or gazetteer file is invalid; the message names file and entry."""


@dataclass(frozen=True)
class CaseHint:
    """What a category suggests for the draft case: its kind and, for emergencies, the
    urgent flag (and a repair's severity, if a table sets one)."""

    kind: str | None = None
    urgent: bool = False
    severity: str | None = None
    label: str | None = None  # the category as people read it (the case's free-text 分类)


@dataclass(frozen=True)
class Category:
    name: str
    priority: int
    keywords: tuple[str, ...]
    label: str = ""
    case: CaseHint = CaseHint()


@dataclass(frozen=True)
class KeywordTable:
    categories: tuple[Category, ...]
    source: str = "<memory>"

    def classify(self, text: str) -> str | None:
        """Highest priority category with a keyword in ``text``; ties: more hits, then order."""
        best: tuple[tuple[int, int, int], str] | None = None
        for order, category in enumerate(self.categories):
            hits = sum(text.count(word) for word in category.keywords)
            key = (category.priority, hits, -order)
            if hits and (best is None or key > best[0]):
                best = (key, category.name)
        return best[1] if best else None

    def hint(self, category: str | None) -> CaseHint:
        """What ``category`` suggests for the case; nothing for an unknown category."""
        found = next((c for c in self.categories if c.name == category), None)
        return CaseHint() if found is None else dataclasses.replace(found.case, label=found.label or None)


@dataclass(frozen=True)
class Gazetteer:
    stations: Mapping[str, str]  # station -> heating management office
    names: tuple[tuple[str, str, str], ...]  # (name or alias, compound, station), longest first
    demo: bool = False
    source: str = "<memory>"

    def find(self, text: str) -> tuple[str, str, str] | None:
        """(name as said, compound, station) of the earliest, then longest, name in ``text``."""
        hits = [(text.find(n), -len(n), n, c, s) for n, c, s in self.names if n in text]
        return min(hits)[2:] if hits else None

    def station_of(self, compound: str) -> str | None:
        return next((s for n, _, s in self.names if n == compound), None)


PACKAGED = {"keywords": "keywords.toml", "gazetteer": "gazetteer.toml"}


def packaged_text(name: str) -> str:
    """The text of the packaged table ``name`` (``keywords`` or ``gazetteer``)."""
    return resources.files(__package__).joinpath(PACKAGED[name]).read_text("utf-8")


def _read_text(path: Path | None, default: str) -> tuple[str, str]:
    try:
        if path is None:
            return resources.files(__package__).joinpath(default).read_text("utf-8"), default
        return Path(path).read_text("utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise TableError(f"{path or default}: cannot read: {exc}") from exc


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TableError(f"{source}: cannot read (not valid TOML): {exc}") from exc


def _words(where: str, value: Any, field: str, *, required: bool = True) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value and required:
        raise TableError(f"{where}: {field} must be a non-empty list of strings")
    words = tuple("".join(normalize(v).split()) if isinstance(v, str) else "" for v in value)
    if not all(words):
        raise TableError(f"{where}: {field} must hold non-empty strings, got {value!r}")
    return words


def _check_keys(where: str, entry: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise TableError(f"{where}: must be a table")
    if unknown := set(entry) - allowed:
        raise TableError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return entry


def load_keywords(path: Path | None = None) -> KeywordTable:
    """Read and validate a keyword table (default: the packaged ``keywords.toml``)."""
    return keywords_from_text(*_read_text(path, "keywords.toml"))


def keywords_from_text(text: str, source: str = "keywords") -> KeywordTable:
    """Validate a keyword table given as TOML text; errors name ``source`` and the entry."""
    data = _parse_toml(text, source)
    entries = _check_keys(source, data, {"category"}).get("category")
    if not isinstance(entries, list) or not entries:
        raise TableError(f"{source}: needs at least one [[category]]")
    categories: list[Category] = []
    for i, raw in enumerate(entries):
        where = f"{source}: category[{i}] ({raw.get('name') if isinstance(raw, dict) else raw!r})"
        category = _category(where, raw)
        if category.name in (c.name for c in categories):
            raise TableError(f"{where}: duplicate name {category.name!r}")
        categories.append(category)
    return KeywordTable(tuple(categories), source)


def _category(where: str, raw: Any) -> Category:
    entry = _check_keys(where, raw, {"name", "label", "priority", "keywords", "case"})
    name, priority, label = entry.get("name"), entry.get("priority", 0), entry.get("label", "")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z_]*", name):
        raise TableError(f"{where}: name must be lower-case letters and '_'")
    if not isinstance(priority, int) or isinstance(priority, bool) or not isinstance(label, str):
        raise TableError(f"{where}: priority must be an integer and label a string")
    keywords = _words(where, entry.get("keywords"), "keywords")
    return Category(name, priority, keywords, label, _case_hint(f"{where}: case", entry.get("case", {})))


def _case_hint(where: str, raw: Any) -> CaseHint:
    """``case = { kind = "repair", urgent = true, severity = "major" }``, each key optional."""
    entry = _check_keys(where, raw, {"kind", "urgent", "severity"})
    kind, urgent, severity = entry.get("kind"), entry.get("urgent", False), entry.get("severity")
    if kind is not None and kind not in KINDS:
        raise TableError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(urgent, bool):
        raise TableError(f"{where}: urgent must be true or false, got {urgent!r}")
    if severity is not None and severity not in SEVERITIES:
        raise TableError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    return CaseHint(kind, urgent, severity)


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """Read and validate a gazetteer (default: the packaged ``gazetteer.toml``, demo data)."""
    return gazetteer_from_text(*_read_text(path, "gazetteer.toml"))


def gazetteer_from_text(text: str, source: str = "gazetteer") -> Gazetteer:
    """Validate a gazetteer given as TOML text; errors name ``source`` and the entry."""
    data = _parse_toml(text, source)
    _check_keys(source, data, {"demo", "stations", "compound"})
    stations, entries = data.get("stations"), data.get("compound", [])
    if not isinstance(stations, dict) or not stations or not all(
        isinstance(v, str) and k.strip() for k, v in stations.items()
    ):
        raise TableError(f"{source}: [stations] must map station names to office names")
    if not isinstance(data.get("demo", False), bool) or not isinstance(entries, list):
        raise TableError(f"{source}: demo must be true/false and compounds [[compound]] blocks")
    owner: dict[str, tuple[str, str, str]] = {}
    for i, raw in enumerate(entries):
        where = f"{source}: compound[{i}] ({raw.get('name') if isinstance(raw, dict) else raw!r})"
        entry = _check_keys(where, raw, {"name", "station", "aliases"})
        name, station = _words(where, [entry.get("name")], "name")[0], entry.get("station")
        if station not in stations:
            raise TableError(f"{where}: station {station!r} is not listed under [stations]")
        for surface in (name, *_words(where, entry.get("aliases"), "aliases", required=False)):
            if len(surface) < 2:
                raise TableError(f"{where}: {surface!r} is too short (at least 2 characters)")
            if surface in owner:
                raise TableError(f"{where}: {surface!r} already belongs to {owner[surface][1]!r}")
            owner[surface] = (surface, name, station)
    names = tuple(sorted(owner.values(), key=lambda e: -len(e[0])))
    return Gazetteer(dict(stations), names, data.get("demo", False), source)


@functools.cache
def default_keywords() -> KeywordTable:
    return load_keywords()


@functools.cache
def default_gazetteer() -> Gazetteer:
    return load_gazetteer()
