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
)  # fmt: skip

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
}  # fmt: skip
