"""Administration pages: accounts (the administrator edits, the department head and the
manager read), the directory of offices, stations and people and the deadline rules in force
(read-only: a file shipped with the service). The extraction tables: ``views_extraction.py``."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from callcenter.tickets.directory import list_people, list_units
from callcenter.tickets.directory_edit import PERSON_ROLES, UNIT_KINDS
from callcenter.tickets.rulefile import default_rules_path
from callcenter.web import keys
from callcenter.web.auth.accounts import AccountError, hash_password
from callcenter.web.models import User
from callcenter.web.admin.users import (
    create_account,
    list_accounts,
    new_user_fields,
    reset_password,
    set_active,
    set_office,
)
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest, NotFound
from callcenter.web.i18n import N_, translator
from callcenter.web.render import page, render
from callcenter.web.auth.roles import Perm, Role, allowed
from callcenter.web.cases.pages import the_user
from callcenter.web.endpoints import record_id

routes = web.RouteTableDef()


def user_id_of(request: web.Request) -> int:
    return record_id(request, "user_id", "no such user")


async def hashed(request: web.Request, password: str, username: str) -> str:
    """argon2 in the app's bounded executor (as at login), never on the event loop."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(request.app[keys.HASHER], hash_password, password, username)
    except AccountError as exc:
        raise BadRequest(str(exc), field="password") from None


@routes.get("/admin", name="admin")
@requires(Perm.ADMIN_VIEW)
async def admin_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/admin/users")


USER_DONE = ("added", "enabled", "disabled", "password", "office")  # ?done=<what>[:<username>]
DIRECTORY_DONE = ("unit", "person", "deleted")  # ?done=<what>[:<code, login or id>]
DONE_WORDS = {
    "added": N_("Account %(who)s added."), "enabled": N_("Account %(who)s enabled."),
    "disabled": N_("Account %(who)s disabled."),
    "password": N_("Password set; the account must log in again with it."),
    "office": N_("Account %(who)s linked to its heating management office."),
    "unit": N_("Unit saved: %(who)s."), "person": N_("Person saved: %(who)s."), "deleted": N_("Deleted."),
}  # fmt: skip


def done_text(request: web.Request, known: tuple[str, ...], name: Any = None) -> str:
    """The redirect's ``?done=what:who`` as a sentence (已添加账号 weak2); "" for anything else.
    ``name`` turns the code or id after the colon into what the page calls it."""
    what, _, who = request.query.get("done", "").partition(":")
    if what not in known:
        return ""
    shown = (name(who) if name else None) or who
    return translator(request[keys.LANG]).gettext(DONE_WORDS[what], who=shown)


def unit_name(unit: Any, lang: str) -> str:
    return unit.name_en if lang == "en" and unit.name_en else unit.name_zh


async def users_context(request: web.Request) -> dict[str, Any]:
    user = await the_user(request)
    lang = request[keys.LANG]
    async with request.app[keys.READS]() as db:
        accounts = await list_accounts(db)
        stations = await list_units(db, kind="station")
        offices = await list_units(db, kind="office")
    return {"accounts": accounts, "roles": [r.value for r in Role], "stations": stations, "me": user,
            "offices": offices, "office_names": {u.code: unit_name(u, lang) for u in offices},
            "station_names": {u.code: unit_name(u, lang) for u in stations},
            "can_edit": allowed(user.role, Perm.ADMIN_EDIT), "error": "", "form": {},
            "done": done_text(request, USER_DONE)}  # fmt: skip


@routes.get("/admin/users", name="admin_users")
@requires(Perm.ADMIN_VIEW)
@page("admin_users.html")
async def users_page(request: web.Request) -> dict[str, Any]:
    return await users_context(request)


async def _users_error(request: web.Request, message: str, form: dict[str, str]) -> web.StreamResponse:
    context = await users_context(request)
    context.update(error=message, form={k: v for k, v in form.items() if k != "password"})
    return await render(request, "admin_users.html", context, status=400)


async def add_account(request: web.Request, source: dict[str, Any]) -> Any:
    user = await the_user(request)
    fields = new_user_fields(source)
    password_hash = await hashed(request, source.get("password") or "", fields["username"])
    async with request.app[keys.SESSIONS]() as db, db.begin():
        added = await create_account(db, fields, password_hash, actor=user.username, now=now(request))
    request.app[keys.NAMES].invalidate()
    return added


@routes.post("/admin/users", name="admin_users_add")
@requires(Perm.ADMIN_EDIT)
async def add_user_form(request: web.Request) -> web.StreamResponse:
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    try:
        added = await add_account(request, form)
    except (AccountError, BadRequest) as exc:
        return await _users_error(request, str(exc), form)
    raise web.HTTPFound(f"/admin/users?done=added:{added.username}")


async def change_active(request: web.Request, active: bool) -> Any:
    actor = await the_user(request)
    try:
        async with request.app[keys.SESSIONS]() as db, db.begin():
            changed = await set_active(db, user_id_of(request), active, actor=actor, now=now(request))
        request.app[keys.NAMES].invalidate()
        return changed
    except LookupError:
        raise NotFound("no such user") from None
    except AccountError as exc:
        raise BadRequest(str(exc), field="active") from None


@routes.post(r"/admin/users/{user_id:\d+}/active", name="admin_users_active")
@requires(Perm.ADMIN_EDIT)
async def active_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        changed = await change_active(request, str(form.get("active", "")) == "1")
    except BadRequest as exc:
        return await _users_error(request, exc.message, {})
    raise web.HTTPFound(f"/admin/users?done={'enabled' if changed.active else 'disabled'}:{changed.username}")


async def change_password(request: web.Request, password: str) -> int:
    actor = await the_user(request)
    async with request.app[keys.READS]() as db:
        target = await db.get(User, user_id_of(request))
    if target is None:
        raise NotFound("no such user")
    password_hash = await hashed(request, password, target.username)
    try:
        async with request.app[keys.SESSIONS]() as db, db.begin():
            return await reset_password(db, user_id_of(request), password_hash, actor=actor.username, now=now(request))
    except LookupError:
        raise NotFound("no such user") from None


@routes.post(r"/admin/users/{user_id:\d+}/password", name="admin_users_password")
@requires(Perm.ADMIN_EDIT)
async def password_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        await change_password(request, str(form.get("password", "")))
    except BadRequest as exc:
        return await _users_error(request, exc.message, {})
    raise web.HTTPFound("/admin/users?done=password")


async def change_office(request: web.Request, office_code: str | None) -> Any:
    actor = await the_user(request)
    try:
        async with request.app[keys.SESSIONS]() as db, db.begin():
            return await set_office(db, user_id_of(request), office_code, actor=actor.username, now=now(request))
    except LookupError:
        raise NotFound("no such user") from None
    except AccountError as exc:
        raise BadRequest(str(exc), field="office_code") from None


@routes.post(r"/admin/users/{user_id:\d+}/office", name="admin_users_office")
@requires(Perm.ADMIN_EDIT)
async def office_form(request: web.Request) -> web.StreamResponse:
    """Link an office-head account to its heating management office."""
    form = await request.post()
    try:
        changed = await change_office(request, str(form.get("office_code", "")))
    except BadRequest as exc:
        return await _users_error(request, exc.message, {})
    raise web.HTTPFound(f"/admin/users?done=office:{changed.username}")


async def directory_data(request: web.Request) -> dict[str, Any]:
    """The directory (retired units and people too) and what its edit forms need."""
    user = await the_user(request)
    async with request.app[keys.READS]() as db:
        units = await list_units(db)
        people = await list_people(db, inactive=True)
    children: dict[int | None, list[Any]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    lang = request[keys.LANG]
    names = {**{u.code: unit_name(u, lang) for u in units}, **{str(u.id): unit_name(u, lang) for u in units},
             **{p.login: p.name for p in people}, **{str(p.id): p.name for p in people}}  # fmt: skip
    return {"units": units, "people": people, "children": children, "unit_by_id": {u.id: u for u in units},
            "offices": [u for u in units if u.kind == "office" and u.active], "unit_kinds": UNIT_KINDS,
            "person_roles": PERSON_ROLES, "can_edit": allowed(user.role, Perm.ADMIN_EDIT), "error": "", "form": {},
            "done": done_text(request, DIRECTORY_DONE, names.get)}  # fmt: skip


@routes.get("/admin/directory", name="admin_directory")
@requires(Perm.ADMIN_VIEW)
@page("admin_directory.html")
async def directory_page(request: web.Request) -> dict[str, Any]:
    return await directory_data(request)


@routes.get("/admin/rules", name="admin_rules")
@requires(Perm.ADMIN_VIEW)
@page("admin_rules.html")
async def rules_page(request: web.Request) -> dict[str, Any]:
    path = default_rules_path()
    raw = await asyncio.to_thread(path.read_text, "utf-8")
    return {"book": request.app[keys.RULES], "path": str(path), "raw": raw}

