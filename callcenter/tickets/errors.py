"""Typed errors of the case workflow; each carries ``permanent`` (retrying cannot help).

The panel translates them to HTTP in one middleware: permanent → 4xx (409 for an illegal
transition, 403 for a role, 404 for a missing case, 422 for missing input), transient
(:class:`Conflict`) → 409 "reload and try again".
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks a message for the catalog (a Babel keyword) and returns it unchanged: the panel
    shows it in the reader's language (``callcenter.web.i18n.error_text``)."""
    return text


class CaseError(Exception):
    """Base class. ``code`` is a stable machine-readable name; ``permanent`` the decision.

    ``message`` is English (the log, the API's ``message``). Marked with :func:`N_`, it is a
    catalog template whose ``%(name)s`` placeholders are filled from ``values``; the panel then
    shows it translated, with the values that name states, actions, kinds, roles or fields
    (by the placeholder's name, see ``error_text``) in words."""

    code = "case_error"
    permanent = True

    def __init__(self, message: str, *, case_id: int | None = None, **values: object) -> None:
        self.template, self.values = message, values
        plain = {k: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in values.items()}
        self.message = message % plain if values else message
        super().__init__(self.message)
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
