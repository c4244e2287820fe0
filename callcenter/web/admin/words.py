"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

CAL_SRC: Words = {
    "admin": N_("administrator"),
    "seed": N_("official"),
}

CAL_ST: Words = {
    "confirmed": N_("confirmed"),
    "library": N_("official holiday data"),
    "seeded": N_("official holiday data"),
    "unknown": N_("unknown (counted Mon–Fri)"),
}

EX: Words = {
    "gazetteer": N_("Estates and their stations"),
    "keywords": N_("Category keywords"),
}

LIM: Words = {
    "calendar_days": N_("days"),
    "cob": N_("close of business"),
    "hours": N_("hours"),
    "minutes": N_("minutes"),
    "next_morning": N_("by %(at)s next morning"),
    "roll": N_("rolls past holidays"),
    "same_day": N_("same day"),
    "working_days": N_("working days"),
}

UKIND: Words = {
    "department": pN_("ukind.department", "Department"),
    "head_company": N_("Head company"),
    "heating_office": N_("Heating authority"),
    "office": N_("Heating office"),
    "property_office": N_("Property office"),
    "station": N_("Station"),
}

# The rule book's events, flags and timings as the rules page names them (rules.toml [events]).
EVENT: Words = {
    "received_by_department": pN_("event", "Department received the complaint"),
    "forwarded_to_hotline": pN_("event", "Forwarded to the hotline clerk"),
    "accepted": pN_("event", "Accepted"),
    "assigned": pN_("event", "Instruction given"),
    "handled": pN_("event", "Fault dealt with"),
    "feedback_received": pN_("event", "Feedback received"),
    "reported_to_property_office": pN_("event", "Reported to the property office"),
    "resolved": pN_("event", "Resolved"),
    "callback_done": pN_("event", "Called back"),
    "answered": pN_("event", "Answered"),
}
FLAG: Words = {"urgent": pN_("flag", "Urgent"), "difficult": pN_("flag", "Difficult")}
WARN_AT: Words = {
    "due_day_open": N_("at opening on the due day"),
    "previous_workday_open": N_("at opening on the working day before"),
}
REPORT_EVERY: Words = {"week": pN_("report timing", "weekly"), "month": pN_("report timing", "monthly")}
REPORT_COVERS: Words = {
    "week": pN_("report timing", "the week"), "previous_month": pN_("report timing", "the previous month"),
    "current_month": pN_("report timing", "the current month"),
}
REPORT_ROLL: Words = {
    "none": pN_("report timing", "not moved"), "next_workday": pN_("report timing", "moved to the next working day"),
    "previous_workday": pN_("report timing", "moved to the working day before"),
}

CAL_BULK_CH: Words = {
    "note": N_("note only"),
    "recorded": N_("same, now recorded"),
    "same": N_("unchanged"),
    "to_off": N_("work → off"),
    "to_work": N_("off → work"),
}

CAL_BULK_E: Words = {
    "date": N_("no such day (a wrong date)"),
    "empty": N_("no dates: fill in the range or paste the list"),
    "format": N_('not understood: a line starts with a date, e.g. "2027-01-01 休"'),
    "kind": N_("休 (off) or 班 (work) is missing (休息, 放假, 上班, 补班 also work)"),
    "note": N_("a note has at most %(n)s characters"),
    "order": N_("the end is before the start"),
    "too_long": N_("too long (at most %(n)s characters)"),
    "too_many": N_("at most %(n)s days at once"),
    "twice": N_("%(day)s was given before (line %(other)s) as the other kind"),
    "years": N_("dates from 2000 to 2100 only"),
}

CAL_BULK_W: Words = {
    "weekday_work": N_("a weekday is a working day anyway"),
    "weekend_off": N_("a weekend is off anyway"),
}

VOCABULARIES: dict[str, Words] = {
    "event": EVENT,
    "flag": FLAG,
    "warn.at": WARN_AT,
    "report.every": REPORT_EVERY,
    "report.covers": REPORT_COVERS,
    "report.roll": REPORT_ROLL,
    "cal.src": CAL_SRC,
    "cal.st": CAL_ST,
    "ex": EX,
    "lim": LIM,
    "ukind": UKIND,
    "cal.bulk.ch": CAL_BULK_CH,
    "cal.bulk.e": CAL_BULK_E,
    "cal.bulk.w": CAL_BULK_W,
}
