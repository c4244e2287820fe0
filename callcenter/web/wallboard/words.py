"""This feature's vocabularies and page-script strings (how they work: callcenter.web.i18n)."""

from __future__ import annotations

from callcenter.web.i18n import N_, Words, pN_

CLERK: Words = {
    "free": N_("Free"),
    "hotline_call": N_("On a hotline call"),
    "offline": N_("Offline"),
    "other_call": N_("On another call"),
    "paused": N_("Paused"),
    "ringing": N_("Ringing"),
    "unknown": N_("Unknown"),
}

CLERK_OFFLINE: Words = {
    "logged_out": N_("logged out of the queue"),
    "unreachable": N_("phone unreachable"),
}

QR_GROUP: Words = {
    "day": pN_("qr.group.day", "Day"),
    "hour": N_("Hour"),
    "weekday": N_("Weekday"),
}

WD: Words = {
    "0": N_("Mon"),
    "1": N_("Tue"),
    "2": N_("Wed"),
    "3": N_("Thu"),
    "4": N_("Fri"),
    "5": N_("Sat"),
    "6": N_("Sun"),
}

# The page script's strings: key → msgid, sent translated as JSON (i18n.for_js).
JS_PREFIXES = ('wb.', 'clerk.')
JS_STRINGS: Words = {
    "clerk.free": N_("Free"),
    "clerk.hotline_call": N_("On a hotline call"),
    "clerk.offline": N_("Offline"),
    "clerk.offline.logged_out": N_("logged out of the queue"),
    "clerk.offline.unreachable": N_("phone unreachable"),
    "clerk.other_call": N_("On another call"),
    "clerk.paused": N_("Paused"),
    "clerk.ringing": N_("Ringing"),
    "clerk.unknown": N_("Unknown"),
    "wb.abandon_rate": N_("Abandon rate"),
    "wb.abandoned": pN_("wb.abandoned", "Abandoned"),
    "wb.aht": N_("Avg. talk time"),
    "wb.answered": N_("Answered"),
    "wb.answered_today": N_("Answered today"),
    "wb.asa": N_("Avg. speed of answer"),
    "wb.busy": N_("Busy / no clerk"),
    "wb.clerk": N_("Clerk"),
    "wb.clerks": N_("Clerks"),
    "wb.connected": pN_("wb.connected", "Live"),
    "wb.leave_screen": N_("Leave big screen"),
    "wb.longest": N_("Longest wait"),
    "wb.missed": N_("Missed, not called back"),
    "wb.missed_rings": N_("Missed rings today"),
    "wb.no_clerks": N_("No clerk phone has reported yet."),
    "wb.offered": N_("Calls today"),
    "wb.reconnecting": N_("Connection lost, reconnecting…"),
    "wb.screen": N_("Big screen"),
    "wb.short": N_("of which short (<%(s)s s)"),
    "wb.since": N_("For"),
    "wb.sl": N_("Service level (answered within %(s)s s)"),
    "wb.state": N_("State"),
    "wb.title": N_("Wallboard"),
    "wb.updated": N_("Updated"),
    "wb.voicemail": N_("Voicemail"),
    "wb.waiting": N_("Waiting"),
    "wb.with": N_("With"),
}

VOCABULARIES: dict[str, Words] = {
    "clerk": CLERK,
    "clerk.offline": CLERK_OFFLINE,
    "qr.group": QR_GROUP,
    "wd": WD,
}
