"""Typed errors of the panel; ``middleware.errors`` turns them into HTTP (the only place)."""

from __future__ import annotations

from typing import Any


class WebError(Exception):
    """Base: ``status`` is the HTTP status, ``code`` a stable machine-readable name."""

    status = 500
    code = "internal"

    def __init__(self, message: str = "", **detail: Any) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.detail = detail


class NotAuthenticated(WebError):
    status, code = 401, "not_authenticated"


class Forbidden(WebError):
    status, code = 403, "forbidden"


class CsrfFailed(Forbidden):
    code = "csrf_failed"


class NotFound(WebError):
    status, code = 404, "not_found"


class BadRequest(WebError):
    status, code = 400, "bad_request"


class Unprocessable(WebError):
    """Well-formed but invalid content (e.g. an extraction table that does not validate)."""

    status, code = 422, "invalid_input"


class Conflict(WebError):
    """Someone else changed the record first (optimistic concurrency)."""

    status, code = 409, "conflict"


class Throttled(WebError):
    status, code = 429, "throttled"

    def __init__(self, message: str = "", *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
