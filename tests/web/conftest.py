"""Fixtures of the panel's tests: a migrated database, the app on a test server, a cast of users."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import Config, load_config
from callcenter.db.models import Call, CallLeg
from callcenter.db.session import create_engine, session_factory
from callcenter.live import LiveFeed
from callcenter.tickets.directory import seed_demo
from callcenter.web.auth.accounts import add_user
from callcenter.web.app import create_app
from callcenter.web.settings import WebSettings
from tests.keys import AUDIT_KEYS

PASSWORD = "correct horse battery"
# Cheap argon2 parameters for the cast (verification follows the hash's own parameters).
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CAST = {
    # username: (role, station (an office head: its office), extension, display name)
    "clerk": ("clerk", None, "8001", "王丽"),
    "other_clerk": ("clerk", None, "8002", "李强"),
    "station": ("station", "hubin", None, "湖滨站"),
    "office_head": ("office_head", "office1", None, "张所长"),  # heads the first heating office
    "supervisor": ("supervisor", None, None, "刘科长"),
    "manager": ("manager", None, None, "陈经理"),
    "admin": ("admin", None, None, "系统管理员"),
}
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)  # 09:00 in Yinchuan


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Panel:
    client: TestClient
    sessions: async_sessionmaker[AsyncSession]
    feed: LiveFeed
    clock: Clock
    config: Config
    app: web.Application

    @property
    def origin(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"


def web_settings(**overrides: Any) -> WebSettings:
    values: dict[str, Any] = dict(session_key=Fernet.generate_key(), cookie_secure=False, ws_revalidate_seconds=0.2)
    values.update(overrides)
    return WebSettings(**values)


async def add_cast(sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
    password_hash = CHEAP.hash(PASSWORD)
    async with sessions() as db, db.begin():
        for name, (role, station, ext, display) in CAST.items():
            office = station if role == "office_head" else None
            await add_user(db, username=name, role=role, password_hash=password_hash, now=now,
                           station_code=None if office else station, office_code=office, extension=ext,
                           display_name=display)  # fmt: skip


async def add_call(sessions: async_sessionmaker[AsyncSession], **fields: Any) -> int:
    """Insert an ended call (defaults: answered by 8001 at T0) with two legs; returns its id."""
    started = fields.pop("started_at", T0)
    values: dict[str, Any] = dict(
        linkedid=f"L{started.timestamp()}-{id(fields)}", status="ended", source="live", caller_number="13909511234",
        caller_name="Zhang Wei", dialed_number="6085708", started_at=started,
        answered_at=started + timedelta(seconds=3), ended_at=started + timedelta(seconds=60),
        ring_seconds=3.0, talk_seconds=57.0, duration_seconds=60.0, disposition="answered",
        answered_by="8001", transferred_to=[], incomplete=False, updated_at=started,
    )  # fmt: skip
    values.update(fields)
    async with sessions() as db, db.begin():
        call = Call(**values)
        db.add(call)
        await db.flush()
        db.add_all([
            CallLeg(call_id=call.id, uniqueid=f"{call.id}.0", channel="SIP/trunk-00000001", role="caller",
                    created_at=started, up_at=started + timedelta(seconds=3),
                    bridged_at=started + timedelta(seconds=3), ended_at=started + timedelta(seconds=60),
                    hangup_cause="16"),
            CallLeg(call_id=call.id, uniqueid=f"{call.id}.1", channel="SIP/8001-00000002", role="agent",
                    extension="8001", created_at=started, rang_at=started + timedelta(seconds=0.5),
                    up_at=started + timedelta(seconds=3), bridged_at=started + timedelta(seconds=3),
                    ended_at=started + timedelta(seconds=60), hangup_cause="16", dial_status="ANSWER"),
        ])  # fmt: skip
        return call.id


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    root = tmp_path / "spool"
    inbox = root / "hotline" / "6085708" / "INBOX"
    inbox.mkdir(parents=True)
    (inbox / "msg0000.wav").write_bytes(b"RIFF" + bytes(range(256)) * 40)
    return root


@pytest.fixture
async def sessions(migrated: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated)
    try:
        yield session_factory(engine, AUDIT_KEYS)
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(days=1))


@pytest.fixture
async def panel(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, spool: Path, migrated: str
) -> AsyncIterator[Panel]:
    await add_cast(sessions, clock())
    await seed_demo(sessions)  # the stations and offices cases are assigned to
    config = load_config(env={}, database_url=migrated, spool_dir=spool)
    feed = LiveFeed()
    app = create_app(config, sessions=sessions, feed=feed, clock=clock, settings=web_settings())
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Panel(client, sessions, feed, clock, config, app)
    finally:
        await client.close()


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def csrf_of(client: TestClient, path: str = "/login") -> str:
    response = await client.get(path)
    match = CSRF_META.search(await response.text()) or re.search(
        r'name="csrf_token" value="([^"]+)"', await response.text()
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def login(client: TestClient, username: str, password: str = PASSWORD, **extra: str) -> tuple[int, str]:
    """Log in through the form; returns (status, CSRF token of the new session)."""
    token = await csrf_of(client, "/login")
    response = await client.post("/login", data={"username": username, "password": password,
                                                 "csrf_token": token, **extra}, allow_redirects=False)  # fmt: skip
    if response.status != 302:
        return response.status, ""
    return 302, await csrf_of(client, "/")


LoginFn = Callable[[str], Any]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # aiohttp 3.14 warns when a library stores request state under a str key; aiohttp-session
    # 2.12 does (the panel's own keys are web.RequestKey). Not an error of ours.
    for item in items:
        if "tests/web/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings(
                "ignore::aiohttp.web_exceptions.NotAppKeyWarning:aiohttp_session"))


async def add_case(
    sessions: async_sessionmaker[AsyncSession], now: datetime, *, to: str = "accepted", station: str = "hubin",
    kind: str = "complaint", phone: str = "13909511234", **fields: Any,
) -> int:  # fmt: skip
    """A case taken through the workflow to state ``to`` (draft, accepted, assigned, feedback_received,
    resolved, called_back, closed, suspended) by the clerk; returns its id."""
    from callcenter.tickets.cases import NewCase, create_case, transition
    from callcenter.tickets.directory import unit_by_code

    case = await create_case(sessions, NewCase(kind=kind, source="phone", caller_phone=phone, **fields),
                             actor="clerk", role="clerk", now=now, accept=to != "draft")  # fmt: skip
    async with sessions() as db:
        unit = await unit_by_code(db, station)
    steps = {"assigned": ["assign"], "feedback_received": ["assign", "feedback"],
             "resolved": ["assign", "feedback", "resolve"], "suspended": ["suspend"],
             "called_back": ["assign", "feedback", "resolve", "callback_satisfied"],
             "closed": ["assign", "feedback", "resolve", "callback_satisfied", "close"]}.get(to, [])  # fmt: skip
    data: dict[str, dict[str, Any]] = {"assign": {"station_id": unit.id if unit else None},
                                       "suspend": {"approved_by": "供热办 王主任"}}
    for action in steps:
        await transition(sessions, case.id, action, actor="clerk", role="clerk", now=now,
                         data=data.get(action), reason={"suspend": "test", "feedback": "已上门处理，暖气恢复正常"}.get(action))  # fmt: skip
    return case.id
