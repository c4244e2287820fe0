"""Who is asking: encrypted cookie sessions backed by a revocable server-side row.

The cookie (Fernet-encrypted by aiohttp-session) holds a random session id and the CSRF
token. The ``web_sessions`` row (keyed by the id's SHA-256) says whether that login is
still valid: logout, a password change or an administrator revoke it, and it expires
after ``session_idle_seconds`` without requests or ``session_max_seconds`` after login.

A login found valid is remembered for ``LoginCache.TTL`` seconds (:class:`LoginCache`), so a
clerk's burst of requests costs one lookup, not one each. This process forgets every
remembered login whenever a change goes through it (any unsafe request: logout, password,
account edits); another panel process honours a revocation within the TTL.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp_session
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from callcenter.web import keys
from callcenter.web.models import User, WebSession
from callcenter.web.auth.roles import Perm
from callcenter.web.settings import WebSettings

COOKIE = "callcenter_session"
LAST_SEEN_RESOLUTION = timedelta(seconds=60)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)
PUBLIC = "public"


def requires(perm: Perm | str) -> Callable[[H], H]:
    """Mark a handler with the permission it needs (``PUBLIC`` for none). Unmarked: refused."""

    def mark(handler: H) -> H:
        handler.permission = perm  # type: ignore[attr-defined]
        return handler

    return mark


def cookie_storage(settings: WebSettings) -> EncryptedCookieStorage:
    return EncryptedCookieStorage(
        Fernet(settings.session_key),
        cookie_name=COOKIE,
        max_age=settings.session_max_seconds,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="Lax",
    )


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def now(request: web.Request) -> datetime:
    return request.app[keys.CLOCK]()


async def csrf_token(request: web.Request) -> str:
    """The CSRF token of this browser's session (anonymous sessions get one for /login)."""
    session = await aiohttp_session.get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


async def current_user(request: web.Request) -> User | None:
    if keys.USER in request:
        return request[keys.USER]
    request[keys.USER] = None
    session = await aiohttp_session.get_session(request)
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    digest, cache = _digest(sid), request.app[keys.LOGINS]
    user = cache.get(digest, now(request))
    if user is None:
        user = await _lookup(request, digest)
        if user is None:
            return None
    request[keys.USER] = user
    return user


async def _lookup(request: web.Request, digest: str) -> User | None:
    """The user of a valid server-side session (stamping its last use), remembered a while."""
    settings, moment = request.app[keys.SETTINGS], now(request)
    idle_since = moment - timedelta(seconds=settings.session_idle_seconds)
    async with request.app[keys.READS]() as db, db.begin():  # a read; the rare last-seen write
        row = (
            await db.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(
                    WebSession.id_hash == digest, WebSession.revoked_at.is_(None),
                    WebSession.expires_at > moment, WebSession.last_seen_at > idle_since, User.active,
                )  # fmt: skip
            )
        ).first()
        if row is None:
            return None
        web_session, user = row
        if moment - web_session.last_seen_at > LAST_SEEN_RESOLUTION:
            web_session.last_seen_at = moment
        # Past this the row needs a fresh last-seen stamp (and the idle limit is further still).
        valid_until = min(web_session.expires_at, web_session.last_seen_at + LAST_SEEN_RESOLUTION)
    request.app[keys.LOGINS].put(digest, user, valid_until)
    return user


async def start_session(request: web.Request, user: User) -> None:
    """A fresh cookie session (new id and CSRF token: no fixation) and its server row."""
    settings, moment = request.app[keys.SETTINGS], now(request)
    sid = secrets.token_urlsafe(32)
    async with request.app[keys.SESSIONS]() as db, db.begin():
        db.add(
            WebSession(
                id_hash=_digest(sid), user_id=user.id, created_at=moment, last_seen_at=moment,
                expires_at=moment + timedelta(seconds=settings.session_max_seconds), revoked_at=None,
                remote=(request.remote or "")[:64], user_agent=request.headers.get("User-Agent", "")[:256],
            )  # fmt: skip
        )
    session = await aiohttp_session.new_session(request)
    session["sid"] = sid
    session["csrf"] = secrets.token_urlsafe(32)
    request[keys.USER] = user


async def end_session(request: web.Request) -> None:
    session = await aiohttp_session.get_session(request)
    sid = session.get("sid")
    if isinstance(sid, str):
        async with request.app[keys.SESSIONS]() as db, db.begin():
            await db.execute(
                update(WebSession)
                .where(WebSession.id_hash == _digest(sid), WebSession.revoked_at.is_(None))
                .values(revoked_at=now(request))
            )
    session.invalidate()
    request.app[keys.LOGINS].clear()
    request[keys.USER] = None


def user_json(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "station_code": user.station_code,
        "office_code": user.office_code,
        "extension": user.extension,
    }
