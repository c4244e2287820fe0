"""Login, logout, the home page, the favicon and ``/api/me``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from callcenter.web import keys
from callcenter.web.auth import devices, throttle
from callcenter.web.auth.accounts import find_user, verify_password
from callcenter.web.auth.session import PUBLIC, current_user, end_session, now, requires, start_session, user_json
from callcenter.web.endpoints import Endpoints, Schema
from callcenter.web.errors import NotAuthenticated
from callcenter.web.i18n import translator
from callcenter.web.render import page, render
from callcenter.web.auth.roles import Perm, Role, allowed

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
api = Endpoints(routes=routes)


FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.svg"


@routes.get("/favicon.ico", name="favicon")
@requires(PUBLIC)
async def favicon(request: web.Request) -> web.StreamResponse:
    """The icon browsers ask for at this fixed path whatever the page links (an SVG: every
    current browser takes one); public like the panel's CSS, and cached for a day."""
    return web.FileResponse(FAVICON, headers={"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"})


def safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//host``, no scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _policy(request: web.Request, free: int | None = None) -> throttle.Policy:
    s = request.app[keys.SETTINGS]
    return throttle.Policy(free or s.login_free_failures, s.login_base_lock_seconds, s.login_max_lock_seconds,
                           s.login_forget_seconds)  # fmt: skip


def _counters(request: web.Request, username: str) -> dict[str, tuple[str, throttle.Policy]]:
    """The three throttle counters of a login attempt (see ``auth/throttle.py``)."""
    s, remote = request.app[keys.SETTINGS], request.remote or ""
    return {
        "pair": (throttle.throttle_key(username, remote), _policy(request)),
        "address": (throttle.address_key(remote), _policy(request, s.login_address_free_failures)),
        "account": (throttle.account_key(username), _policy(request, s.login_account_free_failures)),
    }


async def _locked(request: web.Request, username: str) -> int:
    """Seconds this attempt must wait: the pair or the address locked, or the account locked
    for a browser it never logged in from."""
    counters = _counters(request, username)
    names = ["pair", "address"] + ([] if devices.is_known(request, username) else ["account"])
    async with request.app[keys.READS]() as db:
        waits = [await throttle.locked_for(db, counters[n][0], now(request)) for n in names]
    return max(waits)


async def _login_page(request: web.Request, *, error: str = "", username: str = "", status: int = 200) -> web.Response:
    context = {"error": error, "username": username, "next": safe_next(request.query.get("next"))}
    return await render(request, "login.html", context, status=status)


@routes.get("/login", name="login")
@requires(PUBLIC)
async def login_form(request: web.Request) -> web.StreamResponse:
    if await current_user(request) is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return await _login_page(request)


async def _verify(request: web.Request, username: str, password: str) -> bool:
    async with request.app[keys.READS]() as db:
        user = await find_user(db, username)
    stored = user.password_hash if user is not None and user.active else None
    loop = asyncio.get_running_loop()
    ok = await loop.run_in_executor(request.app[keys.HASHER], verify_password, stored, password)
    if ok and user is not None:
        await start_session(request, user)
    return ok


@routes.post("/login")
@requires(PUBLIC)
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username, password = str(form.get("username", ""))[:200], str(form.get("password", ""))[:1024]
    username = username.strip().lower()
    lang = request[keys.LANG]
    wait = await _locked(request, username)
    if wait:
        text = translator(lang).gettext("Too many failed logins; try again in %(seconds)s s.", seconds=wait)
        response = await _login_page(request, error=text, username=username, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    counters = _counters(request, username)
    if not await _verify(request, username, password):
        async with request.app[keys.SESSIONS]() as db, db.begin():
            locks = [await throttle.record_failure(db, key, now(request), policy) for key, policy in counters.values()]
        log.info("web: failed login for %r from %s%s", username, request.remote, " (locked)" if any(locks) else "")
        return await _login_page(request, error=translator(lang).gettext("Wrong username or password."), username=username, status=401)
    async with request.app[keys.SESSIONS]() as db, db.begin():
        await throttle.clear(db, counters["pair"][0])
        await throttle.clear(db, counters["account"][0])
    log.info("web: %s logged in from %s", username, request.remote)
    response = web.HTTPFound(safe_next(str(form.get("next", "")) or None))
    devices.remember(request, response, username)
    raise response


@routes.post("/logout", name="logout")
@requires(Perm.LOGGED_IN)
async def logout(request: web.Request) -> web.StreamResponse:
    await end_session(request)
    raise web.HTTPFound("/login")


# Where ``/`` sends those who supervise rather than answer calls. An office head's work is the
# cases of their office's stations and their deadlines: /supervision shows exactly those (scoped
# to the office). A manager follows the whole hotline's backlog and overdue cases there too. Neither
# answers calls, so the live call list is noise to them; clerks and supervisors (who watch the
# line) keep /live, stations their cases.
SUPERVISING_HOME = {Role.OFFICE_HEAD: "/supervision", Role.MANAGER: "/supervision"}


@routes.get("/", name="home")
@requires(Perm.LOGGED_IN)
@page("home.html")
async def home(request: web.Request) -> dict[str, object]:
    user = await current_user(request)
    if user is not None and user.role in SUPERVISING_HOME:
        raise web.HTTPFound(SUPERVISING_HOME[user.role])
    if user is not None and allowed(user.role, Perm.CALLS_VIEW):
        raise web.HTTPFound("/live")
    if user is not None and allowed(user.role, Perm.CASES_VIEW):
        raise web.HTTPFound("/cases")  # a station: its own cases
    return {}


class Me(Schema):
    username: str
    display_name: str
    role: str
    station_code: str | None
    office_code: str | None
    extension: str | None
    permissions: list[str]


@api.get("/api/me", Perm.LOGGED_IN, response=Me)
async def me(request: web.Request) -> dict[str, Any]:
    """who is logged in, role and permissions"""
    user = await current_user(request)
    if user is None:  # the guard let it through, so only if revoked in between
        raise NotAuthenticated()
    permissions = sorted(p.value for p in Perm if allowed(user.role, p))
    return {**user_json(user), "permissions": permissions}
