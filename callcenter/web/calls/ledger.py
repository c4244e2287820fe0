"""The phone ledger (电话接听工作台帐) and the missed-call worklist as queries.

Newest first by ``(started_at, id)``, paged by keyset: a page is an index range scan at
any table size (migration 0003 adds one ``(column, started_at, id)`` index per filter).
The number filter is an exact match, which such an index serves; a substring search
would scan the table. A page is read as plain rows (no ORM objects: at 50 rows a page
building them cost more than the query).
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

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from callcenter.db.models import Call
from callcenter.web.errors import BadRequest
from callcenter.web.list_reads import Reader
from callcenter.web.models import CallNote

DISPOSITIONS = ("answered", "voicemail", "busy", "abandoned", "failed")
MISSED = ("abandoned", "busy", "voicemail")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    number: str | None = None
    clerk: str | None = None
    disposition: str | None = None
    voicemail: bool = False
    missed: bool = False
    pending: bool = False  # missed list: not called back yet
    limit: int = DEFAULT_LIMIT

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links to the next page)."""
        args = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "number": self.number or "",
            "clerk": self.clerk or "",
            "disposition": self.disposition or "",
            "voicemail": "1" if self.voicemail else "",
            "pending": "1" if self.pending else "",
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
    next_cursor: str | None


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


def statement(filters: Filters, tz: ZoneInfo, cursor: str | None = None) -> tuple[Select[Any], dict[str, Any]]:
    """The page's query for this combination of filters (built once per combination and
    reused: building and keying a SQLAlchemy statement cost as much as running it) and the
    values of its parameters."""
    values: dict[str, Any] = {}
    if filters.date_from:
        values["date_from"] = datetime.combine(filters.date_from, time(), tz)
    if filters.date_to:
        values["date_to"] = datetime.combine(filters.date_to + timedelta(days=1), time(), tz)
    if filters.number:
        values["number"] = filters.number
    if filters.clerk:
        values["clerk"] = filters.clerk
    if filters.disposition:
        values["disposition"] = filters.disposition
    if cursor:
        values["cursor_started"], values["cursor_id"] = decode_cursor(cursor)
    stmt = _shape(frozenset(values), filters.missed and not filters.disposition, filters.voicemail, filters.pending,
                  filters.limit + 1)  # fmt: skip
    return stmt, values


def _param(name: str) -> Any:
    """A parameter of a reused statement; :func:`statement` always gives its value (the
    default only lets a test render the SQL without one)."""
    return bindparam(name, value=None)


@functools.lru_cache(maxsize=512)
def _shape(given: frozenset[str], missed: bool, voicemail: bool, pending: bool, limit: int) -> Select[Any]:
    stmt = select(*CALL_COLUMNS, *NOTE_COLUMNS).outerjoin(CallNote, CallNote.call_id == Call.id)
    if "date_from" in given:
        stmt = stmt.where(Call.started_at >= _param("date_from"))
    if "date_to" in given:
        stmt = stmt.where(Call.started_at < _param("date_to"))
    if "number" in given:
        stmt = stmt.where(Call.caller_number == _param("number"))
    if "clerk" in given:
        stmt = stmt.where(Call.answered_by == _param("clerk"))
    if "disposition" in given:
        stmt = stmt.where(Call.disposition == _param("disposition"))
    elif missed:
        # Not through the disposition index (three ranges would need a sort): walk the
        # (started_at, id) index newest first and filter; missed calls are not rare.
        stmt = stmt.where(func.coalesce(Call.disposition, "").in_(MISSED))
    if voicemail:
        stmt = stmt.where(Call.voicemail_path.is_not(None))
    if pending:
        stmt = stmt.where(CallNote.called_back_at.is_(None))
    if "cursor_started" in given:
        started, ident = _param("cursor_started"), _param("cursor_id")
        stmt = stmt.where(and_(Call.started_at <= started, or_(Call.started_at < started, Call.id < ident)))
    return stmt.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)


def _note(row: Any) -> SimpleNamespace | None:
    if row.note_id is None:
        return None
    return SimpleNamespace(**{name: row._mapping[label] for name, label in NOTE_FIELDS})


async def fetch_page(
    session: AsyncSession | AsyncConnection | Reader, filters: Filters, tz: ZoneInfo, cursor: str | None = None
) -> Page:
    stmt, values = statement(filters, tz, cursor)
    rows = [(row, _note(row)) for row in (await session.execute(stmt, values)).all()]
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = encode_cursor(rows[-1][0].started_at, rows[-1][0].id) if more and rows else None
    return Page(rows=rows, next_cursor=next_cursor)


async def get_call(session: AsyncSession, call_id: int) -> tuple[Call, CallNote | None] | None:
    row = (
        await session.execute(
            select(Call, CallNote).outerjoin(CallNote, CallNote.call_id == Call.id).where(Call.id == call_id)
        )
    ).first()
    return (row[0], row[1]) if row else None
