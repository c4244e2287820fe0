"""Correcting the record of an accepted case: caller, address, description, classification.

The hotline registers a case when it accepts it; what it wrote down can be wrong (a misheard
phone number, the wrong building, a "complaint" that is really a major repair). A correction:

* is made by the hotline (clerk, duty), an office head or the department head — those who
  register, classify and supervise cases (:data:`EDIT_ROLES`). A station does not correct the
  hotline's record: what it contributes (handled, feedback, callback) goes through the workflow
  actions, each recorded as it was said; the manager signs off, he does not register;
* never touches the first responsible person (首问责任人: who took the call owns it, for good),
  the source, the times or the workflow's own fields; a draft is corrected in the draft inbox
  (confirming it), an archived case is read-only;
* is guarded by the case version the editor saw: ``UPDATE … WHERE version = :seen`` — a stale
  edit is refused (:class:`Conflict`) and nothing is written;
* is audited field by field (who, when, old → new, why) and recorded as an ``edit`` event of
  the case, so the case's timeline and the audit trail both show it;
* when the kind, severity or a flag changes, needs a reason and moves the deadline clocks to
  the new rules (:mod:`callcenter.tickets.reclassify`), in the same transaction;
* changes the responsible station or person only as the workflow's 改派 (``reassign``) — only
  where the workflow allows it (an assigned case; the hotline or an office head), with its
  instruction to the new station — in the same transaction, under the same reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.audit import record_change
from callcenter.tickets import workflow
from callcenter.tickets.cases import normalize_phone, transition_in
from callcenter.tickets.clocks import Clockwork
from callcenter.tickets.errors import N_, Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from callcenter.tickets.models import Case, CaseEvent, Person, Unit
from callcenter.tickets.reclassify import Reclocked, classification, reclassify_in

TEXT = ("caller_name", "caller_phone", "compound", "building", "unit_no", "room", "category", "region",
        "problem", "damage")  # fmt: skip
CLASSIFYING = ("kind", "severity", "urgent", "difficult")
CORRECTABLE = frozenset(TEXT + CLASSIFYING)
ASSIGNMENT = ("station_id", "responsible_person_id")
EDIT_ROLES = workflow.HOTLINE | {"office_head", "department_head"}
NEVER = {"first_responder": N_("首问责任人 (the first responsible person) is never changed")}
READ_ONLY = {"closed": N_("an archived case is read-only"),
             "draft": N_("a draft is corrected and accepted in the voicemail draft inbox")}  # fmt: skip
EDIT_ACTION = "edit"


@dataclass(frozen=True)
class Correction:
    case: Case
    changed: dict[str, tuple[Any, Any]]  # field → (before, after)
    clocks: Reclocked | None = None
    reassigned: bool = False


def check_fields(values: Mapping[str, Any]) -> None:
    """Refuse what may never be corrected, naming the field."""
    for name in values:
        if name in NEVER:
            raise InvalidInput(N_("%(field)s: %(why)s"), field=name, why=NEVER[name])
        if name not in CORRECTABLE and name not in ASSIGNMENT:
            raise InvalidInput(N_("%(field)s: not correctable (correctable: %(fields)s, station_id and "
                                  "responsible_person_id through 改派)"), field=name, fields=sorted(CORRECTABLE))  # fmt: skip


def _check(case: Case, role: str, expected_version: int) -> None:
    if role not in EDIT_ROLES:
        raise Forbidden(N_("role %(role)s may not correct a case (allowed: %(roles)s)"), role=role,
                        roles=sorted(EDIT_ROLES))  # fmt: skip
    if case.state in READ_ONLY:
        raise IllegalTransition(N_("case #%(case)s: %(why)s"), case_id=case.id, case=case.id, why=READ_ONLY[case.state])
    if case.version != expected_version:
        raise Conflict(N_("case #%(case)s was changed by someone else since you opened it (your version "
                          "%(yours)s, now %(version)s); nothing was saved: reload it and correct again"),
                       case_id=case.id, case=case.id, yours=expected_version, version=case.version)  # fmt: skip


async def _load(session: AsyncSession, case_id: int) -> Case:
    case = await session.scalar(select(Case).where(Case.id == case_id).execution_options(populate_existing=True))
    if case is None:
        raise NotFound(f"no case #{case_id}", case_id=case_id)
    return case


async def _claim(session: AsyncSession, case: Case, changed: Mapping[str, tuple[Any, Any]], now: dt.datetime) -> Case:
    """The conditional UPDATE: still this version and this state, or nobody's edit is written."""
    result = await session.execute(
        update(Case).where(Case.id == case.id, Case.version == case.version, Case.state == case.state)
        .values(version=case.version + 1, updated_at=now, **{k: after for k, (_, after) in changed.items()})
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("case #%(case)s changed meanwhile; nothing was saved: reload it"), case_id=case.id,
                       case=case.id)  # fmt: skip
    return await _load(session, case.id)


async def _assignment(session: AsyncSession, case: Case, wanted: Mapping[str, Any]) -> dict[str, int]:
    """The 改派 data for a changed station or person (checked against the directory); {} if none."""
    station_id = wanted.get("station_id") or case.station_id
    person_id = wanted.get("responsible_person_id")
    if station_id == case.station_id and person_id in (None, case.responsible_person_id):
        return {}
    if station_id is None:
        raise InvalidInput(N_("station_id: name the responsible station"))
    station = await session.get(Unit, station_id)
    if station is None or station.kind != "station" or not station.active:
        raise InvalidInput(N_("station_id: no active station with id %(id)s"), id=station_id)
    data = {"station_id": int(station_id)}
    if person_id is not None:
        person = await session.get(Person, person_id)
        if person is None or not person.active or person.unit_id != station_id:
            raise InvalidInput(N_("responsible_person_id: no active person %(id)s of station %(station)s"), id=person_id,
                               station=station.name_zh)  # fmt: skip
        data["responsible_person_id"] = int(person_id)
    return data


async def correct_in(
    session: AsyncSession, case_id: int, values: Mapping[str, Any], *, expected_version: int, actor: str,
    role: str, now: dt.datetime, clockwork: Clockwork, reason: str | None = None,
) -> Correction:  # fmt: skip
    """Correct the case's fields in the caller's transaction; raises a typed :class:`CaseError`."""
    check_fields(values)
    case = await _load(session, case_id)
    _check(case, role, expected_version)
    fields = {k: v for k, v in values.items() if k in CORRECTABLE}
    if isinstance(fields.get("caller_phone"), str):  # as every case stores it: digits, no area code
        fields["caller_phone"] = normalize_phone(fields["caller_phone"]) or fields["caller_phone"].strip()
    changed = {k: (getattr(case, k), v) for k, v in fields.items() if getattr(case, k) != v}
    if "kind" in changed and changed["kind"][1] not in workflow.KINDS:
        raise InvalidInput(N_("kind: one of %(kinds)s"), kinds=workflow.KINDS)
    if "severity" in changed and changed["severity"][1] not in (None, *workflow.SEVERITIES):
        raise InvalidInput(N_("severity: one of %(severities)s"), severities=workflow.SEVERITIES)
    reclassified = any(k in CLASSIFYING for k in changed)
    if reclassified and not (reason or "").strip():
        raise InvalidInput(N_("reason: say why the classification changes (it moves the case's deadlines)"))
    reassign = await _assignment(session, case, {k: values[k] for k in ASSIGNMENT if values.get(k) is not None})
    old = classification(case)
    clocks: Reclocked | None = None
    if changed:
        case = await _claim(session, case, changed, now)
        if reclassified:
            clocks = await reclassify_in(session, case, old, now, clockwork)
    why = (reason or "").strip() or None
    audit = {**changed, **({"deadlines": (clocks.before, clocks.after)} if clocks and clocks.changed else {})}
    await record_change(session, actor=actor, entity="case", entity_id=case_id, changes=audit,
                        reason=why or EDIT_ACTION, at=now)  # fmt: skip
    if reassign:  # one act, one reason: the timeline shows the field changes under the 改派
        case = await transition_in(session, case_id, "reassign", actor=actor, role=role, now=now, clockwork=clockwork,
                                   reason=why, data=reassign, expected_version=case.version)  # fmt: skip
    elif changed:
        session.add(CaseEvent(case_id=case_id, action=EDIT_ACTION, from_state=case.state, to_state=case.state,
                              actor=actor, role=role, at=now, reason=why, data={"fields": sorted(audit)}))  # fmt: skip
    return Correction(case, changed, clocks, bool(reassign))
