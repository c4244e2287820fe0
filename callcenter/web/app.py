"""The panel's app factory, and starting/stopping it next to the call-log service.

``create_app(config, sessions=..., feed=...)`` builds the aiohttp application;
``start_web(config, sessions, feed)`` serves it on ``config.http_host:http_port`` and
returns the runner that ``stop(runner)`` shuts down (websockets closed first).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import aiohttp_session
import jinja2
from aiohttp import WSCloseCode, web
from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from callcenter.config import Config
from callcenter.db.session import SQLITE_BUSY_TIMEOUT_MS
from callcenter.live import LiveFeed
from callcenter.tickets.rulefile import load_rules
from callcenter.tickets.ruleset import RuleBook
from callcenter.web import i18n, keys, middleware, openapi
from callcenter.web.auth import password as auth_password
from callcenter.web.auth.proxies import forwarded_middleware
from callcenter.web.admin import api as api_admin
from callcenter.web.calls import api as api_calls
from callcenter.web.cases import api as api_cases
from callcenter.web.drafts import api as api_drafts
from callcenter.web.supervision import api as api_supervision
from callcenter.web.supervision import charts_api as api_charts
from callcenter.web.cases import edit as case_edit
from callcenter.web.cases import links as case_links
from callcenter.web.cases import from_call as case_from_call
from callcenter.web.auth import security
from callcenter.web.admin import pages as views_admin
from callcenter.web.auth import pages as views_auth
from callcenter.web.admin import calendar as views_calendar
from callcenter.web.calls import pages as views_calls
from callcenter.web.calls import export as calls_export
from callcenter.web.cases import pages as views_cases
from callcenter.web.admin import directory as views_directory
from callcenter.web.drafts import pages as views_drafts
from callcenter.web.admin import extraction as views_extraction
from callcenter.web.live import pages as views_live
from callcenter.web.notices import api as api_notices
from callcenter.web.notices import pages as views_notices
from callcenter.web.reports import api as api_reports
from callcenter.web.reports import pages as views_reports
from callcenter.web.supervision import pages as views_supervision
from callcenter.web.wallboard import api as api_wallboard
from callcenter.web.wallboard import pages as views_wallboard
from callcenter.web.wallboard.board import BoardCache
from callcenter.web.audit.view import VerdictCache
from callcenter.web.auth.session import cookie_storage
from callcenter.web.list_reads import ThreadReads
from callcenter.web.auth.logins import LoginCache
from callcenter.web.names import Names
from callcenter.web.present import make_filters
from callcenter.web.settings import WebSettings, load_web_settings
from callcenter.metrics import ServiceMetrics
from callcenter.web.ops import setup_ops_routes

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SHUTDOWN_TIMEOUT = 5.0
# The panel's features: each folder holds its pages (templates/, static/), API and strings.
FEATURES = ("auth", "calls", "live", "cases", "drafts", "supervision", "reports", "audit", "admin", "wallboard",
            "notices")

# Every module with a ``routes`` table, in registration order.
ROUTE_MODULES = (views_auth, views_calls, calls_export, api_calls, views_live, views_cases, case_from_call, api_cases, case_edit,
                 views_drafts, api_drafts, views_supervision, views_reports, api_supervision, views_admin,
                 views_calendar, api_admin, views_directory, views_extraction, auth_password, views_wallboard,
                 api_wallboard, views_notices, api_notices, case_links, api_reports, api_charts, openapi)  # fmt: skip


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


async def _hasher_ctx(app: web.Application) -> AsyncIterator[None]:
    """At most two password hashes at a time: a login flood cannot starve the event loop's host."""
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
    app[keys.HASHER] = executor
    yield
    executor.shutdown(wait=True, cancel_futures=True)


async def _reads_ctx(app: web.Application) -> AsyncIterator[None]:
    """Sessions for reading. SQLite: a second engine on the same file whose transactions do not
    start with ``BEGIN IMMEDIATE`` (the call log's engine takes the write lock for every
    transaction, so a read-then-write cannot fail half-way): in WAL mode a read then never
    waits for a writer nor for another reader; each statement reads the latest commit. A
    write through it (the login check's last-seen stamp) begins its own transaction."""
    sessions = app[keys.SESSIONS]
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the panel's sessions must be bound to an AsyncEngine")
    if bind.dialect.name != "sqlite":
        app[keys.READS], app[keys.LIST_READS] = sessions, bind
        yield
        return
    engine = create_async_engine(bind.url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine.sync_engine, "connect", _sqlite_reader_pragmas)
    # The busiest lists: each statement whole in one thread call (list_reads.py).
    plain = create_engine(bind.url.set(drivername="sqlite"),
                          connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})  # fmt: skip
    event.listen(plain, "connect", _sqlite_reader_pragmas)
    lists = ThreadReads(plain)
    reads = async_sessionmaker(engine, expire_on_commit=False, info=dict(sessions.kw.get("info") or {}))  # audit keys
    app[keys.READS], app[keys.LIST_READS] = reads, lists
    try:
        yield
    finally:
        lists.close()
        await engine.dispose()


def _sqlite_reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def _websockets_ctx(app: web.Application) -> AsyncIterator[None]:
    app[keys.WEBSOCKETS] = weakref.WeakSet()
    yield


async def _close_websockets(app: web.Application) -> None:
    """on_shutdown: close live sockets so shutdown need not wait for them."""
    for ws in list(app[keys.WEBSOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")




def create_app(
    config: Config,
    *,
    sessions: async_sessionmaker[AsyncSession],
    feed: LiveFeed,
    clock: keys.Clock = utc_now,
    settings: WebSettings | None = None,
    rules: RuleBook | None = None,
    metrics: ServiceMetrics | None = None,
) -> web.Application:
    settings = settings or load_web_settings(config)
    app = web.Application(
        middlewares=[
            forwarded_middleware(settings.trusted_proxies),
            aiohttp_session.session_middleware(cookie_storage(settings)),
            middleware.language,
            middleware.errors,
            security.guard,
        ],
        client_max_size=256 * 1024,
    )
    app[keys.CONFIG], app[keys.SETTINGS], app[keys.SESSIONS] = config, settings, sessions
    app[keys.FEED], app[keys.CLOCK] = feed, clock
    app[keys.RULES] = rules or load_rules()
    app[keys.AUDIT] = VerdictCache()
    app[keys.NAMES] = Names()
    app[keys.LOGINS] = LoginCache()
    app[keys.WALLBOARD] = BoardCache()
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader([HERE / "templates", *(HERE / f / "templates" for f in FEATURES)]),
        autoescape=True,
        filters=make_filters(config.tz),
    )
    env.undefined = jinja2.StrictUndefined
    i18n.install(env)  # jinja2.ext.i18n: _, gettext, pgettext and word() in the request's language
    for module in ROUTE_MODULES:
        app.router.add_routes(module.routes)
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    for feature in FEATURES:
        if (HERE / feature / "static").is_dir():
            app.router.add_static(f"/static/{feature}/", HERE / feature / "static", name=f"static.{feature}",
                                  append_version=True)
    app.cleanup_ctx.extend([_reads_ctx, _hasher_ctx, _websockets_ctx])
    app.on_shutdown.append(_close_websockets)
    app.on_response_prepare.append(security.security_headers)
    setup_ops_routes(app, service_metrics=metrics or ServiceMetrics(sessions), config=config)
    return app


async def start_web(
    config: Config, sessions: async_sessionmaker[AsyncSession], feed: LiveFeed, *, reuse_port: bool = False,
    **kwargs: Any,
) -> web.AppRunner:
    """Serve the panel on ``config.http_host:config.http_port``; ``stop(runner)`` ends it.
    ``reuse_port``: share the port with other panel processes (callcenter.web.workers)."""
    runner = web.AppRunner(create_app(config, sessions=sessions, feed=feed, **kwargs),
                           shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)  # fmt: skip
    await runner.setup()
    site = web.TCPSite(runner, config.http_host, config.http_port, reuse_port=reuse_port or None)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("web: panel on http://%s:%s/", config.http_host, config.http_port)
    return runner


async def stop(runner: web.AppRunner) -> None:
    await runner.cleanup()
