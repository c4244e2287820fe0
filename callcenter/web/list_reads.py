"""Reading the panel's busiest lists with as few hand-offs as possible.

aiosqlite hands every step of a query (execute, fetch, close, rollback) to its thread one at a
time: ~0.8 ms of CPU per list query where running it whole costs ~0.45 ms (measured with the
ledger's first page, 1 M calls). On SQLite the lists therefore run each statement whole in one
call to a small thread pool, on a plain engine over the same file (WAL: a reader never waits
for the writer), and get the rows back buffered. PostgreSQL keeps asyncpg's connection.

Both answer the same three calls (``execute``, ``scalar``, ``scalars``), so the query code does
not know which it has: ``async with app[keys.LIST_READS].connect() as db``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import Engine, Executable
from sqlalchemy.engine import FrozenResult, Result, ScalarResult

THREADS = 4


class Reader(Protocol):
    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Result[Any]: ...

    async def scalar(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Any: ...

    async def scalars(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> ScalarResult[Any]: ...


class ListReads(Protocol):
    def connect(self) -> Any: ...  # an async context manager giving a Reader


class ThreadReader:
    """One statement = one thread call: connect, execute, buffer the rows, give the connection back."""

    def __init__(self, engine: Engine, executor: ThreadPoolExecutor) -> None:
        self.engine, self.executor = engine, executor

    def _run(self, statement: Executable, parameters: Mapping[str, Any] | None) -> FrozenResult[Any]:
        with self.engine.connect() as conn:
            return conn.execute(statement, dict(parameters or {})).freeze()

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Result[Any]:
        frozen = await asyncio.get_running_loop().run_in_executor(self.executor, self._run, statement, parameters)
        return frozen()

    async def scalar(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        return (await self.execute(statement, parameters)).scalar()

    async def scalars(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> ScalarResult[Any]:
        return (await self.execute(statement, parameters)).scalars()


class ThreadReads:
    """The SQLite side of ``LIST_READS``: :class:`ThreadReader` on a plain engine."""

    def __init__(self, engine: Engine, threads: int = THREADS) -> None:
        self.engine = engine
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="list-reads")
        self._reader = ThreadReader(engine, self.executor)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[ThreadReader]:
        yield self._reader

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.engine.dispose()
