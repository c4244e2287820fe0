"""Rendering pages: the template context every page gets (language, user, nav, CSRF token)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from callcenter.web import i18n, keys
from callcenter.web.auth import csrf_token, current_user
from callcenter.web.roles import Perm, allowed

# (catalogue key, URL, permission, available now)
NAV = (
    ("nav.live", "/live", Perm.CALLS_VIEW, True),
    ("nav.calls", "/calls", Perm.CALLS_VIEW, True),
    ("nav.missed", "/calls/missed", Perm.CALLS_VIEW, True),
    # HOOK(cases): the cases pages (/cases, stations see their own) replace this entry.
    ("nav.cases", "/cases", Perm.CASES_VIEW, False),
)


async def base_context(request: web.Request) -> dict[str, Any]:
    lang = request.get(keys.LANG, i18n.DEFAULT)
    user = await current_user(request)
    nav = [
        {"label": key, "url": url, "enabled": enabled, "active": enabled and request.path == url}
        for key, url, perm, enabled in NAV
        if user is not None and allowed(user.role, perm)
    ]
    return {"request": request, "app": request.app, "_": partial(i18n.gettext, lang), "lang": lang, "user": user, "nav": nav,
            "csrf_token": await csrf_token(request), "languages": i18n.LANGUAGES}  # fmt: skip


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
