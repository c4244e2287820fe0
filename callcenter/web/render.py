"""Rendering pages: the template context every page gets (language, user, nav, CSRF token)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from callcenter.tickets.calendar_store import YearWarning, calendar_warnings
from callcenter.web import i18n, keys
from callcenter.web.auth.session import csrf_token, current_user
from callcenter.web.auth.roles import Perm, allowed

# (catalogue key, URL, permission, available now)
NAV = (
    ("nav.live", "/live", Perm.CALLS_VIEW, True),
    ("nav.calls", "/calls", Perm.CALLS_VIEW, True),
    ("nav.missed", "/calls/missed", Perm.CALLS_VIEW, True),
    ("nav.drafts", "/drafts", Perm.CASES_CREATE, True),
    ("nav.cases", "/cases", Perm.CASES_VIEW, True),
    ("nav.supervision", "/supervision", Perm.SUPERVISE, True),
    ("nav.wallboard", "/wallboard", Perm.SUPERVISE, True),
    ("nav.reports", "/reports", Perm.SUPERVISE, True),
    ("nav.audit", "/audit", Perm.SUPERVISE, True),
    ("nav.admin", "/admin", Perm.ADMIN_VIEW, True),
)


def _active(path: str) -> str | None:
    """The nav URL the page belongs to: the longest one that is the path or a folder of it."""
    hits = [url for _, url, _, _ in NAV if path == url or path.startswith(url + "/")]
    return max(hits, key=len) if hits else None


async def _warnings(request: web.Request) -> list[YearWarning]:
    """The calendar's unknown years (this one, the next, any a deadline used): every page says so."""
    async with request.app[keys.READS]() as db:
        return await calendar_warnings(db, request.app[keys.CLOCK]())


async def _unread(request: web.Request, user: Any) -> int:
    """The top bar's badge: unread notices in the user's inbox (callcenter.web.notices)."""
    from callcenter.web.notices.inbox import unread_count
    from callcenter.web.scope import case_scope

    async with request.app[keys.READS]() as db:
        return await unread_count(db, user, await case_scope(db, user), request.app[keys.CLOCK]())


async def base_context(request: web.Request) -> dict[str, Any]:
    lang = request.get(keys.LANG, i18n.DEFAULT)
    user = await current_user(request)
    active = _active(request.path)
    nav = [
        {"label": key, "url": url, "enabled": enabled, "active": enabled and url == active}
        for key, url, perm, enabled in NAV
        if user is not None and allowed(user.role, perm)
    ]
    warnings = await _warnings(request) if user is not None else []
    unread = await _unread(request, user) if user is not None else 0
    return {"request": request, "app": request.app, "_": partial(i18n.gettext, lang), "lang": lang, "user": user, "nav": nav,
            "csrf_token": await csrf_token(request), "languages": i18n.LANGUAGES, "calendar_warnings": warnings,
            "can_edit_calendar": user is not None and allowed(user.role, Perm.ADMIN_EDIT),
            "inbox_unread": unread}  # fmt: skip


async def render(request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200) -> web.Response:
    full = {**await base_context(request), **context}
    return aiohttp_jinja2.render_template(template, request, full, status=status)


def page(template: str) -> Callable[[Callable[[web.Request], Awaitable[Mapping[str, Any]]]], Any]:
    """Decorate a handler returning a context dict: it renders ``template`` with it."""

    def wrap(handler: Callable[[web.Request], Awaitable[Mapping[str, Any]]]) -> Any:
        @functools.wraps(handler)
        async def view(request: web.Request) -> web.StreamResponse:
            return await render(request, template, await handler(request))

        return view

    return wrap
