"""Engine and session factory: SQLite (WAL, BEGIN IMMEDIATE) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")


class DatabaseMissing(RuntimeError):
    """A command that only reads found no database where the configuration points."""


def require_database(url: str) -> None:
    """Refuse a SQLite file that does not exist (instead of creating an empty one): for
    commands that read, where an empty new database would only hide a wrong setting."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database and database != ":memory:" and not Path(database).is_file():
        raise DatabaseMissing(f"no database at {Path(database).resolve()} (set CALLCENTER_DATABASE_URL, or "
                              "create it with `callcenter db upgrade`)")  # fmt: skip


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; on SQLite make the file's folder and set the pragmas.

    SQLite: WAL (readers never block the writer), a busy timeout, and ``BEGIN IMMEDIATE``
    for every transaction so that a read-then-write cannot fail with "database is locked"
    half-way (see dependencies.md).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _sqlite_hooks(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine, audit_keys: Any = None) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; with ``audit_keys`` (:class:`callcenter.audit_keys.AuditKeys`)
    they can write audit rows (a session without keys refuses to, rather than write rows
    nobody can verify)."""
    info = {"audit_keys": audit_keys} if audit_keys is not None else {}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


async def whole(work: Awaitable[T]) -> T:
    """Run one unit of database work to its end even when the caller is cancelled meanwhile,
    then let the cancellation through.

    A cancellation that lands inside an aiosqlite statement does not stop the statement (it
    runs in aiosqlite's thread): the connection can be left inside ``BEGIN IMMEDIATE``,
    holding SQLite's write lock until it is garbage-collected, and every other writer then
    fails with "database is locked" after the busy timeout. Shutdown paths that cancel tasks
    (``Transcriber.stop``) wrap their transactions in this instead.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([task])
        raise
