"""OpenAPI of the cases and the voicemail drafts (merged into :mod:`callcenter.web.openapi`)."""

from __future__ import annotations

from typing import Any

from callcenter.tickets.workflow import ACTIONS, KINDS, SEVERITIES, STATES
from callcenter.web.cases.query import MAX_LIMIT, STATE_CHOICES
from callcenter.web.openapi_parts import (
    BOOL,
    INT,
    NINT,
    NN,
    NOT_FOUND,
    NS,
    OBJ,
    TIME,
    S,
    arr,
    get,
    json_of,
    obj,
    path_param,
    q,
    ref,
    unsafe,
)  # fmt: skip

_CASE_ID = path_param("case_id")
_REFUSED = {
    "409": json_of(ref("Error"), "Illegal now (state or guard: `illegal_transition`) or changed meanwhile (`conflict`)"),
    "422": json_of(ref("Error"), "Required input missing (`invalid_input`)"),
    **NOT_FOUND,
}
_NAME = obj(id=INT, name=S)
_CLOCK = obj(rule_id=S, due_at=TIME, state=S, overdue=BOOL)

SCHEMAS: dict[str, Any] = {
    "Case": {"type": "object", "required": ["id", "kind", "state", "version"], "properties": {
        "id": INT, "kind": {"type": "string", "enum": list(KINDS)}, "state": {"type": "string", "enum": list(STATES)},
        "version": INT, "source": S, "category": S, "region": S, "severity": NS, "urgent": BOOL, "difficult": BOOL,
        "caller_name": S, "caller_phone": S, "compound": S, "building": S, "unit_no": S, "room": S, "address": S,
        "problem": S, "damage": S, "first_responder": NS, "created_by": S, "reopen_count": INT,
        "second_complaints": INT, "escalation_level": INT, "callback_result": NS, "manager_opinion": NS,
        "received_at": TIME, "accepted_at": TIME, "resolved_at": TIME, "closed_at": TIME, "callback_at": TIME,
        "station": {"type": ["object", "null"], "properties": {"id": INT, "code": S, "name": S}},
        "responsible_person": {"type": ["object", "null"], "properties": _NAME["properties"]},
        "office_head": {"type": ["object", "null"], "properties": _NAME["properties"]},
        "second_complaint_risk": {"type": "boolean", "description": "a new complaint now would be a 二次投诉"},
        "next_due": {"type": ["object", "null"], "properties": _CLOCK["properties"]}, "overdue": BOOL}},
    "CaseItem": obj(id=INT, kind=S, source=S, state=S, version=INT, category=S, urgent=BOOL, difficult=BOOL,
                    caller_name=S, caller_phone=S, problem=S, first_responder=NS, reopen_count=INT,
                    second_complaints=INT, escalation_level=INT, address=S, received_at=TIME, accepted_at=TIME,
                    resolved_at=TIME, station={"type": ["object", "null"]},
                    responsible_person={"type": ["object", "null"]}, second_complaint_risk=BOOL,
                    next_due={"type": ["object", "null"], "properties": _CLOCK["properties"]}, overdue=BOOL),
    "CasePage": obj(items=arr(ref("CaseItem")), next_before=NINT),
    "Deadline": obj(id=INT, rule_id=S, state=S, started_at=TIME, due_at=TIME, warn_at=TIME, stopped_at=TIME,
                    overridden=BOOL, level=INT, overdue=BOOL),
    "TimelineEntry": obj(at=TIME, kind={"type": "string", "enum": ["call", "create", "transition", "callback",
                                                                   "notice", "edit"]},
                         name=S, actor=S, text=S, from_state=NS, to_state=NS, call_id=NINT,
                         changes=arr(obj(field=S, before={}, after={})), extra=OBJ),
    "OfferedAction": obj(action={"type": "string", "enum": list(ACTIONS)}, zh=S, needs_reason=BOOL,
                         inputs=arr(obj(name=S, kind=S, required=BOOL))),
    "CaseDetail": {"allOf": [ref("Case"), obj(
        deadlines=arr(ref("Deadline")), calls=arr(obj(call_id=INT, reason=S, linked_at=TIME, linked_by=S)),
        timeline=arr(ref("TimelineEntry")),
        actions={**arr(ref("OfferedAction")), "description": "exactly the workflow's legal actions for you now"})]},
    "ActionInput": {"type": "object", "description": "the inputs of the action (see OfferedAction.inputs)",
                    "properties": {"version": {**INT, "description": "the case version you saw (recommended)"},
                                   "reason": S, "opinion": S, "station_id": INT, "responsible_person_id": INT,
                                   "approved_by": S, "approval_ref": S, "call_id": INT}},
    "NewCase": obj(kind={"type": "string", "enum": list(KINDS), "default": "complaint"}),
    "Word": obj(word=S, conf=NN, start=NN, low=BOOL),
    "Draft": obj(case=ref("Case"), status={"type": "string", "enum": ["none", "transcribing", "transcribed",
                                                                      "unavailable", "failed"]},
                 call_id=NINT, audio_url=NS, reason=NS, transcript=NS, confidence=NN, words=arr(ref("Word")),
                 low_confidence_below={"type": "number"}, extracted={"type": ["object", "null"]}, filled=arr(S),
                 transcribed_at=TIME, suggested=obj(kind=S, urgent=BOOL, station_id=NINT)),
    "DraftPage": obj(items=arr(ref("Draft"))),
    "DraftConfirm": {"type": "object", "properties": {
        "version": INT, "kind": {"type": "string", "enum": list(KINDS)}, "caller_name": S, "caller_phone": S,
        "compound": S, "building": S, "unit_no": S, "room": S, "category": S, "problem": S, "damage": S,
        "severity": {"type": ["string", "null"], "enum": [*SEVERITIES, None]}, "urgent": BOOL, "difficult": BOOL,
        "assign_station_id": {**INT, "description": "also assign (交办) to this station at once"}}},
    "DraftDiscard": {"type": "object", "required": ["reason"], "properties": {"reason": S, "version": INT}},
}  # fmt: skip

_LIST = [
    q("state", {"type": "string", "enum": list(STATE_CHOICES)}, "open (default: in progress), all, or a state"),
    q("kind", {"type": "string", "enum": list(KINDS)}, "kind of case"),
    q("station", INT, "station (unit id); a station account sees its own only"),
    q("phone", S, "caller's phone, exact (normalised)"),
    q("overdue", {"type": "string", "enum": ["1", "0"]}, "1: only cases with a running clock past due"),
    q("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size (default 50)"),
    q("before", INT, "next_before of the previous page"),
]

PATHS: dict[str, Any] = {
    "/api/cases": get("listCases", "cases newest first (a station: its own)", ref("CasePage"), _LIST),
    "/api/cases/{case_id}": get("getCase", "a case with clocks, timeline and the actions you may take",
                                ref("CaseDetail"), [_CASE_ID], NOT_FOUND),
    "/api/cases/{case_id}/actions/{action}": unsafe(
        "post", "caseAction", "do a workflow action (only legal ones succeed)", ref("CaseDetail"),
        [_CASE_ID, path_param("action", {"type": "string", "enum": list(ACTIONS)})], ref("ActionInput"), _REFUSED),
    "/api/calls/{call_id}/case": unsafe(
        "post", "caseFromCall", "open and accept a case from a call (its answerer stays 首问责任人)",
        ref("CaseDetail"), [path_param("call_id")], ref("NewCase"), {**_REFUSED}, status="201"),
    "/api/drafts": get("listDrafts", "voicemail drafts to confirm, oldest first", ref("DraftPage")),
    "/api/drafts/{case_id}": get("getDraft", "a draft with its transcript and suggestions", ref("Draft"),
                                 [_CASE_ID], NOT_FOUND),
    "/api/drafts/{case_id}/confirm": unsafe(
        "post", "confirmDraft", "correct the fields and accept (受理)", ref("CaseDetail"), [_CASE_ID],
        ref("DraftConfirm"), _REFUSED),
    "/api/drafts/{case_id}/discard": unsafe(
        "post", "discardDraft", "archive a draft that is no case, with the reason", ref("CaseDetail"), [_CASE_ID],
        ref("DraftDiscard"), _REFUSED),
}  # fmt: skip
