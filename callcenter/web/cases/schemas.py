"""The cases' and the voicemail drafts' API shapes (requests; the answers are the case as
``case_detail_json`` shows it). The workflow and the corrections still check what depends on
the case (required inputs, states, guards): these models refuse what no case could accept."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from callcenter.tickets.workflow import KINDS, SEVERITIES
from callcenter.web.calls.schemas import Flag
from callcenter.web.cases.query import DEFAULT_LIMIT, MAX_LIMIT, STATE_CHOICES
from callcenter.web.endpoints import Id, Params, Schema, Version, line, text

Kind = Literal[("", *KINDS)]  # type: ignore[valid-type]
Severity = Literal[("", *SEVERITIES)]  # type: ignore[valid-type]


class CasePath(Params):
    case_id: Id


class ActionPath(Params):
    case_id: Id
    action: line(32, min_length=1) = Field(description="a workflow action (the case's `actions` offer them)")


class CaseListQuery(Params):
    state: Literal[STATE_CHOICES] | None = Field(None, description="open (default), all, or a state")  # type: ignore[valid-type]
    kind: Kind | None = None
    station: Id | None = Field(None, description="station id")
    phone: line(64) | None = Field(None, description="caller phone")
    overdue: Flag | None = Field(None, description="1: only cases with a clock past due")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    before: Id | None = Field(None, description="next_before of the previous page")


class ActionIn(Schema):
    """The inputs of every action; each action reads its own (and the workflow says what is missing)."""

    model_config = ConfigDict(extra="ignore")
    version: Version | None = None
    reason: text(2000) | None = None
    opinion: text(2000) | None = None
    station_id: Id | None = None
    responsible_person_id: Id | None = None
    approved_by: line(256) | None = None
    approval_ref: line(256) | None = None
    call_id: Id | None = None


class CaseFields(Schema):
    """A case's editable record fields (a correction, a draft's confirmation)."""

    caller_name: line(128) | None = None
    caller_phone: line(64) | None = None
    compound: line(128) | None = None
    building: line(32) | None = None
    unit_no: line(32) | None = None
    room: line(32) | None = None
    category: line(64) | None = None
    problem: text(4000) | None = None
    damage: text(2000) | None = None
    kind: Kind | None = None
    severity: Severity | None = None
    urgent: bool | None = None
    difficult: bool | None = None


class FromCallIn(CaseFields):
    """A case opened from a call: the clerk picks the kind; what the kind needs (hotline-rules.md)
    is checked by the handler (422 naming the missing fields). Name and phone default to the
    call's; source, received time and the first responsible person come from the call."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal[KINDS] = Field(description="the kind of case (the clerk's choice; no default)")  # type: ignore[valid-type]


class CaseRef(Schema):
    id: int
    kind: str
    state: str
    url: str


class CallCaseOut(Schema):
    """The case opened from a call, if any, and where to open one."""

    case: CaseRef | None = Field(description="the case opened from this call (null: none yet)")
    new_url: str | None = Field(description="the case form pre-filled from the call (null when it has a case)")


class CaseEditIn(CaseFields):
    # unknown fields and the first responsible person are refused by name by the corrections (422)
    model_config = ConfigDict(extra="allow")
    version: Version | None = Field(None, description="the case version you corrected (409 if it changed since)")
    reason: text(2000) | None = None
    region: line(64) | None = None
    station_id: Id | None = None
    responsible_person_id: Id | None = None


class CaseEditConflict(Schema):
    """A 409 of a correction: the case changed since your version (``error`` = ``conflict``: then
    the fields you sent that differ from the case now, their current values and the current
    version; correcting again with ``version = current_version`` is a decision on the case as it
    is), or the case is read-only now (``illegal_transition``). Nothing was saved."""

    error: str
    message: str
    permanent: bool | None = None
    fields: list[str] | None = Field(None, description="fields you sent that differ from the case now")
    current: dict[str, Any] | None = Field(None, description="the case's current values of the fields you sent")
    current_version: int | None = None
    case_id: int | None = None


class DraftConfirmIn(CaseFields):
    model_config = ConfigDict(extra="ignore")
    version: Version | None = None
    assign_station_id: Id | None = Field(None, description="assign (交办) to this station at once")


class DraftDiscardIn(Schema):
    model_config = ConfigDict(extra="ignore")
    reason: text(2000, min_length=1) = Field(description="why the draft is no case")
    version: Version | None = None


def sent(body: Schema) -> dict[str, Any]:
    """The fields the client sent, extra ones included (the checks downstream name them)."""
    return body.model_dump(exclude_unset=True, mode="json")
