"""Running the real service against the replay server, in-process (test helpers)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from callcenter.calls_export import call_to_dict, iter_calls
from callcenter.config import Config, load_config
from callcenter.db.models import Call
from callcenter.db.session import create_engine, session_factory
from callcenter.service import CallLogService
from tests.keys import AUDIT_KEYS

TZ = ZoneInfo("Asia/Shanghai")


def service_config(db_url: str, port: int, **overrides: Any) -> Config:
    values: dict[str, Any] = dict(
        database_url=db_url,
        ami_host="127.0.0.1",
        ami_port=port,
        ami_reconnect_min=0.05,
        ami_reconnect_max=0.3,
        ami_ping_interval=1.0,
        ami_ping_timeout=2.0,
    )
    values.update(overrides)
    return load_config(env={}, **values)


async def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def call_log(db_url: str) -> list[dict[str, Any]]:
    engine = create_engine(db_url)
    try:
        return [call_to_dict(c, TZ) async for c in iter_calls(session_factory(engine, AUDIT_KEYS))]
    finally:
        await engine.dispose()


async def counts(db_url: str) -> tuple[int, int]:
    """(ended calls, open calls)."""
    engine = create_engine(db_url)
    try:
        async with session_factory(engine, AUDIT_KEYS)() as session:
            ended = await session.scalar(select(func.count()).select_from(Call).where(Call.status == "ended"))
            opened = await session.scalar(select(func.count()).select_from(Call).where(Call.status == "open"))
            return int(ended or 0), int(opened or 0)
    finally:
        await engine.dispose()


async def settle(service: CallLogService, db_url: str, expected: int, timeout: float = 20.0) -> None:
    """Wait until ``expected`` calls are ended in the database and none is open."""

    async def done() -> bool:
        await service.recorder.flush()
        ended, opened = await counts(db_url)
        return ended >= expected and opened == 0

    await wait_until(done, timeout, f"{expected} ended calls")


def spool_copy(traces: Path, tmp_path: Path) -> Path:
    """The voicemail trace's spool as the service's CALLCENTER_SPOOL_DIR."""
    import shutil

    target = tmp_path / "spool"
    shutil.copytree(traces / "voicemail" / "spool", target)
    return target
