"""OpenAPI of supervision and administration (merged into :mod:`callcenter.web.openapi`)."""

from __future__ import annotations

from typing import Any

from callcenter.web.audit.view import ENTITIES
from callcenter.web.openapi_parts import (
    BOOL,
    DATE,
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
from callcenter.web.auth.roles import Role

_TALLY = obj(id=NINT, station_id=NINT, running=INT, overdue=INT, due_soon=INT)
_CLOCK = obj(case_id=INT, kind=S, state=S, rule_id=S, due_at=TIME, station_id=NINT, responsible_person_id=NINT,
             level=INT)
_MOVED = obj(due_times_moved={**INT, "description": "running deadlines recomputed"}, day=DATE, year=INT)
_YEAR = path_param("year")
_USER_ID = path_param("user_id")

SCHEMAS: dict[str, Any] = {
    "Supervision": obj(at=TIME, due_soon_hours={"type": "number"}, by_station=arr(_TALLY), by_person=arr(_TALLY),
                       overdue=arr(_CLOCK), due_soon=arr(_CLOCK)),
    "Notice": obj(id=INT, case_id=NINT, kind=S, level=INT, recipient_role=S, recipient=NS, text_zh=S, text_en=S,
                  created_at=TIME, deliver_at=TIME, sent_at=TIME, attempts=INT, last_error=NS),
    "OutboxPage": obj(items=arr(ref("Notice")), next_before=NINT),
    "Chain": obj(ok=BOOL, rows=INT, broken_at=NINT, message=S, checked_at=TIME),
    "AuditEntry": obj(seq=INT, at=TIME, actor=S, entity=S, entity_id=S, field=S, before={}, after={}, reason=NS,
                      hash=S),
    "AuditPage": obj(items=arr(ref("AuditEntry")), chain=ref("Chain")),
    "User": obj(id=INT, username=S, display_name=S, role=S, station_code=NS, office_code=NS, extension=NS,
                active=BOOL, created_at=TIME, password_changed_at=TIME, last_login=TIME),
    "NewUser": {"type": "object", "required": ["username", "role", "password"], "properties": {
        "username": S, "role": {"type": "string", "enum": [r.value for r in Role]}, "display_name": S,
        "station_code": NS, "office_code": {**NS, "description": "an office head's heating office (required)"},
        "extension": NS, "password": {"type": "string", "minLength": 8}}},
    "Directory": obj(units=arr(ref("Unit")), people=arr(ref("Person"))),
    "Calendar": obj(year=INT, status=S, library_knows=BOOL,
                    days=arr(obj(day=DATE, is_workday=BOOL, note=S, source=S, updated_by=S, updated_at=TIME)),
                    business_hours=obj(opens=S, closes=S), warnings=arr(obj(year=INT, text_zh=S, text_en=S))),
    "SetDay": {"type": "object", "required": ["day", "is_workday"], "properties": {
        "day": DATE, "is_workday": {"type": ["boolean", "string"], "description": "true/work or false/holiday"},
        "note": S, "reason": S}},
    "BusinessHours": {"type": "object", "required": ["opens", "closes"],
                      "properties": {"opens": S, "closes": S, "reason": S}},
    "Moved": _MOVED,
    "Rules": obj(rules=arr(OBJ), reports=arr(OBJ)),
    "Extraction": obj(keywords=OBJ, gazetteer=OBJ, versions=obj(keywords=INT, gazetteer=INT), editable=BOOL),
    "ExtractionTable": obj(name=S, content={**S, "description": "the table as TOML text"},
                           version={**INT, "description": "0: the packaged table"},
                           source={"type": "string", "enum": ["packaged", "edited"]}, updated_at=TIME, updated_by=NS),
    "SaveExtractionTable": {"type": "object", "required": ["content", "version"], "properties": {
        "content": S, "version": {**INT, "description": "the version that was edited (stale: 409)"}}},
    "TryExtraction": {"type": "object", "required": ["text"], "properties": {
        "text": {**S, "maxLength": 2000}, "keywords": {**S, "description": "TOML to try instead of the table in force"},
        "gazetteer": {**S, "description": "TOML to try instead of the table in force"}}},
    "Tried": obj(text=S, extracted=obj(phones=arr(S), address=obj(compound=NS, building=NS, unit=NS, room=NS),
                                       temperature_c=NN, category=NS, station=NS),
                 case=obj(kind=NS, urgent=BOOL, severity=NS, label=NS), tables=obj(keywords=S, gazetteer=S)),
}  # fmt: skip
_TABLE = [path_param("name", {"type": "string", "enum": ["keywords", "gazetteer"]})]
_INVALID = {"422": json_of(ref("Error"), "The table does not validate (the message names the table and entry)")}
_STALE = {"409": json_of(ref("Error"), "The table changed since that version")}

PATHS: dict[str, Any] = {
    "/api/supervision": get("supervision", "overdue and due-soon cases by station and person", ref("Supervision")),
    "/api/outbox": get("outbox", "notifications, newest first", ref("OutboxPage"), [
        q("role", S, "recipient role"), q("case", INT, "case id"),
        q("held", {"type": "string", "enum": ["1", "0"]}, "1 (default): include those held for office hours"),
        q("before", INT, "next_before of the previous page")]),
    "/api/audit": get("audit", "one record's changes (entity+id) or the latest changes", ref("AuditPage"), [
        q("entity", {"type": "string", "enum": list(ENTITIES)}, "record type"), q("id", S, "record id"),
        q("before", INT, "sequence number: older than this")]),
    "/api/audit/verify": get("verifyAudit", "verify the hash chain now", ref("Chain")),
    "/api/admin/users": {**get("users", "accounts", obj(items=arr(ref("User")))),
                         **unsafe("post", "addUser", "add an account (audited)", ref("User"), None, ref("NewUser"),
                                  status="201")},
    "/api/admin/users/{user_id}/active": unsafe("post", "setUserActive", "enable or disable (revokes sessions)",
                                                ref("User"), [_USER_ID], obj(active=BOOL), NOT_FOUND),
    "/api/admin/users/{user_id}/password": unsafe("post", "setUserPassword", "set a password (revokes sessions)",
                                                  obj(sessions_revoked=INT), [_USER_ID],
                                                  obj(password={"type": "string", "minLength": 8}), NOT_FOUND),
    "/api/directory": get("directory", "offices, stations and people (retired ones too: `active`)", ref("Directory")),
    "/api/calendar": get("calendar", "a year of the working-day calendar", ref("Calendar"),
                         [q("year", INT, "default: this year")]),
    "/api/calendar/days": unsafe("post", "setCalendarDay", "make a day a holiday or a working day",
                                 ref("Moved"), None, ref("SetDay")),
    "/api/calendar/days/{day}": unsafe("delete", "unsetCalendarDay", "remove a day's entry", ref("Moved"),
                                       [path_param("day", DATE)]),
    "/api/calendar/years/{year}/confirm": unsafe("post", "confirmYear", "the year's holidays are entered",
                                                 ref("Moved"), [_YEAR]),
    "/api/calendar/business-hours": unsafe("put", "setBusinessHours", "opening and closing time", ref("Moved"),
                                           None, ref("BusinessHours")),
    "/api/rules": get("rules", "the deadline rules and reports in force (read-only)", ref("Rules")),
    "/api/extraction": get("extraction", "the voicemail keyword table and gazetteer in force, parsed",
                           ref("Extraction")),
    "/api/admin/extraction/{name}": {
        **get("extractionTable", "a table in force as TOML text (edited or packaged)", ref("ExtractionTable"), _TABLE),
        **unsafe("put", "saveExtractionTable", "validate and save (audited; next voicemail uses it)",
                 ref("ExtractionTable"), _TABLE, ref("SaveExtractionTable"), {**_INVALID, **_STALE}),
        **unsafe("delete", "resetExtractionTable", "back to the packaged table (audited); optional body "
                 "{version}: only if still in force", ref("ExtractionTable"), _TABLE, None, _STALE)},
    "/api/admin/extraction/try": unsafe("post", "tryExtraction", "extract from a sentence with the tables in force "
                                        "or the given TOML", ref("Tried"), None, ref("TryExtraction"), _INVALID),
}  # fmt: skip
