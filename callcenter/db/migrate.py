"""Apply Alembic migrations programmatically."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def alembic_config(connection: Connection | None = None, audit_keys: Any = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    if audit_keys is not None:  # migration 0009 seals an existing chain with them
        cfg.attributes["audit_keys"] = audit_keys
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "heads", *, audit_keys: Any = None) -> None:
    """Bring the schema to ``revision``; idempotent. ``audit_keys`` are needed once, to seal an
    audit chain written before the chain was keyed (migration 0009)."""

    def _run(sync_connection: Connection) -> None:
        command.upgrade(alembic_config(sync_connection, audit_keys), revision)

    async with engine.begin() as connection:
        await connection.run_sync(_run)
    log.info("database schema at %s", revision)
