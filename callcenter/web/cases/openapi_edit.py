"""OpenAPI of correcting cases, editing the directory and linking office heads (merged into
:mod:`callcenter.web.openapi`; ``/api/cases/{case_id}`` gets its ``patch`` beside the ``get``)."""

from __future__ import annotations

from typing import Any

from callcenter.tickets.workflow import KINDS, SEVERITIES
from callcenter.web.openapi_parts import BOOL, INT, NOT_FOUND, S, json_of, obj, path_param, ref, unsafe

_CASE_ID = path_param("case_id")
_UNIT_ID = path_param("unit_id")
_PERSON_ID = path_param("person_id")
_REFUSED = {
    "409": json_of(ref("Error"), "Changed by someone else since `version` (`conflict`: nothing saved, reload), or "
                                 "not correctable now (`illegal_transition`: a draft, an archived case, a 改派 the "
                                 "workflow does not allow)"),
    "422": json_of(ref("Error"), "Invalid or refused input (`invalid_input`): a field that never changes "
                                 "(first_responder), an unknown field, a reclassification without a reason"),
    **NOT_FOUND,
}
_DIRECTORY_REFUSED = {**NOT_FOUND, "409": json_of(ref("Error"), "Duplicate code/login/name, or still referred to")}
_DELETED = obj(deleted=BOOL)

SCHEMAS: dict[str, Any] = {
    "CaseEdit": {"type": "object", "required": ["version"], "additionalProperties": False, "properties": {
        "version": {**INT, "description": "the case version you corrected (409 if it changed since)"},
        "reason": {**S, "description": "why; required when kind, severity, urgent or difficult change (the "
                                       "deadlines follow the new rule) and for a new station or person"},
        "caller_name": S, "caller_phone": S, "compound": S, "building": S, "unit_no": S, "room": S,
        "category": S, "region": S, "problem": S, "damage": S,
        "kind": {"type": "string", "enum": list(KINDS)},
        "severity": {"type": ["string", "null"], "enum": [*SEVERITIES, None]}, "urgent": BOOL, "difficult": BOOL,
        "station_id": {**INT, "description": "a new responsible station: done as the workflow's 改派 (reassign), "
                                             "only where the workflow allows it"},
        "responsible_person_id": {**INT, "description": "a new responsible person of the (new) station: 改派"}}},
}  # fmt: skip

PATHS: dict[str, Any] = {
    "/api/cases/{case_id}": unsafe(
        "patch", "correctCase", "correct an accepted case's record (audited; version must match; deadlines follow "
        "a new classification)", ref("CaseDetail"), [_CASE_ID], ref("CaseEdit"), _REFUSED),
}  # fmt: skip
