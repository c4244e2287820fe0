"""The access guard (login, role, Origin, CSRF) and the security headers of every response.

Every route declares its permission with ``auth.requires``; a handler without one is
refused (default deny). Unsafe methods must come from our own origin and carry the
session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``), compared in
constant time. The websocket upgrade must come from our own origin.
"""

from __future__ import annotations

import hmac

import aiohttp_session
from aiohttp import hdrs, web
from yarl import URL

from callcenter.web import keys
from callcenter.web.auth.session import PUBLIC, Handler, current_user
from callcenter.web.errors import CsrfFailed, Forbidden, NotAuthenticated
from callcenter.web.auth.roles import Perm, allowed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def permission_of(request: web.Request) -> Perm | str | None:
    """The permission the matched route needs; None when no route matched (404/405)."""
    match = request.match_info
    if match.http_exception is not None:
        return None
    if isinstance(match.route.resource, web.StaticResource):
        return PUBLIC  # CSS/JS/fonts of the panel: nothing secret, the login page needs them
    return getattr(match.handler, "permission", "unmarked")


def origin_ok(request: web.Request, *, websocket: bool = False) -> bool:
    """Origin (or, failing that, Referer) names this server or an allowed origin."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None and (referer := request.headers.get(hdrs.REFERER)):
        origin = str(URL(referer).origin()) if URL(referer).absolute else "null"
    if origin is None:
        # Browsers always send Origin on these requests; a non-browser client has no
        # ambient credentials to abuse (it still needs the CSRF token).
        return not websocket
    if origin == "null":
        return False
    origin = origin.rstrip("/")
    if origin in request.app[keys.SETTINGS].allowed_origins:
        return True
    try:
        parsed = URL(origin)
    except ValueError:
        return False
    return parsed.absolute and parsed.scheme in ("http", "https") and parsed.authority == request.host


async def check_csrf(request: web.Request) -> None:
    session = await aiohttp_session.get_session(request)
    expected = session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value = (await request.post()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed("missing or wrong CSRF token")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    perm = permission_of(request)
    if perm is None:
        return await handler(request)
    if perm == "unmarked":
        raise Forbidden("route without a permission")
    user = await current_user(request)
    if perm != PUBLIC:
        if user is None:
            raise NotAuthenticated("login required")
        if not allowed(user.role, Perm(perm)):
            raise Forbidden("your role may not do this")
    if request.method not in SAFE_METHODS:
        if not origin_ok(request):
            raise CsrfFailed("cross-origin request refused")
        await check_csrf(request)
        try:
            return await handler(request)
        finally:  # it may have revoked a login or changed an account: look them up afresh
            request.app[keys.LOGINS].clear()
    if request.headers.get(hdrs.UPGRADE, "").lower() == "websocket" and not origin_ok(request, websocket=True):
        raise Forbidden("websocket from another origin refused")
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: on every response, pages, JSON, files and errors alike."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
