"""Typed errors of the case workflow; each carries ``permanent`` (retrying cannot help).

The panel translates them to HTTP in one middleware: permanent → 4xx (409 for an illegal
transition, 403 for a role, 404 for a missing case, 422 for missing input), transient
(:class:`Conflict`) → 409 "reload and try again".
"""

from __future__ import annotations


class CaseError(Exception):
    """Base class. ``code`` is a stable machine-readable name; ``permanent`` the decision."""

    code = "case_error"
    permanent = True

    def __init__(self, message: str, *, case_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.case_id = case_id


class IllegalTransition(CaseError):
    """The action is not possible from the case's current state (or a guard refuses it)."""

    code = "illegal_transition"


class Forbidden(CaseError):
    """The role may not perform this action."""

    code = "forbidden"


class InvalidInput(CaseError):
    """The action lacks required input (e.g. a suspension without a recorded approval)."""

    code = "invalid_input"


class NotFound(CaseError):
    code = "not_found"


class CaseExists(CaseError):
    """The call already has the case opened from it (``case_id``); nothing new was created."""

    code = "case_exists"


class Conflict(CaseError):
    """Someone else changed the case meanwhile; reload and try again."""

    code = "conflict"
    permanent = False
