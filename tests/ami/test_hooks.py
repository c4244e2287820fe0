"""After the call log commits a call, the repeat-caller hook links it to the caller's open case."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from callcenter.ami.replay import ReplayServer
from callcenter.db.session import create_engine, session_factory
from callcenter.service import CallLogService
from callcenter.tickets.cases import NewCase, create_case
from callcenter.tickets.models import CaseCall
from tests.ami.harness import service_config, settle, wait_until
from tests.keys import AUDIT_KEYS


async def test_a_call_from_a_number_with_an_open_case_is_linked(migrated: str, traces: Path) -> None:
    engine = create_engine(migrated)
    sessions = session_factory(engine, AUDIT_KEYS)
    now = dt.datetime.now(dt.timezone.utc)
    case = await create_case(
        sessions, NewCase(kind="temperature", source="visit", caller_phone="13909511234", problem="暖气不热"),
        actor="8001", role="clerk", now=now - dt.timedelta(minutes=5), accept=True,
    )  # fmt: skip
    async with ReplayServer([traces / "answered_caller_hangs_up"], speed=25, inject_timestamps=True) as pbx:
        service = CallLogService(service_config(migrated, pbx.port))
        await service.start()
        try:
            await asyncio.wait_for(pbx.wait_finished(), 30)
            await settle(service, migrated, 1)

            async def linked() -> bool:
                async with sessions() as session:
                    return bool((await session.scalars(select(CaseCall).where(CaseCall.case_id == case.id))).all())

            await wait_until(linked, 10, "the call linked to the open case")
        finally:
            await service.stop()
            await engine.dispose()
