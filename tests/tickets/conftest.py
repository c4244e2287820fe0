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

from tests.keys import AUDIT_KEYS  # noqa: E402

# Databases (PostgreSQL too) come from the shared fixtures of tests/conftest.py: each test's is a
# copy of one migrated once per session.

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

