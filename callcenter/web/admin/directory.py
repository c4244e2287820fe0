"""Editing the directory from the panel (the administrator): units and people, page forms and API.

The rules are :mod:`callcenter.tickets.directory_edit`'s; here a refusal becomes HTTP (400 bad
input, 409 duplicate or still referred to, 404 no such record) or the directory page again with
the reason and the input kept. Accounts are the panel's: a unit an account is linked to (a
station account's station, an office head's office) counts as referred to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.tickets import directory_edit as edit
from callcenter.tickets.models import Person, Unit
from callcenter.web import keys
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest, Conflict, NotFound, WebError
from callcenter.web.models import User
from callcenter.web.render import render
from callcenter.web.auth.roles import Perm
from callcenter.web.admin.pages import directory_data
from callcenter.web.cases.pages import the_user
from callcenter.web.endpoints import Endpoints, record_id
from callcenter.web.admin.schemas import Deleted, PersonIn, PersonPath, UnitIn, UnitPath, present

routes = web.RouteTableDef()
api = Endpoints(routes=routes)
T = TypeVar("T")
Op = Callable[[AsyncSession, str, dt.datetime], Awaitable[T]]
ERRORS: dict[str, type[WebError]] = {"invalid": BadRequest, "duplicate": Conflict, "in_use": Conflict,
                                     "not_found": NotFound}  # fmt: skip


def unit_json(u: Unit) -> dict[str, Any]:
    return {"id": u.id, "code": u.code, "kind": u.kind, "name_zh": u.name_zh, "name_en": u.name_en,
            "parent_id": u.parent_id, "phone": u.phone, "active": u.active}  # fmt: skip


def person_json(p: Person) -> dict[str, Any]:
    return {"id": p.id, "login": p.login, "name": p.name, "role": p.role, "unit_id": p.unit_id, "phone": p.phone,
            "active": p.active}  # fmt: skip


def _id_of(request: web.Request, key: str) -> int:
    return record_id(request, key, "no such record")


async def run(request: web.Request, op: Op[T]) -> T:
    """One directory change in its own transaction; the names the pages show are read afresh."""
    user = await the_user(request)
    try:
        async with request.app[keys.SESSIONS]() as db, db.begin():
            result = await op(db, user.username, now(request))
    except edit.DirectoryError as exc:
        raise ERRORS[exc.kind](exc.message) from None
    request.app[keys.NAMES].invalidate()
    return result


async def accounts_linked(db: AsyncSession, unit_id: int) -> int:
    code = await db.scalar(select(Unit.code).where(Unit.id == unit_id))
    if code is None:
        return 0
    found = await db.scalar(select(func.count()).select_from(User)
                            .where(or_(User.station_code == code, User.office_code == code)))  # fmt: skip
    return int(found or 0)


def add_unit(fields: Mapping[str, Any]) -> Op[Unit]:
    return lambda db, actor, at: edit.add_unit(db, fields, actor=actor, now=at)


def update_unit(unit_id: int, fields: Mapping[str, Any]) -> Op[Unit]:
    return lambda db, actor, at: edit.update_unit(db, unit_id, fields, actor=actor, now=at)


def delete_unit(unit_id: int) -> Op[None]:
    async def op(db: AsyncSession, actor: str, at: dt.datetime) -> None:
        await edit.delete_unit(db, unit_id, actor=actor, now=at, accounts=await accounts_linked(db, unit_id))

    return op


def add_person(fields: Mapping[str, Any]) -> Op[Person]:
    return lambda db, actor, at: edit.add_person(db, fields, actor=actor, now=at)


def update_person(person_id: int, fields: Mapping[str, Any]) -> Op[Person]:
    return lambda db, actor, at: edit.update_person(db, person_id, fields, actor=actor, now=at)


def delete_person(person_id: int) -> Op[None]:
    return lambda db, actor, at: edit.delete_person(db, person_id, actor=actor, now=at)


# --- the page's forms ---------------------------------------------------------------------------


async def _form(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str) and k != "csrf_token"}


async def _page_op(request: web.Request, op: Op[Any], form: dict[str, str], done: str) -> web.StreamResponse:
    try:
        await run(request, op)
    except WebError as exc:
        if isinstance(exc, NotFound):
            raise
        context = {**await directory_data(request), "error": exc.message, "form": form}
        return await render(request, "admin_directory.html", context, status=exc.status)
    raise web.HTTPFound(f"/admin/directory?done={done}")


@routes.post("/admin/directory/units", name="directory_unit_add")
@requires(Perm.ADMIN_EDIT)
async def unit_add_form(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    return await _page_op(request, add_unit(form), {**form, "form": "unit"}, f"unit:{form.get('code', '')}")


@routes.post(r"/admin/directory/units/{unit_id:\d+}", name="directory_unit_edit")
@requires(Perm.ADMIN_EDIT)
async def unit_edit_form(request: web.Request) -> web.StreamResponse:
    unit_id, form = _id_of(request, "unit_id"), await _form(request)
    return await _page_op(request, update_unit(unit_id, form), form, f"unit:{unit_id}")


@routes.post(r"/admin/directory/units/{unit_id:\d+}/active", name="directory_unit_active")
@requires(Perm.ADMIN_EDIT)
async def unit_active_form(request: web.Request) -> web.StreamResponse:
    unit_id, form = _id_of(request, "unit_id"), await _form(request)
    return await _page_op(request, update_unit(unit_id, {"active": form.get("active", "")}), {}, f"unit:{unit_id}")


@routes.post(r"/admin/directory/units/{unit_id:\d+}/delete", name="directory_unit_delete")
@requires(Perm.ADMIN_EDIT)
async def unit_delete_form(request: web.Request) -> web.StreamResponse:
    unit_id = _id_of(request, "unit_id")
    return await _page_op(request, delete_unit(unit_id), {}, "deleted")


@routes.post("/admin/directory/people", name="directory_person_add")
@requires(Perm.ADMIN_EDIT)
async def person_add_form(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    return await _page_op(request, add_person(form), {**form, "form": "person"}, f"person:{form.get('login', '')}")


@routes.post(r"/admin/directory/people/{person_id:\d+}", name="directory_person_edit")
@requires(Perm.ADMIN_EDIT)
async def person_edit_form(request: web.Request) -> web.StreamResponse:
    person_id, form = _id_of(request, "person_id"), await _form(request)
    return await _page_op(request, update_person(person_id, form), form, f"person:{person_id}")


@routes.post(r"/admin/directory/people/{person_id:\d+}/active", name="directory_person_active")
@requires(Perm.ADMIN_EDIT)
async def person_active_form(request: web.Request) -> web.StreamResponse:
    person_id, form = _id_of(request, "person_id"), await _form(request)
    op = update_person(person_id, {"active": form.get("active", "")})
    return await _page_op(request, op, {}, f"person:{person_id}")


@routes.post(r"/admin/directory/people/{person_id:\d+}/delete", name="directory_person_delete")
@requires(Perm.ADMIN_EDIT)
async def person_delete_form(request: web.Request) -> web.StreamResponse:
    return await _page_op(request, delete_person(_id_of(request, "person_id")), {}, "deleted")


# --- the API ------------------------------------------------------------------------------------


@api.post("/api/directory/units", Perm.ADMIN_EDIT, body=UnitIn, status=201)
async def add_unit_api(request: web.Request, body: UnitIn) -> dict[str, Any]:
    """add a unit (station, office, ...)"""
    return unit_json(await run(request, add_unit(present(body))))


@api.patch(r"/api/directory/units/{unit_id:\d+}", Perm.ADMIN_EDIT, path=UnitPath, body=UnitIn)
async def edit_unit_api(request: web.Request, path: UnitPath, body: UnitIn) -> dict[str, Any]:
    """change a unit's fields (only those sent)"""
    return unit_json(await run(request, update_unit(path.unit_id, present(body))))


@api.delete(r"/api/directory/units/{unit_id:\d+}", Perm.ADMIN_EDIT, path=UnitPath, response=Deleted)
async def delete_unit_api(request: web.Request, path: UnitPath) -> dict[str, Any]:
    """delete a unit nothing refers to (else deactivate it)"""
    await run(request, delete_unit(path.unit_id))
    return {"deleted": True}


@api.post("/api/directory/people", Perm.ADMIN_EDIT, body=PersonIn, status=201)
async def add_person_api(request: web.Request, body: PersonIn) -> dict[str, Any]:
    """add a person cases can be assigned to"""
    return person_json(await run(request, add_person(present(body))))


@api.patch(r"/api/directory/people/{person_id:\d+}", Perm.ADMIN_EDIT, path=PersonPath, body=PersonIn)
async def edit_person_api(request: web.Request, path: PersonPath, body: PersonIn) -> dict[str, Any]:
    """change a person's fields (only those sent)"""
    return person_json(await run(request, update_person(path.person_id, present(body))))


@api.delete(r"/api/directory/people/{person_id:\d+}", Perm.ADMIN_EDIT, path=PersonPath, response=Deleted)
async def delete_person_api(request: web.Request, path: PersonPath) -> dict[str, Any]:
    """delete a person nothing refers to (else deactivate them)"""
    await run(request, delete_person(path.person_id))
    return {"deleted": True}
