"""Persistence of the call log: idempotent, keyed by Linkedid, safe with two writers.

Identity of a call: its Linkedid plus its start. At most one *open* row per Linkedid
(a partial unique index); a row whose start lies within ``SAME_CALL_WINDOW`` of another
row with the same Linkedid is the same call. An Asterisk restart can hand out a Linkedid
again: such a call starts far from the old one and gets a row of its own; an ended call
is never reopened.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.ami.calls import CallState, record
from callcenter.ami.cdr import Row
from callcenter.db.models import Call, CallLeg, CdrRow, Cursor

SAME_CALL_WINDOW = timedelta(seconds=10)
RECORD_FIELDS = (
    "caller_number", "caller_name", "dialed_number", "answered_at", "ended_at", "ring_seconds",
    "talk_seconds", "duration_seconds", "disposition", "abandon_stage", "answered_by",
    "transferred_to",
)  # fmt: skip


# Key of the PostgreSQL advisory lock that serialises the transactions opening call rows.
OPENING_LOCK = 0x63616C6C  # "call"


async def _one_opener_at_a_time(session: AsyncSession) -> None:
    """On PostgreSQL, hold a transaction-scoped advisory lock before looking for a call's row.

    Without it two writers (a second listener started by mistake) race: A inserts the open
    row and closes it in the same transaction; B's insert waits on the partial unique index
    (open rows only), finds A's row no longer open once A commits, and inserts a second row
    for the same call. With the lock, B's lookup runs after A's commit and sees A's row.
    SQLite needs nothing: its writers are serialised by ``BEGIN IMMEDIATE``.
    """
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(OPENING_LOCK)))


def utc(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _row_values(rec: dict[str, Any]) -> dict[str, Any]:
    values = {k: rec[k] for k in RECORD_FIELDS if k in rec}
    for k in ("answered_at", "ended_at", "started_at"):
        if k in rec and isinstance(rec[k], (int, float)):
            values[k] = utc(rec[k])
        elif k in rec:
            values[k] = rec[k]
    vm = rec.get("voicemail")
    values["voicemail_mailbox"] = vm["mailbox"] if vm else None
    values["voicemail_path"] = vm["path"] if vm else None
    values["voicemail_duration"] = vm.get("duration_seconds") if vm else None
    return values


def _leg_rows(state: CallState, call_id: int) -> list[dict[str, Any]]:
    return [
        {
            "call_id": call_id,
            "uniqueid": leg.uniqueid,
            "channel": leg.channel,
            "role": leg.role,
            "extension": leg.extension,
            "created_at": utc(leg.created_at),
            "rang_at": utc(leg.rang_at),
            "up_at": utc(leg.up_at),
            "bridged_at": utc(leg.bridged_at),
            "ended_at": utc(leg.ended_at),
            "hangup_cause": leg.hangup_cause,
            "dial_status": leg.dial_status,
        }
        for leg in state.legs.values()
    ]


async def find_call(session: AsyncSession, linkedid: str, started_at: datetime) -> Call | None:
    """The row that is this call: the open one, or one that started within the window."""
    stmt = select(Call).where(
        Call.linkedid == linkedid,
        or_(
            Call.status == "open",
            Call.started_at.between(started_at - SAME_CALL_WINDOW, started_at + SAME_CALL_WINDOW),
        ),
    )
    rows = (await session.scalars(stmt)).all()
    if not rows:
        return None
    return min(rows, key=lambda c: (c.status != "open", abs(c.started_at - started_at)))


async def open_call(session: AsyncSession, state: CallState, *, source: str = "live") -> Call:
    """Insert the open row of a call, or return the row that already is this call."""
    started = utc(state.started_at)
    assert started is not None
    await _one_opener_at_a_time(session)
    existing = await find_call(session, state.linkedid, started)
    if existing is not None:
        return existing
    call = Call(
        linkedid=state.linkedid,
        status="open",
        source=source,
        started_at=started,
        incomplete=False,
        state=state.to_json(),
        updated_at=_now(),
        **{k: v for k, v in _row_values(record(state)).items() if k != "started_at"},
    )
    try:
        async with session.begin_nested():
            session.add(call)
    except IntegrityError:  # another writer opened it first
        existing = await find_call(session, state.linkedid, started)
        if existing is None:
            raise
        return existing
    return call


async def save_progress(session: AsyncSession, call_id: int, state: CallState) -> None:
    values = _row_values(record(state))
    values.pop("ended_at", None)
    values.update(state=state.to_json(), updated_at=_now(), started_at=utc(state.started_at))
    values.pop("disposition", None)
    values.pop("abandon_stage", None)
    await session.execute(
        update(Call).where(Call.id == call_id, Call.status == "open").values(**values)
    )


async def finish(
    session: AsyncSession,
    call_id: int,
    rec: dict[str, Any],
    *,
    state: CallState | None,
    incomplete: bool = False,
) -> bool:
    """Close an open call with its final record; False if it was already closed (by anyone)."""
    values = _row_values(rec)
    values.update(status="ended", state=None, updated_at=_now(), incomplete=incomplete)
    result = await session.execute(
        update(Call).where(Call.id == call_id, Call.status == "open").values(**values)
    )
    if result.rowcount != 1:
        return False
    if state is not None and state.legs:  # legs are written once, by whoever closed the call
        await session.execute(CallLeg.__table__.insert(), _leg_rows(state, call_id))
    return True


def _dialect_insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def open_calls(session: AsyncSession, states: list[CallState]) -> dict[str, int]:
    """``open_call`` for many calls in three statements: linkedid → row id."""
    if not states:
        return {}
    lids = [s.linkedid for s in states]
    await _one_opener_at_a_time(session)
    rows = (
        await session.execute(
            select(Call.id, Call.linkedid, Call.status, Call.started_at).where(Call.linkedid.in_(lids))
        )
    ).all()
    found: dict[str, int] = {}
    for state in states:
        started = utc(state.started_at)
        assert started is not None
        same = [r for r in rows if r.linkedid == state.linkedid
                and (r.status == "open" or abs(r.started_at - started) <= SAME_CALL_WINDOW)]  # fmt: skip
        if same:
            found[state.linkedid] = min(same, key=lambda r: (r.status != "open", abs(r.started_at - started))).id
    fresh = [s for s in states if s.linkedid not in found]
    if fresh:
        now = _now()
        values = []
        for state in fresh:
            row = _row_values(record(state))
            row.update(linkedid=state.linkedid, status="open", source="live", incomplete=False,
                       state=state.to_json(), updated_at=now, started_at=utc(state.started_at))  # fmt: skip
            values.append(row)
        stmt = _dialect_insert(session)(Call).on_conflict_do_nothing().returning(Call.id, Call.linkedid)
        for call_id, linkedid in (await session.execute(stmt, values)).all():
            found[linkedid] = call_id
        for state in fresh:  # lost a race with another writer: take its row
            if state.linkedid not in found:
                call = await find_call(session, state.linkedid, utc(state.started_at))  # type: ignore[arg-type]
                if call is None:
                    raise IntegrityError("open call vanished", None, Exception(state.linkedid))
                found[state.linkedid] = call.id
    return found


async def save_progress_many(session: AsyncSession, items: list[tuple[int, CallState]]) -> None:
    if not items:
        return
    now = _now()
    params = []
    for call_id, state in items:
        values = _row_values(record(state))
        for key in ("ended_at", "disposition", "abandon_stage"):
            values.pop(key, None)
        values.update(b_id=call_id, state=state.to_json(), updated_at=now, started_at=utc(state.started_at))
        params.append(values)
    table = Call.__table__
    columns = {k: bindparam(k) for k in params[0] if k != "b_id"}
    stmt = table.update().where(table.c.id == bindparam("b_id"), table.c.status == "open").values(**columns)
    await session.execute(stmt, params)


async def finish_many(
    session: AsyncSession, items: list[tuple[int, dict[str, Any], CallState, bool]]
) -> set[int]:
    """Close many open calls; returns the ids this writer closed (the others were closed
    by someone else already). The rows are locked first, so the answer is exact."""
    if not items:
        return set()
    ids = [call_id for call_id, *_ in items]
    stmt = select(Call.id).where(Call.id.in_(ids), Call.status == "open")
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    still_open = set((await session.scalars(stmt)).all())
    now = _now()
    params, legs = [], []
    for call_id, rec, state, incomplete in items:
        if call_id not in still_open:
            continue
        values = _row_values(rec)
        values.update(b_id=call_id, status="ended", state=None, updated_at=now, incomplete=incomplete)
        params.append(values)
        legs += _leg_rows(state, call_id)
    if params:
        table = Call.__table__
        keys = sorted({k for p in params for k in p if k != "b_id"})
        for p in params:
            for k in keys:
                p.setdefault(k, None)
        stmt2 = table.update().where(table.c.id == bindparam("b_id")).values(**{k: bindparam(k) for k in keys})
        await session.execute(stmt2, params)
    if legs:
        await session.execute(CallLeg.__table__.insert(), legs)
    return still_open


async def insert_recovered(session: AsyncSession, rec: dict[str, Any], legs: list[dict[str, Any]]) -> bool:
    """Insert a call rebuilt from CDR unless it is already in the log. True if inserted."""
    await _one_opener_at_a_time(session)
    if await find_call(session, rec["linkedid"], rec["started_at"]) is not None:
        return False
    values = _row_values(rec)
    call = Call(
        linkedid=rec["linkedid"],
        status="ended",
        source="recovered",
        incomplete=False,
        state=None,
        updated_at=_now(),
        **values,
    )
    session.add(call)
    await session.flush()
    if legs:
        await session.execute(CallLeg.__table__.insert(), [dict(leg, call_id=call.id) for leg in legs])
    return True


async def load_open_states(session: AsyncSession) -> dict[str, tuple[int, CallState]]:
    rows = (await session.execute(select(Call.id, Call.linkedid, Call.state).where(Call.status == "open"))).all()
    out: dict[str, tuple[int, CallState]] = {}
    for call_id, linkedid, snapshot in rows:
        if snapshot:
            out[linkedid] = (call_id, CallState.from_json(snapshot))
    return out


async def open_calls_without_state(session: AsyncSession) -> list[Call]:
    return list((await session.scalars(select(Call).where(Call.status == "open", Call.state.is_(None)))).all())


async def store_cdr_rows(
    session: AsyncSession, rows: Iterable[Row], origin: str, call_ids: dict[str, int] | None = None
) -> int:
    """Insert CDR rows not stored yet (idempotent on uniqueid/channel/dstchannel/start).

    ``call_ids`` (uniqueid → call row id) links rows of calls followed live right away, so
    they never look like calls of their own to the recovery, whatever the clocks say.
    """
    call_ids = call_ids or {}
    values = [dict(row.as_dict(), origin=origin, call_id=call_ids.get(row.uniqueid)) for row in rows]
    if not values:
        return 0
    table = CdrRow.__table__
    stmt = _dialect_insert(session)(CdrRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=["uniqueid", "channel", "dstchannel", "start"],
        set_={"call_id": func.coalesce(table.c.call_id, stmt.excluded.call_id)},
    ).returning(CdrRow.id)
    return len((await session.execute(stmt, values)).all())


async def cdr_rows_for(session: AsyncSession, uniqueid: str, near: datetime) -> list[Row]:
    stmt = select(CdrRow).where(
        CdrRow.uniqueid == uniqueid,
        CdrRow.start.between(near - timedelta(hours=12), near + timedelta(hours=12)),
    )
    return [
        Row(**{f: getattr(r, f) for f in Row.__dataclass_fields__})
        for r in (await session.scalars(stmt)).all()
    ]


async def get_cursor(session: AsyncSession, name: str) -> dict[str, Any]:
    cursor = await session.get(Cursor, name)
    return dict(cursor.value) if cursor else {}


async def set_cursor(session: AsyncSession, name: str, value: dict[str, Any]) -> None:
    cursor = await session.get(Cursor, name)
    if cursor is None:
        session.add(Cursor(name=name, value=value, updated_at=_now()))
    else:
        cursor.value = value
        cursor.updated_at = _now()


async def count_calls(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Call)) or 0)
