"""Shared fixtures: the recorded traces, and databases (SQLite always, PostgreSQL when
CALLCENTER_TEST_DATABASE_URL is set: each test gets a fresh database on that server)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRACES = ROOT.parent / "shared" / "ami-traces"
PG_ENV = "CALLCENTER_TEST_DATABASE_URL"


def pytest_report_header(config: pytest.Config) -> str:
    pg = os.environ.get(PG_ENV)
    return f"databases: sqlite{' + postgresql (' + pg + ')' if pg else ' only (set ' + PG_ENV + ' for PostgreSQL)'}"


@pytest.fixture(scope="session")
def traces() -> Path:
    if not TRACES.is_dir():
        pytest.fail(f"the recorded AMI traces are missing: {TRACES}")
    return TRACES


def _asyncpg_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    return url


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    base = _asyncpg_url(base)
    name = "cc_test_" + uuid.uuid4().hex[:12]
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"'))
    head, _, _db = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _db_params() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param("postgresql", marks=pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"))
    )
    return params


@pytest.fixture(params=_db_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for the test: an SQLite file, then (if configured) PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'callcenter.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def migrated(db_url: str) -> AsyncIterator[str]:
    from callcenter.db.migrate import upgrade
    from callcenter.db.session import create_engine

    engine = create_engine(db_url)
    await upgrade(engine)
    await engine.dispose()
    yield db_url
