"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

ACTION: Words = {
    "accept": N_("Accept"),
    "answer": N_("Answer"),
    "assign": N_("Assign"),
    "callback_satisfied": N_("Callback: satisfied"),
    "callback_unsatisfied": N_("Callback: not satisfied"),
    "chase": N_("Chase (催办)"),
    "close": N_("Archive"),
    "create": N_("Created"),
    "discard": N_("Discard"),
    "edit": N_("Record corrected"),
    "escalate": N_("Escalate"),
    "escalate_manual": N_("Escalate to the next level"),
    "feedback": N_("Record feedback"),
    "handle": N_("Handled"),
    "reassign": N_("Reassign"),
    "report_upward": N_("Report to property office"),
    "resolve": N_("Resolve"),
    "resume": N_("Resume"),
    "second_complaint": N_("Second complaint"),
    "sign_off": N_("Manager sign-off"),
    "suspend": N_("Suspend (approved)"),
}

CB: Words = {
    "satisfied": N_("satisfied"),
    "unsatisfied": N_("not satisfied"),
}

DL: Words = {
    "cancelled": N_("cancelled"),
    "late": N_("met late"),
    "met": N_("met"),
    "open": N_("running"),
    "paused": pN_("dl.paused", "paused"),
}

FIELD: Words = {
    # named by workflow errors (callcenter.web.i18n.ERROR_WORDS) as well as by the audit trail
    "address": N_("Address"),
    "approved_by": N_("Approved by"),
    "call_id": N_("Call"),
    "ends_at": N_("Shift ends"),
    "opinion": N_("Manager's opinion"),
    "reason": N_("Reason"),
    "source": N_("Source"),
    "starts_at": N_("Shift starts"),
    "to_case": N_("Target case"),
    "version": N_("Version of the case"),
    "accepted_at": N_("Accepted"),
    "action": N_("Action"),
    "active": N_("Active"),
    "building": N_("Building"),
    "callback_at": N_("Called back"),
    "callback_result": N_("Callback result"),
    "caller_name": N_("Caller"),
    "caller_phone": pN_("field.caller_phone", "Phone"),
    "category": pN_("field.category", "Category"),
    "closed_at": N_("Archived"),
    "compound": N_("Estate"),
    "damage": N_("Damage"),
    "deadlines": N_("Running deadlines"),
    "difficult": N_("Difficult"),
    "display_name": N_("Display name"),
    "username": N_("Username"),
    "escalation_level": N_("Escalation level"),
    "extension": N_("Extension"),
    "handled_at": pN_("field.handled_at", "Handled"),
    "kind": N_("Kind"),
    "manager_opinion": N_("Manager's opinion"),
    "manager_signed_at": N_("Signed"),
    "manager_signed_by": N_("Signed by"),
    "name": N_("Name"),
    "name_en": N_("Name (English)"),
    "name_zh": N_("Name (Chinese)"),
    "office_code": N_("Heating office"),
    "office_head_id": N_("Office head"),
    "parent_id": N_("Parent unit"),
    "phone": N_("Phone"),
    "problem": N_("Problem"),
    "property_limit_at": N_("Property office's limit"),
    "region": N_("Region"),
    "reopen_count": N_("Reopened"),
    "reported_upward_at": N_("Reported"),
    "resolved_at": N_("Resolved"),
    "responsible_person_id": N_("Responsible"),
    "role": N_("Role"),
    "room": N_("Flat"),
    "second_complaints": N_("Second complaints"),
    "severity": N_("Repair size"),
    "state": N_("State"),
    "station_code": N_("Station"),
    "station_id": pN_("field.station_id", "Station"),
    "suspended_from": N_("Suspended from"),
    "suspension_approved_by": pN_("field.suspension_approved_by", "Suspension approved by"),
    "suspension_ref": N_("Approval ref."),
    "unit_id": pN_("field.unit_id", "Unit"),
    "unit_no": N_("Entrance"),
    "urgent": N_("Urgent"),
    "created_by": N_("Registered by"),
    "first_responder": N_("First responsible"),
}

IN: Words = {
    "approval_ref": N_("Approval reference"),
    "approved_by": N_("Approved by (heating office)"),
    "call_id": N_("Call no. (optional)"),
    "choose": N_("Choose"),
    "default": N_("Default"),
    "opinion": N_("Manager's opinion"),
    "reason": N_("Note"),
    "responsible_person_id": N_("Responsible person (default: station head)"),
    "station_id": N_("Responsible station"),
}

IN_REASON: Words = {
    "answer": pN_("in.reason.answer", "Answer"),
    "callback_unsatisfied": N_("What the user said"),
    "chase": N_("Message (optional)"),
    "escalate_manual": N_("Why escalate"),
    "feedback": N_("Feedback"),
    "reassign": N_("Why reassigned"),
    "resume": N_("Why resumed"),
    "suspend": N_("Why suspended"),
}

KIND: Words = {
    "application": N_("Application"),
    "complaint": N_("Complaint"),
    "consultation": N_("Consultation"),
    "repair": N_("Repair"),
    "supervision": N_("Supervision case"),
    "temperature": N_("Temperature"),
}

NOTICE: Words = {
    "breach": N_("Overdue"),
    "chase": N_("Chase"),
    "copy": N_("Copy"),
    "escalation": N_("Escalation"),
    "instruction": N_("Instruction"),
    "reminder": N_("Reminder"),
}

SEVERITY: Words = {
    "": N_("—"),
    "major": N_("Major"),
    "medium": N_("Medium"),
    "minor": N_("Minor"),
}

SOURCE: Words = {
    "department": N_("Department"),
    "head_company": N_("Head company"),
    "heating_office": pN_("source.heating_office", "Heating office"),
    "petition": N_("Petition"),
    "phone": N_("Phone"),
    "property_office": N_("Property office"),
    "station": N_("Station"),
    "visit": N_("Visit"),
    "voicemail": N_("Voicemail"),
}

STATE: Words = {
    "accepted": pN_("state.accepted", "Accepted"),
    "all": N_("All"),
    "assigned": N_("Assigned"),
    "called_back": pN_("state.called_back", "Called back"),
    "closed": pN_("state.closed", "Archived"),
    "draft": N_("Draft"),
    "feedback_received": N_("Feedback in"),
    "open": N_("Open (in progress)"),
    "resolved": pN_("state.resolved", "Resolved"),
    "suspended": N_("Suspended"),
}

TL_CALL: Words = {
    "first": N_("Call (case opened)"),
    "manual": N_("Linked call"),
    "other": N_("Other"),
    "repeat": N_("Repeat call"),
    "second_complaint": N_("Second-complaint call"),
}

WROLE: Words = {
    "clerk": N_("Clerk"),
    "department_head": N_("Dept. head"),
    "duty": N_("Duty"),
    "manager": N_("Manager"),
    "office_head": N_("Office head"),
    "property_office": N_("Property office"),
    "receiving_department": pN_("wrole.receiving_department", "Receiving department"),
    "station": N_("Station"),
    "system": N_("System"),
}

# The page script's strings: key → msgid, sent translated as JSON (i18n.for_js).
JS_PREFIXES = ('cd.',)
JS_STRINGS: Words = {
    "cd.days": N_("d"),
    "cd.late": N_("late"),
    "cd.left": N_("left"),
    "cd.paused": N_("paused"),
}

VOCABULARIES: dict[str, Words] = {
    "action": ACTION,
    "cb": CB,
    "dl": DL,
    "field": FIELD,
    "in": IN,
    "in.reason": IN_REASON,
    "kind": KIND,
    "notice": NOTICE,
    "severity": SEVERITY,
    "source": SOURCE,
    "state": STATE,
    "tl.call": TL_CALL,
    "wrole": WROLE,
}
