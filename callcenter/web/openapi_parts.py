"""Building blocks of the hand-written OpenAPI document (:mod:`callcenter.web.openapi`)."""

from __future__ import annotations

from typing import Any

S: dict[str, Any] = {"type": "string"}
NS: dict[str, Any] = {"type": ["string", "null"]}
NN: dict[str, Any] = {"type": ["number", "null"]}
INT: dict[str, Any] = {"type": "integer"}
NINT: dict[str, Any] = {"type": ["integer", "null"]}
BOOL: dict[str, Any] = {"type": "boolean"}
TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
OBJ: dict[str, Any] = {"type": "object"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_of(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def obj(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


ERRORS = {
    "400": json_of(ref("Error"), "Invalid parameter"),
    "401": json_of(ref("Error"), "Not logged in"),
    "403": json_of(ref("Error"), "Wrong role, cross-origin request, or missing/wrong CSRF token"),
}
NOT_FOUND = {"404": json_of(ref("Error"), "No such record (or not yours to see)")}
UNSAFE = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": S,
           "description": "the session's CSRF token (the pages carry it in <meta name=csrf-token>)"}]  # fmt: skip


def q(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def path_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or INT}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def get(op: str, summary: str, response: dict[str, Any], params: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"get": {"operationId": op, "summary": summary, "parameters": params or [],
                    "responses": {"200": json_of(response), **ERRORS, **(extra or {})}}}  # fmt: skip


def unsafe(method: str, op: str, summary: str, response: dict[str, Any], params: list[dict[str, Any]] | None = None,
           request: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
           status: str = "200") -> dict[str, Any]:  # fmt: skip
    operation: dict[str, Any] = {"operationId": op, "summary": summary, "parameters": [*(params or []), *UNSAFE],
                                 "responses": {status: json_of(response), **ERRORS, **(extra or {})}}  # fmt: skip
    if request is not None:
        operation["requestBody"] = body(request)
    return {method: operation}
