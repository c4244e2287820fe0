"""The OpenAPI 3.1 description of ``/api/*``, served at ``/api/openapi.json``.

Written by hand from the handlers in ``api_calls``/``views_auth`` (cases and drafts:
``openapi_cases``; supervision and administration: ``openapi_admin``); a test checks that
every ``/api`` route of the app is described here and the document is valid.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.web.admin import openapi as openapi_admin
from callcenter.web.cases import openapi as openapi_cases
from callcenter.web.cases import openapi_edit
from callcenter.web.auth.session import requires
from callcenter.web.calls.ledger import DISPOSITIONS, MAX_LIMIT, MISSED
from callcenter.web.calls.notes import CATEGORIES
from callcenter.web.auth.roles import Perm

routes = web.RouteTableDef()

_S = {"type": "string"}
_NS = {"type": ["string", "null"]}
_NN = {"type": ["number", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}


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

PATHS: dict[str, Any] = {
    "/api/me": {"get": {"operationId": "me", "summary": "who is logged in, role and permissions",
                        "responses": {"200": _json(_ref("Me")), **_ERRORS}}},
    "/api/calls": {"get": {
        "operationId": "listCalls", "summary": "the phone ledger, newest first (keyset pages)",
        "parameters": [*_LIST_PARAMS, _q("disposition", {"type": "string", "enum": list(DISPOSITIONS)}, "outcome")],
        "responses": {"200": _json(_ref("CallPage")), **_ERRORS}}},
    "/api/calls/missed": {"get": {
        "operationId": "listMissed", "summary": "missed calls (abandoned, busy, voicemail) to call back",
        "parameters": [*_LIST_PARAMS, _q("disposition", {"type": "string", "enum": list(MISSED)}, "outcome"),
                       _q("pending", {"type": "string", "enum": ["1", "0"]}, "1 (default): not called back yet")],
        "responses": {"200": _json(_ref("CallPage")), **_ERRORS}}},
    "/api/calls/{call_id}": {"get": {
        "operationId": "getCall", "summary": "one call with its notes and their change history",
        "parameters": [_CALL_ID],
        "responses": {"200": _json(_ref("CallDetail")), **_ERRORS, "404": _json(_ref("Error"), "No such call")}}},
    "/api/calls/{call_id}/notes": {"patch": {
        "operationId": "updateNotes", "summary": "change the clerk's notes (audited; version must match)",
        "parameters": [_CALL_ID, *_UNSAFE],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NotesUpdate")}}},
        "responses": {"200": _json(_ref("CallDetail")), **_ERRORS, "404": _json(_ref("Error"), "No such call"),
                      "409": _json(_ref("Error"), "Changed by someone else since `version`")}}},
    "/api/calls/{call_id}/called-back": {"post": {
        "operationId": "markCalledBack", "summary": "record that you called the caller back (audited)",
        "parameters": [_CALL_ID, *_UNSAFE],
        "responses": {"200": _json(_ref("CallDetail")), **_ERRORS, "404": _json(_ref("Error"), "No such call")}}},
    "/api/caller": {"get": {
        "operationId": "caller", "summary": "what the ringing pop-up shows about a number",
        "parameters": [{**_q("number", _S, "caller number"), "required": True}],
        "responses": {"200": _json(_ref("Caller")), **_ERRORS}}},
    "/api/openapi.json": {"get": {"operationId": "openapi", "summary": "this document",
                                  "responses": {"200": _json({"type": "object"}), **_ERRORS}}},
}  # fmt: skip


def merged(*tables: dict[str, Any]) -> dict[str, Any]:
    """Path tables joined; a path in several of them gets all their operations."""
    out: dict[str, Any] = {}
    for table in tables:
        for path, operations in table.items():
            out[path] = {**out.get(path, {}), **operations}
    return out


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "callcenter panel API", "version": "1",
                 "description": "Hotline 6085708 call log. Session cookie login (POST /login); unsafe "
                 "methods need the X-CSRF-Token header and a same-origin Origin. Times are ISO 8601, "
                 "Asia/Shanghai. Roles and permissions: see GET /api/me."},
        "servers": [{"url": "/"}],
        "components": {"schemas": {**SCHEMAS, **openapi_cases.SCHEMAS, **openapi_admin.SCHEMAS,
                                   **openapi_edit.SCHEMAS}, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "callcenter_session"}}},
        "security": [{"session": []}],
        "paths": merged(PATHS, openapi_cases.PATHS, openapi_admin.PATHS, openapi_edit.PATHS),
    }  # fmt: skip


@routes.get("/api/openapi.json")
@requires(Perm.LOGGED_IN)
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())
