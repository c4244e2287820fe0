"""The OpenAPI 3.1 description of ``/api/*``, served at ``/api/openapi.json``.

Generated from each route's one typed declaration (:mod:`callcenter.web.endpoints`; every
feature's ``Endpoints`` table is in :data:`TABLES`); a test checks that every ``/api`` route of
the app is described and the document is valid.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pydantic import BaseModel, TypeAdapter

from callcenter.web.admin import api as admin_api
from callcenter.web.admin import directory as admin_directory
from callcenter.web.admin import extraction as admin_extraction
from callcenter.web.auth import pages as auth_pages
from callcenter.web.auth import password as auth_password
from callcenter.web.calls import api as calls_api
from callcenter.web.wallboard import api as wallboard_api
from callcenter.web.cases import api as cases_api
from callcenter.web.cases import edit as case_edit
from callcenter.web.cases import links as case_links
from callcenter.web.drafts import api as drafts_api
from callcenter.web.notices import api as notices_api
from callcenter.web.reports import api as reports_api
from callcenter.web.supervision import api as supervision_api
from callcenter.web.supervision import charts_api
from callcenter.web.endpoints import Declared, Endpoints, Error, Params
from callcenter.web.auth.roles import Perm

api = Endpoints()
routes = api.routes

_S = {"type": "string"}
REF = "#/components/schemas/{model}"
# Every feature's declared endpoints (the document is generated from them).
TABLES = (auth_pages.api, calls_api.api, auth_password.api, admin_api.api, admin_directory.api,
          admin_extraction.api, wallboard_api.api, notices_api.api, case_links.api, reports_api.api, charts_api.api,
          supervision_api.api, cases_api.api, case_edit.api, drafts_api.api)


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
    for code, model, when in d.errors:
        op["responses"][str(code)] = _json(_model_ref(model, schemas), when)
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


def document() -> dict[str, Any]:
    paths, schemas = generated([*TABLES, api])
    return {
        "openapi": "3.1.0",
        "info": {"title": "callcenter panel API", "version": "1",
                 "description": "Hotline 6085708 call log. Session cookie login (POST /login); unsafe "
                 "methods need the X-CSRF-Token header and a same-origin Origin. Times are ISO 8601, "
                 "Asia/Shanghai. Roles and permissions: see GET /api/me."},
        "servers": [{"url": "/"}],
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "callcenter_session"}}},
        "security": [{"session": []}],
        "paths": paths,
    }  # fmt: skip


@api.get("/api/openapi.json", Perm.LOGGED_IN)
async def openapi(request: web.Request) -> dict[str, Any]:
    """this document"""
    return document()
