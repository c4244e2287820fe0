"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words

NT_ROLE: Words = {
    "clerk": N_("Clerk"),
    "department_head": N_("Department head"),
    "duty": N_("On duty"),
    "manager": N_("Manager"),
    "office_head": N_("Office head"),
    "property_office": N_("Property office"),
    "receiving_department": N_("Receiving department"),
    "station": N_("Station"),
}

VOCABULARIES: dict[str, Words] = {
    "nt.role": NT_ROLE,
}
