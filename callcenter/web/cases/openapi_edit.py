"""OpenAPI of correcting cases, editing the directory and linking office heads (merged into
:mod:`callcenter.web.openapi`; ``/api/cases/{case_id}`` gets its ``patch`` beside the ``get``)."""

from __future__ import annotations

from typing import Any

from callcenter.tickets.directory_edit import PERSON_ROLES, UNIT_KINDS
from callcenter.tickets.workflow import KINDS, SEVERITIES
from callcenter.web.openapi_parts import BOOL, INT, NINT, NOT_FOUND, S, json_of, obj, path_param, ref, unsafe

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
    "Unit": obj(id=INT, code=S, kind=S, name_zh=S, name_en=S, parent_id=NINT, phone=S, active=BOOL),
    "NewUnit": {"type": "object", "required": ["code", "kind", "name_zh"], "additionalProperties": False,
                "properties": {"code": {**S, "pattern": "^[a-z0-9][a-z0-9_-]{1,63}$"},
                               "kind": {"type": "string", "enum": list(UNIT_KINDS)}, "name_zh": S, "name_en": S,
                               "phone": S, "parent_id": {**NINT, "description": "a station's heating office"}}},
    "UnitEdit": {"type": "object", "additionalProperties": False, "properties": {
        "name_zh": S, "name_en": S, "phone": S, "parent_id": {**NINT, "description": "move a station"},
        "active": {**BOOL, "description": "false: deactivate (refused while open cases or active stations "
                                          "depend on it)"}}},
    "Person": obj(id=INT, login=S, name=S, role=S, unit_id=NINT, phone=S, active=BOOL),
    "NewPerson": {"type": "object", "required": ["login", "name", "role", "unit_id"], "additionalProperties": False,
                  "properties": {"login": S, "name": S, "role": {"type": "string", "enum": list(PERSON_ROLES)},
                                 "unit_id": INT, "phone": S}},
    "PersonEdit": {"type": "object", "additionalProperties": False, "properties": {
        "name": S, "role": {"type": "string", "enum": list(PERSON_ROLES)}, "unit_id": INT, "phone": S,
        "active": BOOL}},
    "OfficeLink": {"type": "object", "required": ["office_code"], "properties": {
        "office_code": {**S, "description": "the code of a heating management office (kind office)"}}},
}  # fmt: skip

PATHS: dict[str, Any] = {
    "/api/cases/{case_id}": unsafe(
        "patch", "correctCase", "correct an accepted case's record (audited; version must match; deadlines follow "
        "a new classification)", ref("CaseDetail"), [_CASE_ID], ref("CaseEdit"), _REFUSED),
    "/api/directory/units": unsafe("post", "addUnit", "add an office, station or other unit (audited)", ref("Unit"),
                                   None, ref("NewUnit"), _DIRECTORY_REFUSED, status="201"),
    "/api/directory/units/{unit_id}": {
        **unsafe("patch", "editUnit", "rename, phone, move a station, (de)activate (audited)", ref("Unit"),
                 [_UNIT_ID], ref("UnitEdit"), _DIRECTORY_REFUSED),
        **unsafe("delete", "deleteUnit", "delete a unit nothing refers to (else 409: deactivate it)", _DELETED,
                 [_UNIT_ID], None, _DIRECTORY_REFUSED)},
    "/api/directory/people": unsafe("post", "addPerson", "add a person (audited)", ref("Person"), None,
                                    ref("NewPerson"), _DIRECTORY_REFUSED, status="201"),
    "/api/directory/people/{person_id}": {
        **unsafe("patch", "editPerson", "rename, phone, role, unit, (de)activate (audited)", ref("Person"),
                 [_PERSON_ID], ref("PersonEdit"), _DIRECTORY_REFUSED),
        **unsafe("delete", "deletePerson", "delete a person no case names (else 409: deactivate)", _DELETED,
                 [_PERSON_ID], None, _DIRECTORY_REFUSED)},
    "/api/admin/users/{user_id}/office": unsafe(
        "post", "setUserOffice", "link an office-head account to its heating office (what it sees follows)",
        ref("User"), [path_param("user_id")], ref("OfficeLink"), NOT_FOUND),
}  # fmt: skip
