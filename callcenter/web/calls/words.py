"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

CAT: Words = {
    "": N_("—"),
    "application": N_("Application"),
    "complaint": N_("Complaint"),
    "consultation": N_("Consultation"),
    "other": N_("Other"),
    "repair": N_("Repair"),
    "supervision": N_("Supervision case"),
    "temperature": N_("Temperature"),
}

DETAIL_SOURCE: Words = {
    "live": N_("live"),
    "recovered": N_("recovered from CDR"),
}

DISP: Words = {
    "abandoned": N_("Abandoned"),
    "answered": N_("Answered"),
    "busy": N_("No clerk available"),
    "failed": N_("Failed"),
    "open": N_("In progress"),
    "voicemail": N_("Voicemail"),
}

LEGROLE: Words = {
    "agent": N_("clerk phone"),
    "caller": N_("caller"),
    "local": N_("local channel"),
    "transfer": N_("transfer target"),
}

NOTES: Words = {
    "address": N_("Address (estate, building, unit, flat)"),
    "called_back_at": N_("Called back at"),
    "called_back_by": N_("Called back by"),
    "caller_name": N_("Caller's name"),
    "category": N_("Category"),
    "summary": pN_("notes.summary", "Summary"),
}

STAGE: Words = {
    "queue": N_("hung up while queued"),
    "ringing": N_("hung up while ringing"),
    "voicemail": N_("hung up at the greeting"),
}

TL: Words = {
    "bridged": N_("connected"),
    "created": N_("channel created"),
    "ended": N_("hung up"),
    "ringing": N_("ringing"),
    "up": N_("off hook"),
}

CTL_WHY: Words = {
    "busy": N_("busy"),
    "elsewhere": N_("answered by someone else"),
    "failed": N_("call failed"),
    "gave_up": N_("the caller hung up"),
    "noanswer": N_("no answer"),
    "rejected": N_("rejected"),
    "unreachable": N_("not registered or unreachable"),
}

CTL: Words = {
    "answered": pN_("report column", "Answered"),
    "calling": N_("Calling"),
    "connected": N_("Connected to the caller"),
    "ended": N_("Call ended"),
    "hungup": N_("Hung up"),
    "incoming": N_("Incoming call"),
    "missed": N_("Not answered"),
    "ringing": pN_("ctl.ringing", "Ringing"),
    "system": N_("Answered by the system (announcement)"),
    "voicemail": N_("Voicemail answered"),
}

VOCABULARIES: dict[str, Words] = {
    "cat": CAT,
    "detail.source": DETAIL_SOURCE,
    "disp": DISP,
    "legrole": LEGROLE,
    "notes": NOTES,
    "stage": STAGE,
    "tl": TL,
    "ctl.why": CTL_WHY,
    "ctl": CTL,
}
