"""The OpenAPI 3.1 description of ``/api/*``, served at ``/api/openapi.json``.

Generated from each route's one typed declaration (:mod:`callcenter.web.endpoints`; every
feature's ``Endpoints`` table is in :data:`TABLES`); a test checks that every ``/api`` route of
the app is described and the document is valid.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.web.admin import openapi as openapi_admin
from callcenter.web.cases import openapi as openapi_cases
from callcenter.web.cases import openapi_edit
from pydantic import BaseModel, TypeAdapter

from callcenter.web.admin import api as admin_api
from callcenter.web.admin import directory as admin_directory
from callcenter.web.admin import extraction as admin_extraction
from callcenter.web.auth import pages as auth_pages
from callcenter.web.auth import password as auth_password
from callcenter.web.calls import api as calls_api
from callcenter.web.wallboard import api as wallboard_api
from callcenter.web.cases import links as case_links
from callcenter.web.notices import api as notices_api
from callcenter.web.reports import api as reports_api
from callcenter.web.supervision import charts_api
from callcenter.web.endpoints import Declared, Endpoints, Error, Params
from callcenter.web.calls.ledger import DISPOSITIONS, MAX_LIMIT
from callcenter.web.calls.notes import CATEGORIES
from callcenter.web.auth.roles import Perm

api = Endpoints()
routes = api.routes

_S = {"type": "string"}
_NS = {"type": ["string", "null"]}
_NN = {"type": ["number", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}


REF = "#/components/schemas/{model}"
# Every feature's declared endpoints (the document is generated from them).
TABLES = (auth_pages.api, calls_api.api, auth_password.api, admin_api.api, admin_directory.api,
          admin_extraction.api, wallboard_api.api, notices_api.api, case_links.api, reports_api.api, charts_api.api)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "Invalid parameter"),
    "401": _json(_ref("Error"), "Not logged in"),
    "403": _json(_ref("Error"), "Wrong role, cross-origin request, or missing/wrong CSRF token"),
}
_UNSAFE = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": _S,
            "description": "the session's CSRF token (the pages carry it in <meta name=csrf-token>)"}]  # fmt: skip
_CALL_ID = {"name": "call_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _q(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_LIST_PARAMS = [
    _q("from", {"type": "string", "format": "date"}, "first day (Asia/Shanghai), inclusive"),
    _q("to", {"type": "string", "format": "date"}, "last day (Asia/Shanghai), inclusive"),
    _q("number", _S, "caller number, exact"),
    _q("clerk", _S, "extension that answered"),
    _q("voicemail", {"type": "string", "enum": ["1", "0"]}, "1: only calls with a voicemail"),
    _q("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size (default 50)"),
    _q("cursor", _S, "next_cursor of the previous page"),
]

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": _S, "message": _S}},
    "Notes": {"type": "object", "properties": {
        "caller_name": _S, "address": _S, "summary": _S, "category": {"type": "string", "enum": ["", *CATEGORIES]},
        "version": {"type": "integer"}, "called_back_at": _TIME, "called_back_by": _NS,
        "updated_at": _TIME, "updated_by": _NS}},
    "Voicemail": {"type": ["object", "null"], "properties": {
        "mailbox": _NS, "duration_seconds": _NN, "audio_url": _S}},
    "Call": {"type": "object", "required": ["id", "linkedid", "caller_number", "started_at", "notes"], "properties": {
        "id": {"type": "integer"}, "linkedid": _S, "caller_number": _S, "caller_name": _S, "dialed_number": _S,
        "started_at": _TIME, "answered_at": _TIME, "ended_at": _TIME,
        "ring_seconds": _NN, "talk_seconds": _NN, "duration_seconds": _NN,
        "disposition": {"type": ["string", "null"], "enum": [*DISPOSITIONS, None]},
        "abandon_stage": _NS, "answered_by": _NS, "answered_by_name": _NS,
        "transferred_to": {"type": "array", "items": _S}, "voicemail": _ref("Voicemail"),
        "source": _S, "status": _S, "incomplete": {"type": "boolean"}, "notes": _ref("Notes")}},
    "Change": {"type": "object", "properties": {
        "at": _TIME, "actor": _S, "field": _S, "before": _NS, "after": _NS, "reason": _NS}},
    "CallDetail": {"allOf": [_ref("Call"), {"type": "object", "properties": {
        "history": {"type": "array", "items": _ref("Change")}}}]},
    "CallPage": {"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": _ref("Call")}, "next_cursor": _NS}},
    "NotesUpdate": {"type": "object", "required": ["version"], "properties": {
        "version": {"type": "integer", "minimum": 0, "description": "the notes' version you edited (0: none yet)"},
        "caller_name": _S, "address": _S, "summary": _S, "category": {"type": "string", "enum": ["", *CATEGORIES]}}},
    "Caller": {"type": "object", "properties": {
        "number": _S, "known_names": {"type": "array", "items": _S},
        "previous_calls": {"type": "array", "items": _ref("Call")},
        "open_cases": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": _S, "state": _S, "url": _S, "created_at": _TIME, "accepted_at": _TIME,
            "problem": _S, "station": _NS, "second_complaint_risk": {"type": "boolean"}}}},
        "second_complaint": {"type": "boolean", "description": "an open case makes a new complaint a 二次投诉"},
        "cases_available": {"type": "boolean"}}},
    "Me": {"type": "object", "properties": {
        "username": _S, "display_name": _S, "role": _S, "station_code": _NS, "office_code": _NS, "extension": _NS,
        "permissions": {"type": "array", "items": _S}}},
}  # fmt: skip

PATHS: dict[str, Any] = {}  # every path is generated from its declaration


def _params(model: type[Params] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [{"name": name, "in": where, "required": where == "path" or name in required, "schema": prop,
             **({"description": prop["description"]} if "description" in prop else {})}
            for name, prop in schema.get("properties", {}).items()]  # fmt: skip


def _operation(d: Declared, schemas: dict[str, Any]) -> dict[str, Any]:
    unsafe = d.method not in ("GET", "HEAD")
    op: dict[str, Any] = {"operationId": d.handler_name, "summary": d.summary or d.handler_name,
                          "parameters": [*_params(d.path_model, "path"), *_params(d.query, "query"),
                                         *(_UNSAFE if unsafe else [])],
                          "responses": {**_ERRORS}}  # fmt: skip
    if d.path_model is not None:
        op["responses"]["404"] = _json(_ref("Error"), "No such record")
    if d.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _model_ref(d.body, schemas)}}}
        op["responses"]["400"] = _json(_ref("Error"), "Invalid body: the error names the field")
    if unsafe:
        op["responses"]["409"] = _json(_ref("Error"), "Changed by someone else, or not allowed in this state")
    if d.content_type != "application/json":
        op["responses"][str(d.status)] = {"description": "OK", "content": {d.content_type: {}}}
    elif d.response is None:
        op["responses"][str(d.status)] = _json({"type": "object"})
    else:
        op["responses"][str(d.status)] = _json(_model_ref(d.response, schemas))
    return op


def _model_ref(model: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """A model's schema into the components (with its $defs), and a reference to it."""
    adapter = TypeAdapter(model)
    schema = adapter.json_schema(ref_template=REF, mode="serialization")
    for name, sub in schema.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    if isinstance(model, type) and issubclass(model, BaseModel):
        schemas.setdefault(model.__name__, schema)
        return _ref(model.__name__)
    return schema


def generated(tables: list[Endpoints]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Paths and component schemas of every declared endpoint."""
    schemas: dict[str, Any] = {}
    _model_ref(Error, schemas)
    paths: dict[str, Any] = {}
    for table in tables:
        for d in table.declared:
            paths.setdefault(d.openapi_path, {})[d.method.lower()] = _operation(d, schemas)
    return paths, schemas


def merged(*tables: dict[str, Any]) -> dict[str, Any]:
    """Path tables joined; a path in several of them gets all their operations."""
    out: dict[str, Any] = {}
    for table in tables:
        for path, operations in table.items():
            out[path] = {**out.get(path, {}), **operations}
    return out


def document() -> dict[str, Any]:
    paths, schemas = generated([*TABLES, api])
    return {
        "openapi": "3.1.0",
        "info": {"title": "callcenter panel API", "version": "1",
                 "description": "Hotline 6085708 call log. Session cookie login (POST /login); unsafe "
                 "methods need the X-CSRF-Token header and a same-origin Origin. Times are ISO 8601, "
                 "Asia/Shanghai. Roles and permissions: see GET /api/me."},
        "servers": [{"url": "/"}],
        "components": {"schemas": {**SCHEMAS, **openapi_cases.SCHEMAS, **openapi_admin.SCHEMAS,
                                   **openapi_edit.SCHEMAS, **schemas}, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "callcenter_session"}}},
        "security": [{"session": []}],
        "paths": merged(PATHS, openapi_cases.PATHS, openapi_admin.PATHS, openapi_edit.PATHS, paths),
    }  # fmt: skip


@api.get("/api/openapi.json", Perm.LOGGED_IN)
async def openapi(request: web.Request) -> dict[str, Any]:
    """this document"""
    return document()
