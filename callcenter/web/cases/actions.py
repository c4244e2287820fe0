"""Workflow actions from the panel: which inputs each takes, reading them, doing them.

What may be done is the workflow's decision alone: the panel offers exactly
:func:`callcenter.tickets.workflow.allowed_actions` for the user's workflow role (see
:mod:`callcenter.web.scope`) and :func:`callcenter.tickets.cases.transition` checks again
(role, state, guards, required input) and raises a typed error the page or the API shows.
A station's or an office head's request is also held to its scope, and carries the case version
it saw, so the case cannot have moved out of it in between; an office head assigns only to the
stations of its own office.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets import workflow
from callcenter.tickets.cases import transition
from callcenter.tickets.controls import refusal
from callcenter.tickets.errors import N_, Conflict, InvalidInput
from callcenter.tickets.errors import Forbidden as CaseForbidden
from callcenter.tickets.models import Case
from callcenter.web.models import User
from callcenter.web.scope import case_scope, visible, workflow_role

REASON_CHARS = 2000
TEXT_CHARS = 256
# Actions only the timer does: never offered in the panel.
SYSTEM_ONLY = frozenset({"escalate"})


@dataclass(frozen=True)
class Input:
    name: str  # the form field / JSON key
    kind: str  # text | textarea | station | person | call
    required: bool = False


# The inputs of each action (besides ``version``). ``reason`` is what the case's history shows.
INPUTS: dict[str, tuple[Input, ...]] = {
    "accept": (),
    "sign_off": (Input("opinion", "textarea", True),),
    "assign": (Input("station_id", "station", True), Input("responsible_person_id", "person"),
               Input("reason", "text")),
    "reassign": (Input("station_id", "station", True), Input("responsible_person_id", "person"),
                 Input("reason", "text", True)),
    "handle": (Input("reason", "text"),),
    "feedback": (Input("reason", "textarea", True),),
    "report_upward": (Input("reason", "text"),),
    "resolve": (Input("reason", "text"),),
    "answer": (Input("reason", "textarea", True),),
    "callback_satisfied": (Input("reason", "text"),),
    "callback_unsatisfied": (Input("reason", "textarea", True),),
    "close": (),
    "suspend": (Input("approved_by", "text", True), Input("approval_ref", "text"), Input("reason", "textarea", True)),
    "resume": (Input("reason", "text", True),),
    "second_complaint": (Input("reason", "text"), Input("call_id", "call")),
    "chase": (Input("reason", "text"),),
    "escalate_manual": (Input("reason", "text", True),),
}  # fmt: skip
# Buttons that deserve a second look (they move a case backwards or out of the way).
CAUTION = frozenset({"callback_unsatisfied", "suspend", "second_complaint", "close", "escalate_manual"})


def offered(case: Case, user: User, overdue: bool = False) -> list[str]:
    """The actions to show this user on this case: the workflow's legal ones, nothing else.
    ``overdue``: a clock of the case is running past due (催办 and 手动逐级上报 are offered)."""
    role = workflow_role(user)
    if role is None:
        return []
    return [a for a in workflow.allowed_actions(case, role, overdue) if a not in SYSTEM_ONLY]


def running_late(deadlines: list[Any], now: dt.datetime) -> bool:
    """A clock is running past its due time."""
    return any(d.stopped_at is None and d.state == "open" and d.due_at < now for d in deadlines)


def _id(name: str, raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(N_("%(field)s: expected a number"), field=name) from None
    if value <= 0:
        raise InvalidInput(N_("%(field)s: expected a positive number"), field=name)
    return value


def _text(name: str, raw: Any, limit: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str | int | float):
        raise InvalidInput(N_("%(field)s: expected text"), field=name)
    value = str(raw).strip()
    if len(value) > limit:
        raise InvalidInput(N_("%(field)s: at most %(n)s characters"), field=name, n=limit)
    why = refusal(name, value, multiline=limit > TEXT_CHARS)
    if why:
        raise InvalidInput(why)
    return value


def read_input(action: str, source: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``(data, reason)`` for :func:`~callcenter.tickets.cases.transition` from a form or JSON body.

    Only the action's own inputs are read; the workflow checks what is required."""
    if action not in INPUTS:
        return {}, None  # the workflow refuses it (unknown, or the timer's own)
    data: dict[str, Any] = {}
    reason: str | None = None
    for spec in INPUTS[action]:
        raw = source.get(spec.name)
        if spec.kind in ("station", "person", "call"):
            value = _id(spec.name, raw)
            if value is not None:
                data[spec.name] = value
        elif spec.name == "reason":
            reason = _text("reason", raw, REASON_CHARS) or None
        else:
            text = _text(spec.name, raw, REASON_CHARS if spec.kind == "textarea" else TEXT_CHARS)
            if text:
                data[spec.name] = text
    return data, reason


def read_version(raw: Any) -> int | None:
    return _id("version", raw)


async def perform(
    sessions: async_sessionmaker[AsyncSession], case_id: int, action: str, *, user: User, now: dt.datetime,
    source: Mapping[str, Any],
) -> Case:  # fmt: skip
    """Do ``action`` on the case as ``user``; the updated case."""
    async with sessions() as session:  # closed before the transition's own transaction
        scope = await case_scope(session, user)
        case = visible(scope, await session.get(Case, case_id))
        seen = case.version
    role = workflow_role(user)
    if role is None:
        raise CaseForbidden(f"role {user.role} takes no part in the workflow")
    if action in SYSTEM_ONLY:
        raise CaseForbidden(f"{action} is done by the timer only")
    data, reason = read_input(action, source)
    if not scope.may_assign(data.get("station_id")):
        raise CaseForbidden(f"station_id: station {data['station_id']} is not under your office")
    version = read_version(source.get("version"))
    if scope.limited:  # act only on the version whose station was checked
        if version is not None and version != seen:
            raise Conflict(N_("case #%(case)s changed meanwhile; reload and try again"), case_id=case_id, case=case_id)
        version = seen
    return await transition(sessions, case_id, action, actor=user.username, role=role, now=now,
                            reason=reason, data=data, expected_version=version)  # fmt: skip
