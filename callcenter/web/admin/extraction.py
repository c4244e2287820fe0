"""The voicemail extraction tables in the panel: the keyword table and the gazetteer, as TOML
text the administrator edits (the department head and the manager read), reset to the
packaged default, and a "try a sentence" box that runs the extraction with the tables in force
or with the text being edited. Storage, validation and versions: :mod:`callcenter.transcribe.table_store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from aiohttp import web

from callcenter.transcribe import table_store as store
from callcenter.transcribe.table_store import NAMES, StaleTable, Tables, TableText
from callcenter.transcribe.tables import Gazetteer, KeywordTable, TableError
from callcenter.web import keys
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest, Conflict, Unprocessable
from callcenter.web.present import iso
from callcenter.web.render import render
from callcenter.web.auth.roles import Perm, allowed
from callcenter.web.cases.pages import the_user
from callcenter.web.admin.schemas import TableIn, TablePath, TableReset, TryIn
from callcenter.web.endpoints import Endpoints

routes = web.RouteTableDef()
api = Endpoints(routes=routes)
TABLE = r"{name:keywords|gazetteer}"
SENTENCE_CHARS = 2000


def table_json(text: TableText, request: web.Request) -> dict[str, Any]:
    return {"name": text.name, "content": text.content, "version": text.version, "source": text.source,
            "updated_at": iso(text.updated_at, request.app[keys.CONFIG].tz), "updated_by": text.updated_by}  # fmt: skip


def version_of(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).strip().isdigit():
        raise BadRequest("version: the version of the table you edited (0: the packaged one)", field="version")
    return int(raw)


def sentence_of(raw: Any) -> str:
    text = str(raw or "").strip()
    if not text or len(text) > SENTENCE_CHARS:
        raise BadRequest(f"text: a sentence of 1 to {SENTENCE_CHARS} characters", field="text")
    return text


async def tables_in_force(request: web.Request) -> tuple[dict[str, TableText], Tables]:
    async with request.app[keys.READS]() as db:
        texts = {name: await store.read(db, name) for name in NAMES}
        tables = await store.load(db)
    return texts, tables


def with_edits(tables: Tables, edits: Mapping[str, str]) -> Tables:
    """``tables`` with the given tables replaced by edited texts (TableError if invalid)."""
    for name, content in edits.items():
        parsed = store.validate(name, content.replace("\r\n", "\n"))
        if isinstance(parsed, KeywordTable):
            tables = replace(tables, keywords=parsed)
        elif isinstance(parsed, Gazetteer):
            tables = replace(tables, gazetteer=parsed)
    return tables


def trial(tables: Tables, text: str) -> dict[str, Any]:
    """What the extraction reads from ``text`` and what its category pre-sets on a case."""
    fields = tables.extract(text)
    hint = tables.keywords.hint(fields["category"])
    return {"text": text, "extracted": fields, "case": asdict(hint)}


async def extraction_context(request: web.Request, edits: Mapping[str, Mapping[str, Any]] | None = None,
                             tried: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """The page: each table's editor (stored text, or the admin's text kept with its error)."""
    user = await the_user(request)
    texts, tables = await tables_in_force(request)
    editors = {name: {"text": text, "content": text.content, "version": text.version, "error": "", "current": None}
               for name, text in texts.items()}  # fmt: skip
    for name, edit in (edits or {}).items():
        editors[name].update(edit)
    return {"keywords": tables.keywords, "gazetteer": tables.gazetteer, "editors": editors, "names": NAMES,
            "can_edit": allowed(user.role, Perm.ADMIN_EDIT), "tried": tried, "done": request.query.get("done", "")}


async def _form(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


async def save_from(request: web.Request, name: str, content: Any, version: Any) -> TableText:
    """Save (the API and the form): 422 invalid, 409 outrun."""
    if not isinstance(content, str):
        raise BadRequest("content: the table as TOML text", field="content")
    user = await the_user(request)
    try:
        return await store.save(request.app[keys.SESSIONS], name, content, version_of(version),
                                actor=user.username, now=now(request))  # fmt: skip
    except TableError as exc:
        raise Unprocessable(str(exc), field="content") from None
    except StaleTable as exc:
        raise Conflict(f"{exc}; reload the table and apply your change again") from None


async def reset_from(request: web.Request, name: str, version: Any) -> TableText:
    user = await the_user(request)
    seen = None if version in (None, "") else version_of(version)
    try:
        return await store.reset(request.app[keys.SESSIONS], name, actor=user.username, now=now(request),
                                 version=seen)  # fmt: skip
    except StaleTable as exc:
        raise Conflict(str(exc)) from None


@routes.get("/admin/extraction", name="admin_extraction")
@requires(Perm.ADMIN_VIEW)
async def extraction_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "admin_extraction.html", await extraction_context(request))


@routes.post(f"/admin/extraction/{TABLE}", name="admin_extraction_save")
@requires(Perm.ADMIN_EDIT)
async def save_form(request: web.Request) -> web.StreamResponse:
    """Save from the page; an invalid or outrun text comes back in the editor with the reason."""
    name, form = request.match_info["name"], await _form(request)
    content = form.get("content", "")
    try:
        await save_from(request, name, content, form.get("version"))
    except (Unprocessable, Conflict, BadRequest) as exc:
        edit: dict[str, Any] = {"content": content, "version": form.get("version", ""), "error": exc.message}
        if isinstance(exc, Conflict):  # show what is in force now; saving again overwrites it knowingly
            async with request.app[keys.READS]() as db:
                current = await store.read(db, name)
            edit.update(version=current.version, current=current)
        return await render(request, "admin_extraction.html", await extraction_context(request, {name: edit}),
                            status=exc.status)  # fmt: skip
    raise web.HTTPFound(f"/admin/extraction?done=saved:{name}#table-{name}")


@routes.post(f"/admin/extraction/{TABLE}/reset", name="admin_extraction_reset")
@requires(Perm.ADMIN_EDIT)
async def reset_form(request: web.Request) -> web.StreamResponse:
    name, form = request.match_info["name"], await _form(request)
    try:
        await reset_from(request, name, form.get("version"))
    except Conflict as exc:
        context = await extraction_context(request, {name: {"error": exc.message}})
        return await render(request, "admin_extraction.html", context, status=409)
    raise web.HTTPFound(f"/admin/extraction?done=reset:{name}#table-{name}")


@routes.post("/admin/extraction/try", name="admin_extraction_try")
@requires(Perm.ADMIN_VIEW)
async def try_form(request: web.Request) -> web.StreamResponse:
    """Try a sentence with the tables in force, or with the text of one editor (``table``)."""
    form = await _form(request)
    name, content = form.get("table", ""), form.get("content")
    edits = {name: content} if name in NAMES and content is not None else {}
    kept = {n: {"content": c, "version": form.get("version", "")} for n, c in edits.items()}
    try:
        sentence = sentence_of(form.get("text"))
        _, tables = await tables_in_force(request)
        tried = {**trial(with_edits(tables, edits), sentence), "table": name if edits else ""}
    except (TableError, BadRequest) as exc:
        for edit in kept.values():
            edit["error"] = str(exc)
        context = await extraction_context(request, kept, {"text": form.get("text", ""), "error": str(exc)})
        return await render(request, "admin_extraction.html", context, status=422 if kept else 400)
    return await render(request, "admin_extraction.html", await extraction_context(request, kept, tried))


# -- the JSON API ----------------------------------------------------------------------------


@api.get(f"/api/admin/extraction/{TABLE}", Perm.ADMIN_VIEW, path=TablePath)
async def table_api(request: web.Request, path: TablePath) -> dict[str, Any]:
    """one extraction table's TOML text in force and its version"""
    async with request.app[keys.READS]() as db:
        text = await store.read(db, path.name)
    return table_json(text, request)


@api.put(f"/api/admin/extraction/{TABLE}", Perm.ADMIN_EDIT, path=TablePath, body=TableIn)
async def save_table_api(request: web.Request, path: TablePath, body: TableIn) -> dict[str, Any]:
    """save an edited table (422: not valid; 409: someone saved since your version)"""
    return table_json(await save_from(request, path.name, body.content, body.version), request)


@api.delete(f"/api/admin/extraction/{TABLE}", Perm.ADMIN_EDIT, path=TablePath, body=TableReset)
async def reset_table_api(request: web.Request, path: TablePath, body: TableReset) -> dict[str, Any]:
    """go back to the packaged table"""
    return table_json(await reset_from(request, path.name, body.version), request)


@api.post("/api/admin/extraction/try", Perm.ADMIN_VIEW, body=TryIn)
async def try_tables_api(request: web.Request, body: TryIn) -> dict[str, Any]:
    """what the extraction reads from a sentence, with edited table text instead of the tables in force"""
    edits = {name: getattr(body, name) for name in NAMES if getattr(body, name) is not None}
    sentence = sentence_of(body.text)
    _, tables = await tables_in_force(request)
    try:
        tried = trial(with_edits(tables, edits), sentence)
    except TableError as exc:
        raise Unprocessable(str(exc)) from None
    versions = dict(zip(NAMES, tables.versions, strict=True))
    tried["tables"] = {name: "edited text" if name in edits else f"version {versions[name]}" for name in NAMES}
    return tried
