"""Shared fixtures: the recorded traces, and databases (SQLite always, PostgreSQL when
CALLCENTER_TEST_DATABASE_URL is set: each test gets a fresh database on that server).

A test that asks for a migrated database gets a copy of one migrated once per session (a file
copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL) instead of running every
migration again: the same schema, built by the same Alembic upgrade, in a fraction of the time
(about 1.5 s less per PostgreSQL test). Tests of the migrations themselves ask for ``db_url`` or
``pg_url`` without ``migrated`` and still get an empty database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
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


async def upgrade_url(url: str) -> None:
    """Every migration applied to the database at ``url`` (what ``callcenter db upgrade`` does)."""
    from callcenter.db.migrate import upgrade
    from callcenter.db.session import create_engine

    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


# Databases built from a template: ``migrated`` does not upgrade them again.
_FROM_TEMPLATE: set[str] = set()


@pytest.fixture(scope="session")
def _dropper() -> Iterator[ThreadPoolExecutor]:
    """Drops the tests' PostgreSQL databases beside the run (a forced drop takes most of a second)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
    yield pool
    pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated once for the session, the template of the tests' databases."""
    base = _asyncpg_url(os.environ[PG_ENV])
    name = "cc_tmpl_" + uuid.uuid4().hex[:12]
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"'))
    head, _, _db = base.rpartition("/")
    try:
        asyncio.run(upgrade_url(f"{head}/{name}"))
        yield name
    finally:
        asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once for the session, copied for each test that wants one."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    asyncio.run(upgrade_url(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, _dropper: ThreadPoolExecutor) -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped afterwards): empty, or already migrated
    (from the session's template) when the test also asks for ``migrated``."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    base = _asyncpg_url(base)
    name = "cc_test_" + uuid.uuid4().hex[:12]
    template = request.getfixturevalue("pg_template") if "migrated" in request.fixturenames else None
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    head, _, _db = base.rpartition("/")
    url = f"{head}/{name}"
    if template:
        _FROM_TEMPLATE.add(url)
    try:
        yield url
    finally:
        _FROM_TEMPLATE.discard(url)
        _dropper.submit(asyncio.run, _pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
        path = tmp_path / "callcenter.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        if "migrated" in request.fixturenames:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            _FROM_TEMPLATE.add(url)
        return url
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def migrated(db_url: str) -> AsyncIterator[str]:
    if db_url not in _FROM_TEMPLATE:
        await upgrade_url(db_url)
    yield db_url
