"""Words of this feature that stored values are shown as (translated when a page is rendered).

Each table maps a stored value to its English msgid (``N_``) or (context, msgid) pair (``pN_``);
``i18n.word(vocabulary, value)`` translates it for the request's language.
"""

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
