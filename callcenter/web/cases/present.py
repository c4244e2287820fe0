"""How cases look to the outside: JSON for the API, names for the pages, the correction form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.tickets.corrections import CLASSIFYING, EDIT_ROLES, READ_ONLY, TEXT
from callcenter.tickets.models import Case, CaseDeadline, Person, Unit
from callcenter.tickets.notices import address_of
from callcenter.tickets.workflow import ACTIONS, KINDS, SEVERITIES
from callcenter.web.cases.actions import INPUTS
from callcenter.web.cases.query import CaseRow, Clock, second_complaint_risk
from callcenter.web.cases.timeline import Entry
from callcenter.web.models import User
from callcenter.web.present import iso
from callcenter.web.auth.roles import Perm, allowed
from callcenter.web.scope import workflow_role

BASE_FIELDS = (*TEXT, *CLASSIFYING)  # the correction form says what it showed (cases/edit.py merge)

FIELDS = ("kind", "source", "state", "version", "category", "region", "severity", "urgent", "difficult",
          "caller_name", "caller_phone", "compound", "building", "unit_no", "room", "problem", "damage",
          "first_responder", "created_by", "reopen_count", "second_complaints", "escalation_level",
          "callback_result", "manager_opinion", "manager_signed_by", "suspended_from",
          "suspension_approved_by", "suspension_ref")  # fmt: skip
TIMES = ("received_at", "created_at", "updated_at", "accepted_at", "handled_at", "reported_upward_at",
         "resolved_at", "callback_at", "closed_at", "manager_signed_at", "property_limit_at")  # fmt: skip


def address(case: Any) -> str:
    return address_of(case.compound, case.building, case.unit_no, case.room)


def clock_json(clock: Clock, tz: ZoneInfo) -> dict[str, Any]:
    return {"rule_id": clock.rule_id, "due_at": iso(clock.due_at, tz), "state": clock.state, "overdue": clock.overdue}


def case_json(case: Case, tz: ZoneInfo, units: Mapping[int, Unit], people: Mapping[int, Person],
              row: CaseRow | None = None) -> dict[str, Any]:  # fmt: skip
    data: dict[str, Any] = {"id": case.id, **{k: getattr(case, k) for k in FIELDS}}
    data.update({k: iso(getattr(case, k), tz) for k in TIMES})
    station = units.get(case.station_id or 0)
    person = people.get(case.responsible_person_id or 0)
    head = people.get(case.office_head_id or 0)
    data["address"] = address(case)
    data["station"] = {"id": station.id, "code": station.code, "name": station.name_zh} if station else None
    data["responsible_person"] = {"id": person.id, "name": person.name} if person else None
    data["office_head"] = {"id": head.id, "name": head.name} if head else None
    data["second_complaint_risk"] = second_complaint_risk(case)
    if row is not None:
        data["next_due"] = clock_json(row.clock, tz) if row.clock else None
        data["overdue"] = row.overdue
    return data


ITEM_FIELDS = ("kind", "source", "state", "version", "category", "urgent", "difficult", "caller_name", "caller_phone",
               "problem", "first_responder", "reopen_count", "second_complaints", "escalation_level")  # fmt: skip


def case_item_json(row: CaseRow, tz: ZoneInfo, units: Mapping[int, Unit], people: Mapping[int, Person]) -> dict[str, Any]:
    """A case as the list shows it (the detail has everything)."""
    case = row.case
    station = units.get(case.station_id or 0)
    person = people.get(case.responsible_person_id or 0)
    return {
        "id": case.id, **{k: getattr(case, k) for k in ITEM_FIELDS},
        "address": address(case), "received_at": iso(case.received_at, tz), "accepted_at": iso(case.accepted_at, tz),
        "resolved_at": iso(case.resolved_at, tz),
        "station": {"id": station.id, "code": station.code, "name": station.name_zh} if station else None,
        "responsible_person": {"id": person.id, "name": person.name} if person else None,
        "second_complaint_risk": second_complaint_risk(case),
        "next_due": clock_json(row.clock, tz) if row.clock else None, "overdue": row.overdue,
    }  # fmt: skip


def deadline_json(d: CaseDeadline, tz: ZoneInfo, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": d.id, "rule_id": d.rule_id, "state": d.state, "started_at": iso(d.started_at, tz),
        "due_at": iso(d.due_at, tz), "warn_at": iso(d.warn_at, tz), "stopped_at": iso(d.stopped_at, tz),
        "overridden": d.overridden, "level": d.level,
        "overdue": d.stopped_at is None and d.state == "open" and d.due_at < now,
    }  # fmt: skip


def _plain(value: Any, tz: ZoneInfo) -> Any:
    return iso(value, tz) if isinstance(value, dt.datetime) else value


def entry_json(e: Entry, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "at": iso(e.at, tz), "kind": e.kind, "name": e.name, "actor": e.actor, "text": e.text,
        "from_state": e.from_state, "to_state": e.to_state, "call_id": e.call_id,
        "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in e.changes],
        "extra": {k: _plain(v, tz) for k, v in e.extra.items()},
    }  # fmt: skip


def actions_json(names: list[str]) -> list[dict[str, Any]]:
    """The offered actions with the inputs each takes (for a client building its own forms)."""
    return [{"action": n, "zh": ACTIONS[n].zh, "needs_reason": ACTIONS[n].needs_reason,
             "inputs": [{"name": i.name, "kind": i.kind, "required": i.required} for i in INPUTS.get(n, ())]}
            for n in names]  # fmt: skip


def can_edit(user: User, case: Case) -> bool:
    """Whether the page offers ``user`` the correction form (tickets/corrections.py checks again)."""
    return allowed(user.role, Perm.CASES_EDIT) and workflow_role(user) in EDIT_ROLES and case.state not in READ_ONLY


def edit_context(case: Case, user: User, actions: list[str]) -> dict[str, Any]:
    """What the case page's correction form needs (its first rendering; a refusal fills the rest)."""
    return {"can_edit": can_edit(user, case), "can_reassign": "reassign" in actions, "kinds": KINDS,
            "severities": SEVERITIES, "edit_error": "", "edit_form": {}, "edit_diff": [],
            "edit_conflict": None, "edit_taken": [], "edit_bases": BASE_FIELDS}  # fmt: skip
