"""Browsers an account has logged in from ("device cookies", as OWASP's guidance on account
lockout describes them).

After a successful login the browser gets a long-lived cookie naming the accounts that
logged in from it (Fernet-encrypted with the session key, so it cannot be forged or read).
When an account is locked because someone keeps guessing its password from elsewhere
(:mod:`callcenter.web.auth.throttle`), a browser holding such a cookie for it may still log
in with the right password: the stranger locks out only strangers, never the clerk at their
usual desk.
"""

from __future__ import annotations

import json

from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken

from callcenter.web import keys

COOKIE = "callcenter_device"
MAX_AGE = 180 * 24 * 3600
MAX_ACCOUNTS = 8  # shared desks: the last few accounts


def _fernet(request: web.Request) -> Fernet:
    return Fernet(request.app[keys.SETTINGS].session_key)


def known_accounts(request: web.Request) -> list[str]:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return []
    try:
        names = json.loads(_fernet(request).decrypt(token.encode("ascii"), ttl=MAX_AGE))
    except (InvalidToken, ValueError, UnicodeEncodeError):
        return []
    return [str(n) for n in names][:MAX_ACCOUNTS] if isinstance(names, list) else []


def is_known(request: web.Request, username: str) -> bool:
    return username.strip().lower() in known_accounts(request)


def remember(request: web.Request, response: web.StreamResponse, username: str) -> None:
    names = [username] + [n for n in known_accounts(request) if n != username]
    token = _fernet(request).encrypt(json.dumps(names[:MAX_ACCOUNTS]).encode()).decode("ascii")
    response.set_cookie(COOKIE, token, max_age=MAX_AGE, httponly=True, samesite="Lax", path="/",
                        secure=request.app[keys.SETTINGS].cookie_secure)  # fmt: skip
