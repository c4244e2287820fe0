"""Words of this feature that stored values are shown as (translated when a page is rendered).

Each table maps a stored value to its English msgid (``N_``) or (context, msgid) pair (``pN_``);
``i18n.word(vocabulary, value)`` translates it for the request's language.
"""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

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
