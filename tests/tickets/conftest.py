from __future__ import annotations

import tomllib
from typing import Any

import pytest

from callcenter.tickets.rulefile import default_rules_path


@pytest.fixture
def rules_data() -> dict[str, Any]:
    """A fresh, mutable copy of the packaged rules.toml as parsed TOML."""
    return tomllib.loads(default_rules_path().read_text(encoding="utf-8"))


# -- database fixtures for the DB-side tests ------------------------------------------------

import datetime as dt  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """An Asia/Shanghai moment: ``at("2026-09-30 16:00")``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
async def sessions(migrated: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    from callcenter.db.session import create_engine, session_factory
    from callcenter.tickets.directory import seed_demo

    engine = create_engine(migrated)
    factory = session_factory(engine, AUDIT_KEYS)
    await seed_demo(factory)
    try:
        yield factory
    finally:
        await engine.dispose()


# -- PostgreSQL: copy each test's database from one migrated template (fast) -----------------

import asyncio  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from tests.conftest import PG_ENV, _asyncpg_url, _pg_admin  # noqa: E402
from tests.keys import AUDIT_KEYS


async def _migrate(url: str) -> None:
    from callcenter.db.migrate import upgrade
    from callcenter.db.session import create_engine

    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[str, str]]:
    """(server URL, template name): a database migrated once for the whole session."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    base = _asyncpg_url(base)
    name = "cc_tpl_" + uuid.uuid4().hex[:12]
    head, _, _db = base.rpartition("/")
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_migrate(f"{head}/{name}"))
        yield base, name
    finally:
        asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_template: tuple[str, str]) -> Iterator[str]:
    """Overrides the shared fixture: a fresh copy of the migrated template for one test."""
    base, template = pg_template
    name = "cc_test_" + uuid.uuid4().hex[:12]
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    head, _, _db = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
