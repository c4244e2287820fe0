"""Queue and clerk reports over any period (:mod:`callcenter.analytics.kpi`): rows by local day,
hour of day or weekday, one row per clerk, charts drawn like the supervision page's
(:mod:`callcenter.web.supervision.charts`), and the same tables as CSV or xlsx.

Cells of an export are sanitised: control characters removed, and text that a spreadsheet
would read as a formula (``= + - @``, tab, CR) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from callcenter.analytics import kpi
from callcenter.web.errors import BadRequest
from callcenter.web.i18n import N_, Translator, Words, pN_
from callcenter.web.supervision import charts

GROUPS = ("day", "hour", "weekday")
DEFAULT_DAYS = 7
COLUMNS = ("offered", "answered", "abandoned_queue", "abandoned_ringing", "abandoned_voicemail", "short_abandons",
           "voicemail", "busy", "service_level", "abandon_rate", "asa", "aht", "longest_wait")  # fmt: skip
LABELS: Words = {
    "offered": N_("Offered"), "answered": pN_("qr.answered", "Answered"), "abandoned_queue": N_("Abandoned in queue"),
    "abandoned_ringing": N_("Abandoned ringing"), "abandoned_voicemail": N_("Abandoned at voicemail"),
    "short_abandons": N_("Short abandons"), "voicemail": N_("Voicemail"), "busy": N_("Busy / no clerk"),
    "service_level": N_("SL %"), "abandon_rate": N_("Abandon rate %"), "asa": N_("ASA (s)"), "aht": N_("AHT (s)"),
    "longest_wait": N_("Longest wait (s)"),
}  # fmt: skip
CLERK_COLUMNS = ("extension", "answered", "talk_seconds", "aht", "missed_rings", "cases_opened")


def period_of(first: dt.date | None, last: dt.date | None, today: dt.date) -> kpi.Period:
    last = last or today
    first = first or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise BadRequest("from: must not be after to", field="from")
    if (last - first).days >= kpi.MAX_DAYS:
        raise BadRequest(f"from: a period of at most {kpi.MAX_DAYS} days", field="from")
    return kpi.Period(first, last)


def rows(report: kpi.Report, group: str, weekday: Callable[[int], str]) -> list[tuple[str, kpi.Figures]]:
    if group == "hour":
        return [(f"{h:02d}:00", f) for h, f in enumerate(report.by_hour)]
    if group == "weekday":
        return [(weekday(d), f) for d, f in enumerate(report.by_weekday)]
    return [(day.isoformat(), f) for day, f in sorted(report.by_day.items())]


def as_json(report: kpi.Report, group: str) -> dict[str, Any]:
    return {
        "period": [report.period.first.isoformat(), report.period.last.isoformat()], "group": group,
        "service_level_seconds": report.settings.service_level_seconds,
        "short_abandon_seconds": report.settings.short_abandon_seconds,
        "total": report.total.as_dict(),
        "rows": [{"key": key, **f.as_dict()} for key, f in rows(report, group, lambda d: str(d))],
        "clerks": [c.as_dict() for c in report.clerks],
    }  # fmt: skip


def chart_set(report: kpi.Report, group: str, _: Translator) -> dict[str, Markup]:
    data = rows(report, group, lambda d: _.word("wd", d))
    labels = [key[5:] if group == "day" else key[:2] if group == "hour" else key for key, _f in data]
    every = max(1, len(labels) // 14)
    outcomes = [charts.Series(_.pgettext("qr.answered", "Answered"), [f.answered for _k, f in data], "c-answered"),
                charts.Series(_("Abandoned ringing"), [f.abandoned for _k, f in data], "c-abandoned"),
                charts.Series(_("Voicemail"), [f.voicemail for _k, f in data], "c-voicemail"),
                charts.Series(_("Busy / no clerk"), [f.busy for _k, f in data], "c-busy")]  # fmt: skip
    sl = [charts.Series(_("SL %"), [f.service_level for _k, f in data], "c-rate")]
    waits = report.total.waits
    return {
        "calls": charts.bar_chart(_("Calls and outcomes"), labels, outcomes, label_every=every),
        "sl": charts.bar_chart(_("Service level %"), labels, sl, unit="%", top=100, height=150, label_every=every),
        "waits": charts.bar_chart(_("Wait distribution"), list(kpi.WAIT_LABELS),
                                  [charts.Series(_.pgettext("qr.answered", "Answered"), waits, "c-answered")], height=150),
        "legend": charts.legend([(_.pgettext("qr.answered", "Answered"), "c-answered"), (_.pgettext("wb.abandoned", "Abandoned"), "c-abandoned"),
                                 (_("Voicemail"), "c-voicemail"), (_("Busy / no clerk"), "c-busy")]),
    }  # fmt: skip


def cell(value: Any) -> Any:
    """A value safe for a spreadsheet: numbers as they are; text without control characters and
    never read as a formula."""
    if value is None or isinstance(value, (int, float)):
        return "" if value is None else value
    text = "".join(ch for ch in str(value) if unicodedata.category(ch) != "Cc")
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def table(report: kpi.Report, group: str, _: Translator) -> list[list[Any]]:
    """The export's rows: a header, a row per group and the total, a blank line, the clerks."""
    waits = _("Wait distribution (answered)")
    head = [_("Period"), *(_.message(LABELS[c]) for c in COLUMNS), *(f"{waits} {w}" for w in kpi.WAIT_LABELS)]
    out: list[list[Any]] = [head]
    for key, figures in [*rows(report, group, lambda d: _.word("wd", d)), (_("Summary"), report.total)]:
        data = figures.as_dict()
        out.append([key, *(data[c] for c in COLUMNS), *figures.waits])
    out.append([])
    out.append([_("Clerk"), _.pgettext("qr.answered", "Answered"), _("Talk time (s)"), _("AHT (s)"), _("Missed rings"), _("Cases opened (first responsible)")])
    for clerk in report.clerks:
        data = clerk.as_dict()
        out.append([data[c] for c in CLERK_COLUMNS])
    return [[cell(v) for v in row] for row in out]


def to_csv(rows_: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows_)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # a BOM: Excel opens it as UTF-8


def to_xlsx(rows_: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows_:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
