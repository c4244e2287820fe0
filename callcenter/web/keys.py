"""Every ``web.AppKey`` of the panel, in one place."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import Config
from callcenter.live import LiveFeed
from callcenter.tickets.ruleset import RuleBook
from callcenter.web.audit.view import VerdictCache
from callcenter.web.list_reads import ListReads
from callcenter.web.auth.logins import LoginCache
from callcenter.web.models import User
from callcenter.web.names import Names
from callcenter.web.settings import WebSettings
from callcenter.web.wallboard.board import BoardCache

Clock = Callable[[], datetime]

CONFIG = web.AppKey("config", Config)
SETTINGS = web.AppKey("settings", WebSettings)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
# Sessions for what only reads (pages, lists, the login check). PostgreSQL: the same as
# SESSIONS. SQLite: an engine without the writers' ``BEGIN IMMEDIATE`` (see app.py), so a page
# view never queues on the database's one write lock.
READS = web.AppKey("reads", async_sessionmaker[AsyncSession])
# For the busiest lists (list_reads.py): ``async with app[LIST_READS].connect() as db``; a plain
# connection, no ORM session (PostgreSQL: the AsyncEngine; SQLite: whole statements in a thread).
LIST_READS = web.AppKey("list_reads", ListReads)
FEED = web.AppKey("feed", LiveFeed)
CLOCK = web.AppKey("clock", Clock)
# Password hashing (argon2, ~0.1 s of CPU each) runs here, off the event loop, bounded.
HASHER = web.AppKey("hasher", ThreadPoolExecutor)
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
# The deadline rules in force (rules.toml), read once at start-up.
RULES = web.AppKey("rules", RuleBook)
# The audit chain's last verification (it reads every row: not on every page view).
AUDIT = web.AppKey("audit_verdict", VerdictCache)
# Units, people and clerks' names, refreshed every few seconds (names.py).
NAMES = web.AppKey("names", Names)

# The wallboard, computed once per change for every socket of this process (wallboard/board.py).
WALLBOARD = web.AppKey("wallboard", BoardCache)

# Logins found valid a moment ago (auth.LoginCache): one lookup per burst of requests.
LOGINS = web.AppKey("logins", LoginCache)

# Per-request state
USER: web.RequestKey[User | None] = web.RequestKey("user")  # once looked up
LANG = web.RequestKey("lang", str)
