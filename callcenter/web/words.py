"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

ERROR: Words = {
    "back": N_("Home"),
    "bad_request": N_("Bad request."),
    "case_exists": N_("This call already has its case."),
    "conflict": N_("Someone else changed this record; reload and try again."),
    "illegal_transition": N_("This step is not possible for the case now."),
    "invalid_input": N_("Something needed is missing or wrong."),
    "csrf_failed": N_("The request expired or came from elsewhere; reload the page and try again."),
    "forbidden": N_("Your role may not see this."),
    "internal": N_("Internal error."),
    "not_found": N_("No such page or record."),
    "throttled": N_("Too many requests; try again later."),
    "title": N_("Error"),
}

LANG: Words = {
    "en": N_("English"),
    "zh": N_("中文"),
}

NAV: Words = {
    "admin": N_("Administration"),
    "audit": N_("Audit trail"),
    "calls": N_("Call ledger"),
    "cases": N_("Cases"),
    "drafts": pN_("nav.drafts", "Voicemail drafts"),
    "live": N_("Live calls"),
    "logout": N_("Log out"),
    "missed": N_("Missed calls"),
    "notices": N_("Notices"),
    "reports": N_("Reports"),
    "soon": N_("coming soon"),
    "supervision": N_("Supervision"),
    "wallboard": N_("Wallboard"),
}

VOCABULARIES: dict[str, Words] = {
    "error": ERROR,
    "lang": LANG,
    "nav": NAV,
}
