"""Change my own password: the page ``/account/password`` and ``POST /api/me/password``.

The current password is required (a session left open on a shared desk is not enough), the
new one must pass the policy (:func:`~callcenter.web.auth.accounts.check_password`), and
every other session of the account ends: this browser gets a fresh session, the others
are revoked.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import Field

from callcenter.web import keys
from callcenter.web.auth.accounts import AccountError, HASHER, check_password, set_password, verify_password
from callcenter.web.auth.session import current_user, now, requires, start_session
from callcenter.web.auth.roles import Perm
from callcenter.web.endpoints import Endpoints, Schema, line
from callcenter.web.errors import BadRequest
from callcenter.web.i18n import N_, translator
from callcenter.web.models import User
from callcenter.web.render import render

routes = web.RouteTableDef()
api = Endpoints(routes=routes)


class PasswordIn(Schema):
    old_password: line(1024, min_length=1) = Field(description="the current password")
    new_password: line(1024, min_length=1) = Field(description="at least 12 characters, not easy to guess")


class PasswordOut(Schema):
    changed: bool
    other_sessions_ended: int


def _reason(lang: str, exc: AccountError) -> str:
    text = str(exc)
    for marker, key in (("at least", N_("The new password needs at least 12 characters.")),
                        ("at most", N_("The new password has at most 1024 characters.")),
                        ("username", N_("The new password must not contain the username."))):
        if marker in text:
            return translator(lang).gettext(key)
    return translator(lang).gettext("The new password is too easy to guess: choose a longer, uncommon one (e.g. several words and digits).")


async def change_own_password(request: web.Request, old: str, new: str) -> int:
    """Check and store; the number of other sessions ended. BadRequest (field named) if refused."""
    user = await current_user(request)
    assert user is not None
    lang, loop, pool = request[keys.LANG], asyncio.get_running_loop(), request.app[keys.HASHER]
    if not await loop.run_in_executor(pool, verify_password, user.password_hash, old):
        raise BadRequest(translator(lang).gettext("The current password is wrong."), field="old_password")
    if old == new:
        raise BadRequest(translator(lang).gettext("The new password must differ from the current one."), field="new_password")
    try:
        await loop.run_in_executor(pool, check_password, new, user.username)
    except AccountError as exc:
        raise BadRequest(_reason(lang, exc), field="new_password") from None
    new_hash = await loop.run_in_executor(pool, HASHER.hash, new)
    async with request.app[keys.SESSIONS]() as db, db.begin():
        stored = await db.get(User, user.id)
        assert stored is not None
        ended = await set_password(db, stored, new_hash, now(request))
    request.app[keys.LOGINS].clear()
    await start_session(request, stored)  # this browser stays logged in, with a new session
    return max(0, ended - 1)


@routes.get("/account/password", name="password")
@requires(Perm.LOGGED_IN)
async def password_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "password.html", {"error": "", "done": request.query.get("done") == "1"})


@routes.post("/account/password")
@requires(Perm.LOGGED_IN)
async def password_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    old, new = str(form.get("old_password", ""))[:1025], str(form.get("new_password", ""))[:1025]
    if new != str(form.get("new_password_again", ""))[:1025]:
        error = translator(request[keys.LANG]).gettext("The two new passwords differ.")
        return await render(request, "password.html", {"error": error, "done": False}, status=400)
    try:
        await change_own_password(request, old, new)
    except BadRequest as exc:
        return await render(request, "password.html", {"error": exc.message, "done": False}, status=400)
    raise web.HTTPFound("/account/password?done=1")


@api.post("/api/me/password", Perm.LOGGED_IN, body=PasswordIn, response=PasswordOut)
async def change_password(request: web.Request, body: PasswordIn) -> dict[str, Any]:
    """change your own password (the current one required); your other sessions end"""
    ended = await change_own_password(request, body.old_password, body.new_password)
    return {"changed": True, "other_sessions_ended": ended}
