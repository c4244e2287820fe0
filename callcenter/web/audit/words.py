"""The audit page's words: a recorded reason code shown as the rule book's word.

The trail keeps what was recorded (a workflow action's name such as ``assign`` when no one typed
a reason, or a fixed code such as ``draft checked``); the page, its filters and its exports show
受理, 交办, 回访满意, 核对留言草稿 … in the reader's language. A reason a person typed is shown
as typed.
"""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, translator

# A recorded reason code → the rule book's word (workflow actions first, then the fixed codes).
AU_REASON: Words = {
    "accept": N_("accepted"),
    "sign_off": N_("manager's sign-off"),
    "assign": N_("assigned"),
    "reassign": N_("reassigned"),
    "handle": N_("handled"),
    "feedback": N_("feedback"),
    "report_upward": N_("reported to the property office"),
    "resolve": N_("resolved"),
    "answer": N_("answered"),
    "callback_satisfied": N_("callback: satisfied"),
    "callback_unsatisfied": N_("callback: not satisfied"),
    "close": N_("archived"),
    "suspend": N_("suspended"),
    "resume": N_("resumed"),
    "second_complaint": N_("second complaint"),
    "escalate": N_("escalated (timer)"),
    "chase": N_("chased"),
    "escalate_manual": N_("escalated by hand"),
    "created": N_("case opened"),
    "draft checked": N_("voicemail draft checked"),
    "filled from the voicemail transcript": N_("filled from the voicemail transcript"),
    "discard": N_("voicemail draft discarded"),
    "removed": N_("removed"),
    "account added": N_("account added"),
    "account enabled": N_("account enabled"),
    "office linked": N_("office linked"),
    "person added": N_("person added"),
    "person deleted": N_("person deleted"),
    "unit added": N_("unit added"),
    "unit deleted": N_("unit deleted"),
}


def reason_text(reason: str | None, lang: str) -> str:
    """The rule book's word for a recorded reason code; any other text as it was typed."""
    if not reason:
        return ""
    return translator(lang).word("au.reason", reason, default=reason)


def action_choices(lang: str) -> list[tuple[str, str]]:
    """The filter's choices: every code the trail records, with its word."""
    codes = list(AU_REASON)
    return [(code, reason_text(code, lang)) for code in codes]


AU_E: Words = {
    "calendar_day": N_("Calendar day"),
    "calendar_year": N_("Calendar year"),
    "call": N_("Call"),
    "case": N_("Case"),
    "duty_shift": N_("Duty rota"),
    "extraction_table": N_("Extraction table"),
    "person": N_("Person"),
    "setting": N_("Setting"),
    "unit": N_("Unit"),
    "user": N_("Account"),
}

VOCABULARIES: dict[str, Words] = {
    "au.e": AU_E,
    "au.reason": AU_REASON,
}
