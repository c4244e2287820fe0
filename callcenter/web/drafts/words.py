"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

VM: Words = {
    "failed": N_("failed"),
    "none": N_("no transcript"),
    "transcribed": N_("transcribed"),
    "transcribing": N_("transcribing…"),
    "unavailable": N_("unavailable"),
}

# The page script's strings: key → msgid, sent translated as JSON (i18n.for_js).
JS_PREFIXES = ('vm.', 'drafts.', 'calls.anonymous', 'live.reconnecting', 'field.urgent')
JS_STRINGS: Words = {
    "calls.anonymous": N_("Number withheld"),
    "drafts.arrived": N_("The transcript arrived and filled the empty fields (yellow ground); what you typed is kept."),
    "drafts.assign": N_("After accepting, assign to"),
    "drafts.assign_later": N_("Not yet"),
    "drafts.conf": N_("Confidence"),
    "drafts.confidence": N_("confidence %(n)s%%"),
    "drafts.confirm": N_("Confirm and accept"),
    "drafts.count": N_("%(n)s to check"),
    "drafts.discard": N_("Discard"),
    "drafts.discard_hint": N_("e.g. silence, wrong number, duplicate"),
    "drafts.discard_reason": N_("Why discard"),
    "drafts.empty": N_("No drafts to check."),
    "drafts.filled_note": N_("Fields on a yellow ground were filled from the transcript: check them."),
    "drafts.gone": N_("Someone else accepted or discarded this draft: nothing more to do here."),
    "drafts.legend": N_("are below %(n)s%% confidence: check them against the recording."),
    "drafts.legend_word": N_("Marked words"),
    "drafts.live": N_("Live"),
    "drafts.low_words": N_("doubtful words"),
    "drafts.no_transcript": N_("No transcript: listen to the recording."),
    "drafts.status": N_("Transcript"),
    "drafts.suggested": N_("(suggested)"),
    "drafts.title": N_("Voicemail drafts"),
    "drafts.transcript": pN_("drafts.transcript", "Transcript"),
    "drafts.transcript_says": N_("Transcript says:"),
    "drafts.word_conf": pN_("drafts.word_conf", "confidence %(n)s%%"),
    "drafts.x.callback": N_("call back"),
    "drafts.x.category": N_("Category hint"),
    "drafts.x.dial": N_("dial %(number)s"),
    "drafts.x.phones": N_("Phones said"),
    "drafts.x.station": N_("Suggested station"),
    "drafts.x.temperature": N_("Room temperature"),
    "field.urgent": N_("Urgent"),
    "live.reconnecting": N_("Disconnected, reconnecting…"),
    "vm.failed": N_("failed"),
    "vm.none": N_("no transcript"),
    "vm.transcribed": N_("transcribed"),
    "vm.transcribing": N_("transcribing…"),
    "vm.unavailable": N_("unavailable"),
    "drafts.why.failed": N_("This message could not be transcribed: please listen to the recording."),
    "drafts.why.no_fields": N_("The details could not be read from the transcript: please fill them in from it."),
    "drafts.why.no_recording": N_("The recording cannot be read, so there is no transcript: please call the caller back."),
    "drafts.why.retrying": N_("Transcription has not worked yet; it is being tried again."),
    "drafts.why.silent": N_("No speech was heard in the recording."),
    "drafts.why.unavailable": N_("No automatic transcript: please listen to the recording."),
}

DRAFTS_WHY: Words = {
    "failed": N_("This message could not be transcribed: please listen to the recording."),
    "no_fields": N_("The details could not be read from the transcript: please fill them in from it."),
    "no_recording": N_("The recording cannot be read, so there is no transcript: please call the caller back."),
    "retrying": N_("Transcription has not worked yet; it is being tried again."),
    "silent": N_("No speech was heard in the recording."),
    "unavailable": N_("No automatic transcript: please listen to the recording."),
}

VOCABULARIES: dict[str, Words] = {
    "vm": VM,
    "drafts.why": DRAFTS_WHY,
}
