"""Alembic environment: runs on the connection handed in by ``callcenter.db.migrate``.

Used programmatically (``callcenter db upgrade`` and start-up on SQLite); the plain
``alembic`` command works too with ``-x url=...``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from callcenter.db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url(url: str) -> None:
    from callcenter.db.session import create_engine

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: pass -x url=DATABASE_URL")
    asyncio.run(_run_with_url(url))
