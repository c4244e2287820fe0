"""The ledger's search conditions that need more than a B-tree: part of a number, a name,
the local time of day, a transfer. Each is built for one dialect (the indexes differ) and
takes its values as bound parameters: nothing the clerk typed becomes SQL text.

Part of a number (≥ 4 digits, :func:`callcenter.phones.search_digits` removes ``+86``,
``0086``, the trunk 0 and the 0951 of a whole local number) and a name (≥ 3 characters) are
served by the trigram indexes of migration ``0009_ledger_search``: FTS5 ``trigram`` on SQLite,
``pg_trgm`` GIN on PostgreSQL. A 2-character name (most Chinese names: 张伟) is below what a
trigram index can serve: it is matched by LIKE over the rows the other filters leave.
The names of notes and cases are searched in those (much smaller) tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (ColumnElement, String, and_, bindparam, column, func, literal_column, or_, select, table, true,
                        union)
from sqlalchemy.sql import Select

from callcenter.db.models import Call
from callcenter.tickets.models import Case, CaseCall
from callcenter.web.models import CallNote

TRIGRAM = 3  # the shortest text a trigram index serves
NAME_VALUES = frozenset({"name_like", "name_fts", "name_short", "name_text"})  # see name_values
_FTS = table("calls_search", column("rowid"))
_ESCAPE = "\\"


def _param(name: str) -> Any:
    return bindparam(name, value=None)


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` escaped (``\\`` is the escape)."""
    escaped = text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    return f"%{escaped}%"


def fts_phrase(field: str, text: str) -> str:
    """An FTS5 query: ``text`` as one quoted phrase in column ``field`` (quotes doubled)."""
    return f'{field} : "{text.replace(chr(34), chr(34) * 2)}"'


def fts_ids(param: str) -> Select[Any]:
    return select(_FTS.c.rowid).where(literal_column("calls_search").op("MATCH")(_param(param)))


def number_clause(dialect: str) -> ColumnElement[bool]:
    """Calls whose caller number holds the digits of parameter ``number_like`` (SQLite: an
    FTS5 phrase from :func:`fts_phrase`; PostgreSQL: a LIKE pattern)."""
    if dialect == "sqlite":
        return Call.id.in_(fts_ids("number_like"))
    return Call.caller_number.like(_param("number_like"))


def name_clause(dialect: str, given: frozenset[str]) -> ColumnElement[bool]:
    """Calls with the name (the parameters of :func:`name_values`) as caller ID name, registered
    name in the notes, or caller name of a linked case: one ``IN`` over the union of the three (an
    OR of three would walk the whole table)."""
    return Call.id.in_(name_ids(dialect, given))


def name_ids(dialect: str, given: frozenset[str], limit: int | None = None) -> Any:
    """The ids of :func:`name_clause`'s calls: a union of the three; with ``limit``, of at most
    ``limit`` ids from each (enough to tell whether more than ``limit - 1`` calls match).

    A name the trigram indexes serve (3 characters or more) goes through them. A shorter one
    (张伟) cannot: it is looked for in the names alone, read from the partial index of calls
    that have one (``ix_calls_named``, migration 0014: most calls carry no caller ID name), and
    on PostgreSQL by ``strpos`` (ILIKE with no trigram made its planner read the whole trigram
    index: 540 ms at 1 M calls where the names' index takes 105 ms)."""
    pattern, short = _param("name_like"), "name_text" in given

    def like(col: Any) -> ColumnElement[bool]:
        if dialect == "sqlite":
            return col.like(pattern, escape=_ESCAPE)
        if short:
            return func.strpos(func.lower(col), func.lower(bindparam("name_text", value=None, type_=String()))) > 0
        return col.ilike(pattern, escape=_ESCAPE)

    if "name_fts" in given:
        own: Select[Any] = fts_ids("name_fts")
    elif short or "name_short" in given:
        own = select(Call.id).where(Call.caller_name != "", like(Call.caller_name))
    else:
        own = select(Call.id).where(like(Call.caller_name))
    noted = select(CallNote.call_id).where(like(CallNote.caller_name))
    cased = select(CaseCall.call_id).join(Case, Case.id == CaseCall.case_id).where(like(Case.caller_name))
    if limit is not None:
        own, noted, cased = (part.limit(limit).subquery().select() for part in (own, noted, cased))
    return union(own, noted, cased)


def name_walk_clause(dialect: str) -> ColumnElement[bool]:
    """The name of parameter ``name_walk`` (a LIKE pattern) on a window of calls read through
    the time index (see ``ledger._walk_page``): the caller ID name tested on each row, the names
    in the notes and on cases looked up in those tables once."""
    pattern = _param("name_walk")

    def like(col: Any) -> ColumnElement[bool]:
        return col.like(pattern, escape=_ESCAPE) if dialect == "sqlite" else col.ilike(pattern, escape=_ESCAPE)

    noted = select(CallNote.call_id).where(like(CallNote.caller_name))
    cased = select(CaseCall.call_id).join(Case, Case.id == CaseCall.case_id).where(like(Case.caller_name))
    return or_(like(Call.caller_name), Call.id.in_(union(noted, cased)))


def name_values(dialect: str, name: str) -> dict[str, str]:
    """The parameters of a name search: ``name_like`` always; ``name_fts`` (SQLite, 3 characters
    or more: the FTS5 phrase); ``name_text`` (PostgreSQL, fewer: the name for ``strpos``)."""
    values = {"name_like": like_pattern(name)}
    if len(name) >= TRIGRAM:
        if dialect == "sqlite":
            values["name_fts"] = fts_phrase("caller_name", name)
    elif dialect == "sqlite":
        values["name_short"] = name  # only marks the shape: LIKE over the names' index
    else:
        values["name_text"] = name
    return values


def number_value(dialect: str, digits: str) -> str:
    return fts_phrase("caller_number", digits) if dialect == "sqlite" else f"%{digits}%"


def local_hhmm(dialect: str, tz: ZoneInfo) -> ColumnElement[str]:
    """The call's start as ``HH:MM`` local time. SQLite stores naive UTC and has no zone
    database: the zone's current offset is added (Asia/Shanghai has had no DST since 1991)."""
    if dialect == "sqlite":
        offset = datetime.now(tz).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        return func.strftime("%H:%M", Call.started_at, f"{minutes:+d} minutes")
    return func.to_char(func.timezone(str(tz), Call.started_at), "HH24:MI")


def time_of_day_clause(dialect: str, tz: ZoneInfo, *, since: bool, until: bool, night: bool) -> ColumnElement[bool]:
    """Calls started at or after parameter ``tod_from`` (if ``since``) and before ``tod_to``
    (if ``until``), ``HH:MM`` local time; ``night``: the span crosses midnight (22:00–06:00)."""
    hhmm = local_hhmm(dialect, tz)
    after = hhmm >= _param("tod_from") if since else true()
    before = hhmm < _param("tod_to") if until else true()
    return or_(after, before) if night else and_(after, before)


def transferred_clause(column: Any = Call.transferred_to) -> ColumnElement[bool]:
    """Calls transferred at least once (``transferred_to``, or ``column``, is a JSON list)."""
    return func.coalesce(func.json_array_length(column), 0) > 0
