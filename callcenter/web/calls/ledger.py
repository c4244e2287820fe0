"""The phone ledger (电话接听工作台帐) and the missed-call worklist as queries.

Newest first by ``(started_at, id)``, paged by keyset both ways (``cursor``: older than a
row, ``before``: newer than a row): a page is an index range scan at any table size
(migration 0003 adds one ``(column, started_at, id)`` index per filter). A search by part of
a number or by name goes through the trigram indexes of migration 0009
(:mod:`~callcenter.web.calls.search`), then sorts what it found. A page is read as plain rows
(no ORM objects: at 50 rows a page building them cost more than the query).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from callcenter import phones
from callcenter.db.models import Call
from callcenter.web.calls import search
from callcenter.web.errors import BadRequest
from callcenter.web.list_reads import Reader
from callcenter.web.models import CallNote

DISPOSITIONS = ("answered", "voicemail", "busy", "abandoned", "failed")
MISSED = ("abandoned", "busy", "voicemail")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The ledger page's totals line counts at most this many calls unless asked to count them all
# (``count=1``): a search of 4 common digits (0951, 1390) matches tens of thousands of calls,
# and reading them all on every page view cost more than the page itself.
TOTALS_CAP = 1000


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    number: str | None = None  # as typed: a whole number in any form, or ≥ 4 of its digits
    clerk: str | None = None
    disposition: str | None = None
    voicemail: bool = False
    missed: bool = False
    pending: bool = False  # missed list: not called back yet
    limit: int = DEFAULT_LIMIT
    name: str | None = None  # caller ID name, name in the notes or on a linked case (part of it)
    time_from: time | None = None  # local time of day, inclusive
    time_to: time | None = None  # exclusive; before time_from: the span crosses midnight
    min_seconds: int | None = None  # duration of the call
    max_seconds: int | None = None
    transferred: bool = False
    mine: bool = False  # the calls the logged-in clerk answered (the page sets ``clerk``)
    exact: bool = False  # ``number`` is the stored caller number itself (the ringing pop-up)

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links to other pages and the export)."""
        args = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "number": self.number or "",
            "name": self.name or "",
            "clerk": "" if self.mine else self.clerk or "",
            "disposition": self.disposition or "",
            "time_from": self.time_from.strftime("%H:%M") if self.time_from else "",
            "time_to": self.time_to.strftime("%H:%M") if self.time_to else "",
            "min_seconds": "" if self.min_seconds is None else str(self.min_seconds),
            "max_seconds": "" if self.max_seconds is None else str(self.max_seconds),
            "voicemail": "1" if self.voicemail else "",
            "transferred": "1" if self.transferred else "",
            "mine": "1" if self.mine else "",
            "pending": "1" if self.pending else "",
            "limit": "" if self.limit == DEFAULT_LIMIT else str(self.limit),
        }
        return {k: v for k, v in args.items() if v}


# A page row: every column of the call, and the note's as ``note_<column>``.
CALL_COLUMNS = tuple(Call.__table__.c)
NOTE_COLUMNS = tuple(c.label(f"note_{c.name}") for c in CallNote.__table__.c)
NOTE_FIELDS = tuple((c.name, f"note_{c.name}") for c in CallNote.__table__.c)


@dataclass(frozen=True)
class Page:
    # (the call's row, its note or None); both read like Call / CallNote (attributes)
    rows: list[tuple[Any, Any]]
    next_cursor: str | None  # older rows
    prev_cursor: str | None = None  # newer rows (``before``)


def _date(query: Mapping[str, str], key: str) -> date | None:
    raw = query.get(key, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{key}: expected YYYY-MM-DD", field=key) from None


def _flag(query: Mapping[str, str], key: str) -> bool:
    return query.get(key, "").strip().lower() in ("1", "true", "yes", "on")


def parse_filters(query: Mapping[str, str], *, missed: bool = False) -> Filters:
    disposition = query.get("disposition", "").strip() or None
    allowed = MISSED if missed else DISPOSITIONS
    if disposition is not None and disposition not in allowed:
        raise BadRequest(f"disposition: one of {', '.join(allowed)}", field="disposition")
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise BadRequest("limit: a number", field="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit: 1..{MAX_LIMIT}", field="limit")
    number = query.get("number", "").strip()[:512] or None
    clerk = query.get("clerk", "").strip()[:64] or None
    return Filters(
        date_from=_date(query, "from"), date_to=_date(query, "to"), number=number, clerk=clerk,
        disposition=disposition, voicemail=_flag(query, "voicemail"), missed=missed,
        pending=missed and _flag(query, "pending"), limit=limit,
    )  # fmt: skip


def encode_cursor(started_at: datetime, call_id: int) -> str:
    raw = f"{started_at.isoformat()}|{call_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        started = datetime.fromisoformat(stamp)
        if started.tzinfo is None:
            raise ValueError("naive")
        return started, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("cursor: not a cursor of this list", field="cursor") from None


def dialect_of(db: Any) -> str:
    """The dialect name of a session, a connection or a list reader."""
    for holder in (db, getattr(db, "bind", None), getattr(db, "engine", None)):
        dialect = getattr(holder, "dialect", None)
        if dialect is not None:
            return str(dialect.name)
    raise TypeError(f"no dialect on {db!r}")


def search_digits(number: str) -> str:
    """The digits a number filter looks for; a 400 naming the field when it is no number."""
    try:
        return phones.search_digits(number)
    except ValueError as exc:
        raise BadRequest(f"number: {exc}", field="number") from None


def _values(filters: Filters, tz: ZoneInfo, dialect: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if filters.date_from:
        values["date_from"] = datetime.combine(filters.date_from, time(), tz)
    if filters.date_to:
        values["date_to"] = datetime.combine(filters.date_to + timedelta(days=1), time(), tz)
    if filters.number and filters.exact:
        values["number"] = filters.number
    elif filters.number:
        values["number_like"] = search.number_value(dialect, search_digits(filters.number))
    if filters.name:
        values.update(search.name_values(dialect, filters.name))
    for key in ("clerk", "disposition", "min_seconds", "max_seconds"):
        if getattr(filters, key) not in (None, ""):
            values[key] = getattr(filters, key)
    if filters.time_from:
        values["tod_from"] = filters.time_from.strftime("%H:%M")
    if filters.time_to:
        values["tod_to"] = filters.time_to.strftime("%H:%M")
    return values


def statement(
    filters: Filters, tz: ZoneInfo, cursor: str | None = None, *, before: str | None = None, dialect: str = "sqlite"
) -> tuple[Select[Any], dict[str, Any]]:
    """The page's query for this combination of filters (built once per combination and
    reused: building and keying a SQLAlchemy statement cost as much as running it) and the
    values of its parameters. ``before``: the page of rows newer than that cursor (oldest first)."""
    values = _values(filters, tz, dialect)
    if cursor or before:
        values["cursor_started"], values["cursor_id"] = decode_cursor(cursor or before or "")
    shape = Shape(frozenset(values), filters.missed and not filters.disposition, filters.voicemail,
                  filters.pending, filters.transferred, _span(filters), dialect, str(tz), _fence(filters, dialect))
    return _page(shape, filters.limit + 1, newer=bool(before) and not cursor), values


def _fence(filters: Filters, dialect: str) -> bool:
    """Whether PostgreSQL must search through the trigram index first: for part of a number
    once the time index did not find a whole page among the newest calls (_walk_page), its
    planner would otherwise walk the time index over most of the table (~400,000 rows, 400 ms,
    for a rare part) where the trigram index needs 20 ms."""
    return dialect == "postgresql" and bool(filters.number) and not filters.exact


def totals_statement(filters: Filters, tz: ZoneInfo, dialect: str = "sqlite",
                     cap: int | None = None) -> tuple[Select[Any], dict[str, Any]]:  # fmt: skip
    """The totals of everything the filters select: calls, answered, voicemail, transferred, talk;
    with ``cap``, of at most ``cap + 1`` of the calls (enough to tell there are more than ``cap``)."""
    values = _values(filters, tz, dialect)
    shape = Shape(frozenset(values), filters.missed and not filters.disposition, filters.voicemail,
                  filters.pending, filters.transferred, _span(filters), dialect, str(tz), _fence(filters, dialect))  # fmt: skip
    return _totals(shape, cap), values


def _span(filters: Filters) -> str:
    """How the time-of-day filter combines: '' none, 'day' within a day, 'night' across midnight."""
    if filters.time_from and filters.time_to and filters.time_from > filters.time_to:
        return "night"
    return "day" if filters.time_from or filters.time_to else ""


def _param(name: str) -> Any:
    """A parameter of a reused statement; :func:`statement` always gives its value (the
    default only lets a test render the SQL without one)."""
    return bindparam(name, value=None)


@dataclass(frozen=True)
class Shape:
    given: frozenset[str]
    missed: bool
    voicemail: bool
    pending: bool
    transferred: bool
    span: str
    dialect: str
    tz: str
    fence: bool = False  # PostgreSQL: plan the search alone (see _page)


def _where(stmt: Select[Any], shape: Shape) -> Select[Any]:
    given = shape.given
    simple = (("date_from", Call.started_at >= _param("date_from")), ("date_to", Call.started_at < _param("date_to")),
              ("number", Call.caller_number == _param("number")), ("clerk", Call.answered_by == _param("clerk")),
              ("disposition", Call.disposition == _param("disposition")),
              ("min_seconds", func.coalesce(Call.duration_seconds, 0) >= _param("min_seconds")),
              ("max_seconds", func.coalesce(Call.duration_seconds, 0) <= _param("max_seconds")))  # fmt: skip
    for key, condition in simple:
        if key in given:
            stmt = stmt.where(condition)
    if "number_like" in given:
        stmt = stmt.where(search.number_clause(shape.dialect))
    if "walk_started" in given:  # a window of the newest calls, read through the time index (see _walk_page)
        started = _param("walk_started")
        stmt = stmt.where(Call.started_at >= started, or_(Call.started_at > started, Call.id >= _param("walk_id")))
    if "number_walk" in given:  # a LIKE on each call of the window
        stmt = stmt.where(Call.caller_number.like(_param("number_walk")))
    if "name_walk" in given:
        stmt = stmt.where(search.name_walk_clause(shape.dialect))
    if "name_like" in given:
        stmt = stmt.where(search.name_clause(shape.dialect, given))
    if shape.span:
        stmt = stmt.where(search.time_of_day_clause(shape.dialect, ZoneInfo(shape.tz), since="tod_from" in given,
                                                    until="tod_to" in given, night=shape.span == "night"))  # fmt: skip
    if "disposition" not in given and shape.missed:
        # Not through the disposition index (three ranges would need a sort): walk the
        # (started_at, id) index newest first and filter; missed calls are not rare.
        stmt = stmt.where(func.coalesce(Call.disposition, "").in_(MISSED))
    if shape.voicemail:
        stmt = stmt.where(Call.voicemail_path.is_not(None))
    if shape.pending:
        stmt = stmt.where(CallNote.called_back_at.is_(None))
    if shape.transferred:
        stmt = stmt.where(search.transferred_clause())
    return stmt


SEARCHES = frozenset({"number_like", "name_like"})


@functools.lru_cache(maxsize=512)
def _page(shape: Shape, limit: int, newer: bool = False) -> Select[Any]:
    """The page's rows. A search sorts what the trigram index found: it sorts ids first (a
    sorter carrying two columns, not the row and its note) and reads only the page's rows."""
    columns = select(*CALL_COLUMNS, *NOTE_COLUMNS).outerjoin(CallNote, CallNote.call_id == Call.id)
    if not shape.given & SEARCHES:
        return _ordered(_where(columns, shape), shape, limit, newer)
    ids = select(Call.id).outerjoin(CallNote, CallNote.call_id == Call.id) if shape.pending else select(Call.id)
    if shape.fence:  # OFFSET 0: PostgreSQL plans the subquery alone (no walk of the time index)
        inner = _ordered(_where(ids.add_columns(Call.started_at), shape), shape, None, newer).order_by(None)
        fenced = inner.offset(0).subquery()
        order = (fenced.c.started_at.asc(), fenced.c.id.asc()) if newer else (fenced.c.started_at.desc(),
                                                                               fenced.c.id.desc())  # fmt: skip
        found = select(fenced.c.id).order_by(*order).limit(limit)
    else:
        found = _ordered(_where(ids, shape), shape, limit, newer)
    return _order(columns.where(Call.id.in_(found)), newer)


def _ordered(stmt: Select[Any], shape: Shape, limit: int | None, newer: bool) -> Select[Any]:
    if "cursor_started" in shape.given:
        started, ident = _param("cursor_started"), _param("cursor_id")
        if newer:
            stmt = stmt.where(and_(Call.started_at >= started, or_(Call.started_at > started, Call.id > ident)))
        else:
            stmt = stmt.where(and_(Call.started_at <= started, or_(Call.started_at < started, Call.id < ident)))
    return _order(stmt, newer).limit(limit)


def _order(stmt: Select[Any], newer: bool) -> Select[Any]:
    if newer:
        return stmt.order_by(Call.started_at.asc(), Call.id.asc())
    return stmt.order_by(Call.started_at.desc(), Call.id.desc())


@functools.lru_cache(maxsize=128)
def _totals(shape: Shape, cap: int | None = None) -> Select[Any]:
    rows: Any = Call
    if cap is not None:  # any cap + 1 of the calls (no order: the first found)
        found = select(Call.disposition, Call.voicemail_path, Call.transferred_to, Call.talk_seconds).select_from(Call)
        if shape.pending:
            found = found.outerjoin(CallNote, CallNote.call_id == Call.id)
        alone = not (shape.missed or shape.voicemail or shape.pending or shape.transferred or shape.span)
        if shape.dialect == "sqlite" and alone and shape.given == {"number_like"}:
            # the first cap + 1 the trigram index finds, no more
            found = found.where(Call.id.in_(search.fts_ids("number_like").limit(cap + 1)))
        elif alone and "name_like" in shape.given and shape.given <= search.NAME_VALUES:
            # cap + 1 of each of the name's three places
            found = found.where(Call.id.in_(search.name_ids(shape.dialect, shape.given, cap + 1)))
        else:
            found = _where(found, shape)
        found = found.limit(cap + 1)
        rows = found.subquery()
    transferred_to = rows.c.transferred_to if cap is not None else Call.transferred_to
    answered = func.sum(case((rows.c.disposition == "answered" if cap is not None else Call.disposition == "answered", 1),
                             else_=0))  # fmt: skip
    voicemail_path = rows.c.voicemail_path if cap is not None else Call.voicemail_path
    voicemail = func.sum(case((voicemail_path.is_not(None), 1), else_=0))
    transferred = func.sum(case((search.transferred_clause(transferred_to), 1), else_=0))
    talk = rows.c.talk_seconds if cap is not None else Call.talk_seconds
    stmt = select(func.count().label("calls"), answered.label("answered"), voicemail.label("voicemail"),
                  transferred.label("transferred"), func.sum(talk).label("talk_seconds"))  # fmt: skip
    if cap is not None:
        return stmt.select_from(rows)
    stmt = stmt.select_from(Call)
    if shape.pending:
        stmt = stmt.outerjoin(CallNote, CallNote.call_id == Call.id)
    return _where(stmt, shape)


def _note(row: Any) -> SimpleNamespace | None:
    if row.note_id is None:
        return None
    return SimpleNamespace(**{name: row._mapping[label] for name, label in NOTE_FIELDS})


async def fetch_page(
    session: AsyncSession | AsyncConnection | Reader, filters: Filters, tz: ZoneInfo, cursor: str | None = None,
    *, before: str | None = None,
) -> Page:  # fmt: skip
    """A page older than ``cursor`` (or the newest), or newer than ``before``; newest first."""
    dialect = dialect_of(session)
    searching = bool(filters.number) and not filters.exact
    await _custom_plans(session, dialect, filters)
    if (searching or filters.name) and not before and await _common(session, filters, dialect):
        walked = await _walk_page(session, filters, tz, cursor, dialect)
        if walked is not None:
            return walked
    stmt, values = statement(filters, tz, cursor, before=before, dialect=dialect)
    rows = [(row, _note(row)) for row in (await _trigram_first(session, dialect, searching, stmt, values)).all()]
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    if before and not cursor:
        rows.reverse()
        older = rows[-1] if rows else None
        return Page(rows=rows, next_cursor=encode_cursor(older[0].started_at, older[0].id) if older else None,
                    prev_cursor=encode_cursor(rows[0][0].started_at, rows[0][0].id) if more and rows else None)
    next_cursor = encode_cursor(rows[-1][0].started_at, rows[-1][0].id) if more and rows else None
    prev_cursor = encode_cursor(rows[0][0].started_at, rows[0][0].id) if cursor and rows else None
    return Page(rows=rows, next_cursor=next_cursor, prev_cursor=prev_cursor)


# Part of a number or a name: the newest this many calls (from the cursor) are first read
# through the time index with LIKE; when they hold a whole page, that is the page. A common part
# (0951, 8613: tens of thousands of calls) or a common surname then costs a short index walk
# instead of reading and sorting every call the trigram index finds; a rare one (fewer than a
# page in the window) goes to the trigram index as before. Either way the page is the same: the
# newest matches in order.
WALK = 5000
COMMON = 10_000  # SQLite: a part found this often (1 %) is walked for; a rarer one goes to the index at once


async def _common(session: Any, filters: Filters, dialect: str) -> bool:
    """Whether a search is worth the walk: on SQLite the trigram indexes count up to COMMON
    matches of each part searched (a millisecond or two; a name too short for the index is
    always walked for, the alternative being a scan); PostgreSQL's cannot count cheaply, so always."""
    if dialect != "sqlite":
        return True
    probes: list[tuple[Select[Any], dict[str, Any]]] = []
    if filters.number and not filters.exact:
        values = {"number_like": search.number_value(dialect, search_digits(filters.number))}
        probes.append((search.fts_ids("number_like"), values))
    if filters.name and len(filters.name) >= search.TRIGRAM:
        probes.append((search.fts_ids("name_fts"), search.name_values(dialect, filters.name)))
    for ids, values in probes:
        probe = select(func.count()).select_from(ids.limit(COMMON).subquery())
        if int(await session.scalar(probe, values) or 0) < COMMON:
            return False
    return True


@functools.lru_cache(maxsize=64)
def _window(shape: Shape, walk: int) -> Select[Any]:
    """The (started_at, id) of the ``walk``-th newest call (after the cursor, within the dates)."""
    return _ordered(_where(select(Call.started_at, Call.id), shape), shape, 1, False).offset(walk - 1)


async def _custom_plans(session: Any, dialect: str, filters: Filters) -> None:
    """PostgreSQL, a search by part of a number or by name: every statement of this read planned
    for its own pattern. After five runs of a prepared statement PostgreSQL may switch to one
    generic plan for every pattern; for ILIKE '%Li%' (a pattern with no trigram) that plan read
    the whole trigram index: 6 ms became 130 ms from the sixth search of a connection on."""
    if dialect == "postgresql" and (filters.name or (filters.number and not filters.exact)):
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def _trigram_first(session: Any, dialect: str, searching: bool, stmt: Any, values: dict[str, Any]) -> Any:
    """Run ``stmt``; PostgreSQL, a search by part of a number: without sequential scans. Its
    planner guesses 0.8 % of the calls for any 4 digits and reads the whole table (1 M calls:
    400 ms) where the trigram index finds a rare part in 20 ms (a common one is served by the
    time index first: _walk_page, and the totals' cap)."""
    if dialect != "postgresql" or not searching:
        return await session.execute(stmt, values)
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    try:
        return await session.execute(stmt, values)
    finally:
        await session.execute(text("SET LOCAL enable_seqscan = on"))


async def _walk_page(session: Any, filters: Filters, tz: ZoneInfo, cursor: str | None,
                     dialect: str) -> Page | None:  # fmt: skip
    """The page read through the time index over a window of the newest WALK calls, or None
    when the window does not hold a whole page (then the trigram index serves it)."""
    values = _values(filters, tz, dialect)
    if filters.number and not filters.exact:
        del values["number_like"]
        values["number_walk"] = f"%{search_digits(filters.number)}%"
    if filters.name:
        for key in search.NAME_VALUES:
            values.pop(key, None)
        values["name_walk"] = search.like_pattern(filters.name)
    if cursor:
        values["cursor_started"], values["cursor_id"] = decode_cursor(cursor)
    window = {k: v for k, v in values.items() if k in ("date_from", "date_to", "cursor_started", "cursor_id")}
    edge = (await session.execute(_window(Shape(frozenset(window), False, False, False, False, "", dialect,
                                                str(tz)), WALK), window)).first()  # fmt: skip
    if edge is None:
        return None
    values.update(walk_started=edge[0], walk_id=edge[1])
    shape = Shape(frozenset(values), filters.missed and not filters.disposition, filters.voicemail, filters.pending,
                  filters.transferred, _span(filters), dialect, str(tz))  # fmt: skip
    rows = [(row, _note(row)) for row in (await session.execute(_page(shape, filters.limit + 1), values)).all()]
    if len(rows) <= filters.limit:
        return None
    rows = rows[: filters.limit]
    return Page(rows=rows, next_cursor=encode_cursor(rows[-1][0].started_at, rows[-1][0].id),
                prev_cursor=encode_cursor(rows[0][0].started_at, rows[0][0].id) if cursor else None)  # fmt: skip


@dataclass(frozen=True)
class Totals:
    calls: int
    answered: int
    voicemail: int
    transferred: int
    talk_seconds: float
    more: bool = False  # more than ``calls`` calls match (a capped count): the other figures are not given


def totals_of(rows: list[tuple[Any, Any]]) -> Totals:
    """The totals of a page's rows, as :func:`fetch_totals` counts them in SQL."""
    calls = [row for row, _note in rows]
    return Totals(len(calls), sum(c.disposition == "answered" for c in calls),
                  sum(c.voicemail_path is not None for c in calls), sum(bool(c.transferred_to) for c in calls),
                  float(sum(c.talk_seconds or 0 for c in calls)))  # fmt: skip


async def page_totals(session: AsyncSession | AsyncConnection | Reader, filters: Filters, tz: ZoneInfo, page: Page,
                      *, first: bool, cap: int | None = None) -> Totals:  # fmt: skip
    """The totals line of a page: counted from the page's own rows when it is the first page
    and there is no other (every matching call is on it: a rare number or name, whose second
    search, the count, cost as much as the page), else by :func:`fetch_totals`."""
    if first and page.next_cursor is None:
        return totals_of(page.rows)
    return await fetch_totals(session, filters, tz, cap)


async def fetch_totals(session: AsyncSession | AsyncConnection | Reader, filters: Filters, tz: ZoneInfo,
                       cap: int | None = None) -> Totals:  # fmt: skip
    """The totals of the filters' calls; with ``cap``, exact when at most ``cap`` match, else
    only that there are more than ``cap`` (``more``; the other figures 0)."""
    dialect = dialect_of(session)
    await _custom_plans(session, dialect, filters)
    stmt, values = totals_statement(filters, tz, dialect, cap)
    row = (await _trigram_first(session, dialect, bool(filters.number) and not filters.exact, stmt, values)).one()
    if cap is not None and int(row.calls or 0) > cap:
        return Totals(cap, 0, 0, 0, 0.0, more=True)
    return Totals(int(row.calls or 0), int(row.answered or 0), int(row.voicemail or 0), int(row.transferred or 0),
                  float(row.talk_seconds or 0))  # fmt: skip


async def get_call(session: AsyncSession, call_id: int) -> tuple[Call, CallNote | None] | None:
    row = (
        await session.execute(
            select(Call, CallNote).outerjoin(CallNote, CallNote.call_id == Call.id).where(Call.id == call_id)
        )
    ).first()
    return (row[0], row[1]) if row else None
