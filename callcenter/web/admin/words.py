"""Words of this feature that stored values are shown as (translated when a page is rendered).

Each table maps a stored value to its English msgid (``N_``) or (context, msgid) pair (``pN_``);
``i18n.word(vocabulary, value)`` translates it for the request's language.
"""

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

VOCABULARIES: dict[str, Words] = {
    "cal.src": CAL_SRC,
    "cal.st": CAL_ST,
    "ex": EX,
    "lim": LIM,
    "ukind": UKIND,
}
