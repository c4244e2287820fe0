"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

ROLE: Words = {
    "admin": N_("Administrator"),
    "clerk": N_("Clerk"),
    "manager": N_("Manager"),
    "office_head": N_("Office head"),
    "station": N_("Station"),
    "supervisor": pN_("role.supervisor", "Department head"),
}

VOCABULARIES: dict[str, Words] = {
    "role": ROLE,
}
