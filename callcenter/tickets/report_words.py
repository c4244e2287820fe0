"""The words of the reports R1–R3, in Simplified Chinese (the default) and English.

A report is written in the language of whoever asks for it (the panel's language, the CLI's
``--lang``; the timer's drafts in Chinese), in one language only, with the rule book's own terms
(受理, 办结, 按期办结率, 回访率, 二次投诉, 催办, 督办件 …). The words are gettext messages
(context ``report``; English msgids, the Chinese in the ``zh_CN`` catalog, callcenter/web/README.md
*Translating*), looked up by the report builder's keys.
"""

from __future__ import annotations

from callcenter.web.i18n import Words, pN_, translator

LANGUAGES = ("zh", "en")

# key → (context, English msgid); ``%(name)s`` placeholders are filled by ``word(..., name=...)``.
WORDS: Words = {
    "section.summary": pN_("report", "Summary"),
    "section.by_kind": pN_("report", "By kind"),
    "section.by_category": pN_("report", "By category"),
    "section.by_station": pN_("report", "By station"),
    "section.overdue": pN_("report", "Overdue"),
    "section.second_complaints": pN_("report", "Second complaints"),
    "section.chases": pN_("report", "Reminders (chasing)"),
    "fig.accepted": pN_("report", "Cases accepted"),
    "fig.resolved": pN_("report", "Cases resolved"),
    "fig.on_time": pN_("report", "Resolved on time"),
    "fig.on_time_rate": pN_("report", "On-time completion rate (%)"),
    "fig.need_callback": pN_("report", "Callbacks needed"),
    "fig.called_back": pN_("report", "Callbacks done"),
    "fig.callback_rate": pN_("report", "Callback rate (%, target 100)"),
    "fig.second": pN_("report count", "Second complaints"),
    "fig.chases": pN_("report", "Reminders sent (chasing)"),
    "fig.escalations": pN_("report", "Escalations"),
    "fig.calls": pN_("report", "Calls"),
    "fig.calls.answered": pN_("report", "of which answered"),
    "fig.calls.abandoned": pN_("report", "of which abandoned"),
    "fig.calls.voicemail": pN_("report", "of which voicemail"),
    "fig.calls.busy": pN_("report", "of which no clerk available"),
    "fig.calls.failed": pN_("report", "of which failed"),
    "fig.calls.open": pN_("report", "of which in progress"),
    "col.figure": pN_("report", "Figure"),
    "col.value": pN_("report", "Value"),
    "col.kind": pN_("report", "Kind"),
    "col.cases": pN_("report", "Cases"),
    "col.category": pN_("report", "Category"),
    "col.station": pN_("report", "Station"),
    "col.case": pN_("report", "Case"),
    "col.rule": pN_("report", "Rule"),
    "col.person": pN_("report", "Responsible person"),
    "col.due": pN_("report", "Due"),
    "col.done": pN_("report", "Done"),
    "col.hours_late": pN_("report", "Hours late"),
    "col.phone": pN_("report", "Phone"),
    "col.count": pN_("report", "Times"),
    "col.first": pN_("report", "First"),
    "col.level": pN_("report", "Escalation level"),
    "col.state": pN_("report", "State"),
    "col.at": pN_("report", "When"),
    "col.by": pN_("report", "By"),
    "col.to": pN_("report", "To"),
    "col.note": pN_("report", "Note"),
    "none.category": pN_("report", "(none)"),
    "none.station": pN_("report", "(unassigned)"),
    "open": pN_("report", "open"),
    "kind.complaint": pN_("report", "Complaint"),
    "kind.supervision": pN_("report", "Supervision case"),
    "kind.repair": pN_("report", "Repair"),
    "kind.temperature": pN_("report", "Temperature"),
    "kind.consultation": pN_("report", "Consultation"),
    "kind.application": pN_("report", "Application"),
    "state.draft": pN_("report", "Draft"),
    "state.accepted": pN_("report", "Accepted"),
    "state.assigned": pN_("report", "Assigned"),
    "state.feedback_received": pN_("report", "Feedback in"),
    "state.resolved": pN_("report", "Resolved"),
    "state.called_back": pN_("report", "Called back"),
    "state.closed": pN_("report", "Archived"),
    "state.suspended": pN_("report", "Suspended"),
    "action.chase": pN_("report", "Chase"),
    "action.escalate_manual": pN_("report", "Escalated"),
    "section.queue": pN_("report", "Queue figures"),
    "section.clerks": pN_("report", "Clerks' calls"),
    "q.offered": pN_("report", "Calls offered"),
    "q.answered": pN_("report", "Answered"),
    "q.answered_in_sl": pN_("report", "Answered within %(n)s s"),
    "q.service_level": pN_("report", "Service level (%%, within %(n)s s)"),
    "q.asa": pN_("report", "Average speed of answer (s)"),
    "q.aht": pN_("report", "Average talk time (s)"),
    "q.abandoned": pN_("report", "Abandoned"),
    "q.abandoned_queue": pN_("report", "of which while queued"),
    "q.abandoned_ringing": pN_("report", "of which while ringing"),
    "q.abandoned_voicemail": pN_("report", "of which in the voicemail greeting"),
    "q.short_abandons": pN_("report", "Short abandons (within %(n)s s, apart)"),
    "q.abandon_rate": pN_("report", "Abandon rate (%)"),
    "q.voicemail": pN_("report", "Voicemail"),
    "q.busy": pN_("report", "No clerk available"),
    "q.failed": pN_("report", "Failed"),
    "q.longest_wait": pN_("report", "Longest wait (s)"),
    "q.wait": pN_("report", "Waited %(label)s s"),
    "col.extension": pN_("report", "Extension"),
    "col.answered": pN_("report column", "Answered"),
    "col.talk_seconds": pN_("report", "Talk time (s)"),
    "col.aht": pN_("report", "Average talk (s)"),
    "col.missed_rings": pN_("report", "Missed rings"),
    "col.cases_opened": pN_("report", "Cases opened (first responsible)"),
    "title": pN_("report", "%(id)s %(title)s: %(first)s – %(last)s"),
    # who: a clerk by name and extension, the system by what it is (never a login)
    "col.clerk": pN_("report", "Clerk"),
    "who.with_ext": pN_("report", "%(name)s (%(ext)s)"),
    "actor.system": pN_("report", "System"),
    "actor.system:voicemail": pN_("report", "System (voicemail transcription)"),
}


def language(lang: str | None) -> str:
    """``lang`` if the reports speak it, else Chinese."""
    return lang if lang in LANGUAGES else "zh"


def word(lang: str, key: str, **values: object) -> str:
    found = WORDS.get(key)
    return key if found is None else translator(language(lang)).message(found, **values)
