"""Typed errors → HTTP (the one place), and the language of the request.

``/api/*`` and ``/ws/*`` get JSON (``{"error": code, "message": ...}``); pages get a
redirect to /login (not logged in) or an error page in the reader's language.
"""

from __future__ import annotations

import logging

from aiohttp import web

from callcenter.tickets.errors import CaseError
from callcenter.web import i18n, keys
from callcenter.web.auth.session import Handler
from callcenter.web.errors import NotAuthenticated, Throttled, WebError
from callcenter.web.render import render

log = logging.getLogger(__name__)


def wants_json(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/ws/"))


def login_redirect(request: web.Request) -> web.HTTPFound:
    target = request.rel_url.path_qs if request.method == "GET" else "/"
    return web.HTTPFound(str(request.app.router["login"].url_for().with_query(next=target)))


# The workflow's typed errors (callcenter.tickets.errors) → HTTP status.
CASE_STATUS = {"illegal_transition": 409, "forbidden": 403, "invalid_input": 422, "not_found": 404,
               "conflict": 409, "case_exists": 409}  # fmt: skip


# What exactly was wrong, shown under the title: not for a refusal or a missing record, whose
# title says all a reader needs (their message is for the log).
DETAILED = frozenset({*CASE_STATUS, "bad_request"}) - {"forbidden", "not_found"}


def case_error_status(exc: CaseError) -> int:
    return CASE_STATUS.get(exc.code, 409 if not exc.permanent else 400)


async def error_response(
    request: web.Request, status: int, code: str, message: str, *, error: CaseError | None = None, **extra: object
) -> web.StreamResponse:
    if wants_json(request):
        return web.json_response({"error": code, "message": message, **extra}, status=status)
    tr = i18n.translator(request.get(keys.LANG, i18n.DEFAULT))
    title = tr.word("error", code, default=message)
    # what exactly was wrong, for input and workflow errors (never an internal error's text); a
    # workflow error in the reader's language (i18n.error_text)
    detail = (i18n.error_text(tr, error) if error is not None else message) if code in DETAILED else ""
    context = {"status": status, "code": code, "title": title, "detail": "" if detail == title else detail}
    return await render(request, "error.html", context, status=status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotAuthenticated as exc:
        if wants_json(request):
            return await error_response(request, exc.status, exc.code, exc.message)
        raise login_redirect(request) from None
    except WebError as exc:
        response = await error_response(request, exc.status, exc.code, exc.message, **exc.detail)
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except CaseError as exc:
        return await error_response(request, case_error_status(exc), exc.code, exc.message, error=exc,
                                    permanent=exc.permanent)  # fmt: skip
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return await error_response(request, exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path)
        return await error_response(request, 500, "internal", "internal error")


@web.middleware
async def language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``?lang=en|zh`` switches (and is remembered in a cookie); default Simplified Chinese."""
    asked = request.query.get("lang")
    chosen = asked if asked in i18n.LANGUAGES else None
    cookie = request.cookies.get(i18n.COOKIE)
    request[keys.LANG] = chosen or (cookie if cookie in i18n.LANGUAGES else i18n.DEFAULT)
    response = await handler(request)
    if chosen and chosen != cookie and not response.prepared:
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="Lax")
    return response
