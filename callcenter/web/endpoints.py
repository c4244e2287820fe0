"""One typed declaration per JSON endpoint.

Each feature's ``api.py`` holds an :class:`Endpoints` table and declares every ``/api`` route
once, with pydantic v2 models for its path, query, body and response::

    api = Endpoints()

    @api.patch(r"/api/calls/{call_id:\\d+}/notes", Perm.CALLS_EDIT, path=CallPath, body=NotesIn,
               response=CallOut, summary="Save the clerk's notes")
    async def patch_notes(request, path: CallPath, body: NotesIn) -> dict: ...

From that one declaration come the validation (sizes, ranges, nesting depth, text without
control characters, strict JSON types), the 4xx error body (``bad_request`` naming the field;
nothing has been written when it is raised, because the handler has not run) and the OpenAPI
document (:mod:`callcenter.web.openapi`).

Why pydantic v2 rather than msgspec: its JSON Schema output is OpenAPI 3.1's dialect, its
errors carry the field's location, strict mode refuses ``12345`` for a string and ``20270101``
for a date, and its Rust JSON parser bounds nesting depth (a body nested 100,000 deep is an
ordinary ``json_invalid`` error, not a RecursionError). It was already installed (the OpenAPI
validator of the tests depends on it).
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import requires
from callcenter.web.errors import BadRequest, NotFound
from callcenter.web.present import json_response

MAX_BODY_BYTES = 256 * 1024  # the app's client_max_size too
MAX_ID = 2**63 - 1  # BIGINT: a larger id names no row
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # the calendar's range


# ------------------------------------------------------------------ value types

def _no_controls(value: str, *, multiline: bool) -> str:
    allowed = "\t\n\r" if multiline else ""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            raise ValueError("text must be valid Unicode (a lone surrogate was sent)")
        if category == "Cc" and ch not in allowed:
            raise ValueError(f"control character U+{ord(ch):04X} is not allowed")
    return value


def line(max_length: int = 200, *, min_length: int = 0) -> Any:
    """One line of text: no control characters at all, at most ``max_length`` characters."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(functools.partial(_no_controls, multiline=False))]  # fmt: skip


def text(max_length: int = 4000, *, min_length: int = 0) -> Any:
    """Free text: newlines and tabs allowed, no other control characters."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(functools.partial(_no_controls, multiline=True))]  # fmt: skip


def _day_in_range(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"date must be between {FIRST_DAY} and {LAST_DAY}")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[dt.date, AfterValidator(_day_in_range)]
Version = Annotated[int, Field(ge=0, le=MAX_ID)]


class Schema(BaseModel):
    """A JSON body or response: strict JSON types, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Params(BaseModel):
    """Path or query parameters: strings coerced to the declared types, unknown keys ignored
    (``lang``, cache busters)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ErrorItem(Schema):
    field: str
    message: str


class Error(Schema):
    """Every 4xx/5xx body of the API."""

    error: str = Field(description="stable machine-readable code")
    message: str
    field: str | None = None
    errors: list[ErrorItem] | None = None


# ------------------------------------------------------------------ declarations

@dataclass(frozen=True)
class Declared:
    method: str
    path: str  # aiohttp form, may carry {name:regex}
    perm: Perm | str
    summary: str
    path_model: type[Params] | None
    query: type[Params] | None
    body: type[BaseModel] | None
    response: Any
    status: int
    content_type: str
    handler_name: str
    errors: tuple[tuple[int, type[BaseModel], str], ...] = ()  # (status, body, when) beyond the common Error

    @property
    def openapi_path(self) -> str:
        """``/x/{day:\\d{4}-\\d{2}}`` → ``/x/{day}``, as aiohttp itself formats the route."""
        if "{" not in self.path:
            return self.path
        return str(web.DynamicResource(self.path).get_info()["formatter"])


Handler = Callable[..., Awaitable[Any]]


@dataclass
class Endpoints:
    """A route table whose routes carry their typed declaration."""

    routes: web.RouteTableDef = field(default_factory=web.RouteTableDef)
    declared: list[Declared] = field(default_factory=list)

    def get(self, url: str, perm: Perm | str, /, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", url, perm, **kw)

    def post(self, url: str, perm: Perm | str, /, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", url, perm, **kw)

    def patch(self, url: str, perm: Perm | str, /, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", url, perm, **kw)

    def put(self, url: str, perm: Perm | str, /, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", url, perm, **kw)

    def delete(self, url: str, perm: Perm | str, /, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", url, perm, **kw)

    def route(self, method: str, url: str, perm: Perm | str, /, *, path_params: type[Params] | None = None,
              query: type[Params] | None = None, body: type[BaseModel] | None = None, response: Any = None,
              status: int = 200, summary: str = "", content_type: str = "application/json",
              errors: dict[int, tuple[type[BaseModel], str]] | None = None,
              **aliases: Any) -> Callable[[Handler], Handler]:  # fmt: skip
        """``errors``: status → (body model, when): an error answer whose body says more than
        :class:`Error` (e.g. a 409 carrying the record as saved now)."""
        path_model = aliases.pop("path", path_params)
        if aliases:
            raise TypeError(f"unknown declaration keys: {sorted(aliases)}")

        def wrap(fn: Handler) -> Handler:
            @functools.wraps(fn)
            async def handler(request: web.Request) -> web.StreamResponse:
                kwargs: dict[str, Any] = {}
                if path_model is not None:
                    kwargs["path"] = parse_path(path_model, request)
                if query is not None:
                    kwargs["query"] = parse_query(query, request)
                if body is not None:
                    kwargs["body"] = await parse_body(body, request)
                result = await fn(request, **kwargs)
                return to_response(result, status)

            requires(perm)(handler)
            self.routes.route(method, url)(handler)
            self.declared.append(Declared(method, url, perm, summary or (fn.__doc__ or "").strip().split("\n")[0],
                                          path_model, query, body, response, status, content_type, fn.__name__,
                                          tuple((code, model, when) for code, (model, when) in (errors or {}).items())))  # fmt: skip
            return handler

        return wrap


# ------------------------------------------------------------------ parsing

def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


PLAIN = {"extra_forbidden": "unknown field", "missing": "required"}  # pydantic's wording where it is unclear


def invalid(exc: ValidationError, *, where: str) -> BadRequest:
    items = [{"field": _field_name(err["loc"]) if err["loc"] else where, "message": PLAIN.get(err["type"], err["msg"])}
             for err in exc.errors(include_url=False, include_context=False, include_input=False)]  # fmt: skip
    first = items[0]
    return BadRequest(f"{first['field']}: {first['message']}", field=first["field"], errors=items)


def parse_path(model: type[Params], request: web.Request) -> Any:
    try:
        return model.model_validate(dict(request.match_info))
    except ValidationError as exc:
        error = invalid(exc, where="path")
        # an id out of range names no record: not found, like any unknown id
        raise NotFound(error.message, **error.detail) from None


def record_id(request: web.Request, name: str, message: str) -> int:
    """A record id from the URL for page handlers: a number a row can have, else not found."""
    raw = request.match_info.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise NotFound(message, field=name)
    return int(raw)


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(get_origin(arg) is list for arg in get_args(annotation))


def parse_query(model: type[Params], request: web.Request) -> Any:
    raw: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in request.query:
            continue
        raw[key] = request.query.getall(key) if _is_list(info.annotation) else request.query[key]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise invalid(exc, where="query") from None


async def parse_body(model: type[BaseModel], request: web.Request) -> Any:
    raw = await request.read() if request.can_read_body else b""
    if not raw.strip():
        raw = b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid(exc, where="body") from None


def to_response(result: Any, status: int) -> web.StreamResponse:
    if isinstance(result, web.StreamResponse):
        return result
    if isinstance(result, BaseModel):
        return web.Response(body=result.model_dump_json(by_alias=True), status=status,
                            content_type="application/json")  # fmt: skip
    return json_response(result, status=status)
