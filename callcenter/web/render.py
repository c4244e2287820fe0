"""Rendering pages: the template context every page gets (language, user, nav, CSRF token)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from callcenter.tickets.calendar_store import YearWarning, calendar_warnings
from callcenter.web import i18n, keys
from callcenter.web.auth.session import csrf_token, current_user
from callcenter.web.auth.roles import Perm, allowed

# (word of the ``nav`` vocabulary (callcenter/web/words.py), URL, permission, available now)
NAV = (
    ("live", "/live", Perm.CALLS_VIEW, True),
    ("calls", "/calls", Perm.CALLS_VIEW, True),
    ("missed", "/calls/missed", Perm.CALLS_VIEW, True),
    ("drafts", "/drafts", Perm.CASES_CREATE, True),
    ("cases", "/cases", Perm.CASES_VIEW, True),
    ("supervision", "/supervision", Perm.SUPERVISE, True),
    ("wallboard", "/wallboard", Perm.SUPERVISE, True),
    ("reports", "/reports", Perm.SUPERVISE, True),
    ("audit", "/audit", Perm.SUPERVISE, True),
    ("admin", "/admin", Perm.ADMIN_VIEW, True),
)


def _active(path: str) -> str | None:
    """The nav URL the page belongs to: the longest one that is the path or a folder of it."""
    hits = [url for _, url, _, _ in NAV if path == url or path.startswith(url + "/")]
    return max(hits, key=len) if hits else None


def calendar_audience(role: str) -> str | None:
    """How a role is told that a year's holidays are missing (deadlines then count Mon–Fri):
    ``"alert"`` with a link for an administrator, who enters them; ``"info"`` for a supervisor
    or a manager, who read the calendar and answer for the deadlines (they ask the administrator);
    nothing for clerks, stations and office heads, who can do nothing about it."""
    if allowed(role, Perm.ADMIN_EDIT):
        return "alert"
    if allowed(role, Perm.ADMIN_VIEW):
        return "info"
    return None


async def _warnings(request: web.Request) -> list[YearWarning]:
    """The calendar's unknown years (this one, the next, any a deadline used)."""
    async with request.app[keys.READS]() as db:
        return await calendar_warnings(db, request.app[keys.CLOCK]())


async def _no_station(request: web.Request) -> bool:
    """True while the directory has no active station: 交办 then offers nobody (a fresh ``serve``)."""
    from sqlalchemy import select

    from callcenter.tickets.models import Unit

    async with request.app[keys.READS]() as db:
        found = await db.scalar(select(Unit.id).where(Unit.kind == "station", Unit.active.is_(True)).limit(1))
    return found is None


async def _unread(request: web.Request, user: Any) -> int:
    """The top bar's badge: unread notices in the user's inbox (callcenter.web.notices)."""
    from callcenter.web.notices.inbox import unread_count
    from callcenter.web.scope import case_scope

    async with request.app[keys.READS]() as db:
        return await unread_count(db, user, await case_scope(db, user), request.app[keys.CLOCK]())


async def _transcription_trouble(request: web.Request) -> dict[str, Any] | None:
    """For the administrator (the operator in the panel): draft cases still waiting whose voicemail
    could not be transcribed, and the latest stored reason, word for word (no Vosk model, a
    recording refused …). Clerks see a plain sentence on the draft instead (issue 13)."""
    from sqlalchemy import func, select

    from callcenter.tickets.models import Case
    from callcenter.transcribe.models import VoicemailDraft

    troubled = (select(VoicemailDraft.id, VoicemailDraft.reason, VoicemailDraft.updated_at)
                .join(Case, Case.id == VoicemailDraft.case_id)
                .where(Case.state == "draft", VoicemailDraft.status.in_(("unavailable", "failed"))))  # fmt: skip
    async with request.app[keys.READS]() as db:
        count = await db.scalar(select(func.count()).select_from(troubled.subquery()))
        if not count:
            return None
        latest = (await db.execute(troubled.order_by(VoicemailDraft.updated_at.desc(), VoicemailDraft.id.desc()).limit(1))).first()
    return {"count": int(count), "reason": (latest.reason if latest else None) or "—"}


async def base_context(request: web.Request) -> dict[str, Any]:
    lang = request.get(keys.LANG, i18n.DEFAULT)
    user = await current_user(request)
    active = _active(request.path)
    nav = [
        {"label": key, "url": url, "enabled": enabled, "active": enabled and url == active}
        for key, url, perm, enabled in NAV
        if user is not None and allowed(user.role, perm)
    ]
    audience = calendar_audience(user.role) if user is not None else None
    warnings = await _warnings(request) if audience is not None else []
    unread = await _unread(request, user) if user is not None else 0
    can_edit_directory = user is not None and allowed(user.role, Perm.ADMIN_EDIT)
    return {"request": request, "app": request.app, "lang": lang, "user": user, "nav": nav,
            "csrf_token": await csrf_token(request), "languages": i18n.LANGUAGES, "calendar_warnings": warnings,
            "calendar_audience": audience, "can_edit_calendar": audience == "alert",
            "directory_without_station": can_edit_directory and await _no_station(request),
            "inbox_unread": unread,
            "transcription_trouble": await _transcription_trouble(request) if can_edit_directory else None}  # fmt: skip


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
