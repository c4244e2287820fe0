"""The ledger's current filter as a file: ``/calls/export.csv`` and ``/calls/export.xlsx``.

The rows are the ledger's pages read one after another (the same query, keyset paged), so
the file holds exactly what the pages show, newest first, with the page's columns. At most
:data:`MAX_ROWS` rows: a larger filter is refused with a 400 that says to narrow it.

Caller names and notes are attacker-controlled: a cell that starts like a formula (``=``,
``+``, ``-``, ``@``) gets a leading apostrophe (CSV opened in a spreadsheet), and the
control characters that openpyxl refuses (and that XML cannot carry) are removed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from openpyxl import Workbook

from callcenter import phones
from callcenter.web import keys
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import requires
from callcenter.web.calls import ledger
from callcenter.web.calls.api import filters_for
from callcenter.web.calls.schemas import LedgerQuery
from callcenter.web.endpoints import parse_query
from callcenter.web.errors import BadRequest
from callcenter.web.i18n import N_, pN_, translator
from callcenter.web.present import known_caller, names_of

routes = web.RouteTableDef()
MAX_ROWS = 100_000
HEADERS = (N_("Time"), N_("Number"), N_("Number (normalised)"), N_("Caller"), N_("Outcome"), N_("Answered by"),
           N_("Wait"), N_("Talk"), N_("Duration"), N_("Transferred"), N_("Voicemail"), N_("Category"),
           pN_("col.summary", "Summary"))  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # what an XML 1.0 cell cannot hold
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def clean(value: Any) -> Any:
    """A cell's value: text without control characters, no formula; numbers as they are."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    if value.startswith(_FORMULA) and not re.fullmatch(r"\+\d+", value):  # +8613909511234 is a number
        return "'" + value
    return value


def row_of(call: Any, note: Any, tz: ZoneInfo, clerks: dict[str, str], lang: str) -> list[Any]:
    """One call as the ledger's row shows it."""
    started: datetime | None = call.started_at
    name = (note.caller_name if note is not None and note.caller_name else "") or known_caller(call.caller_name)
    _ = translator(lang)
    disposition = _.word("disp", call.disposition or "open")
    # A withheld number reads 未显示号码 as on the pages (the PBX stores "anonymous").
    number = known_caller(call.caller_number) or _("Number withheld")

    def who(ext: str) -> str:  # 王丽（8001）: the clerk by name and extension
        return _("%(name)s (%(ext)s)", name=clerks[ext], ext=ext) if ext in clerks else ext

    return [clean(v) for v in (
        started.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if started else "", number,
        phones.shown(call.caller_number) if phones.parse(call.caller_number) else "", name, disposition,
        who(call.answered_by or ""), _round(call.ring_seconds),
        _round(call.talk_seconds), _round(call.duration_seconds),
        ("、" if lang != "en" else ", ").join(who(e) for e in call.transferred_to or []),
        _round(call.voicemail_duration) if call.voicemail_path else "",
        _.word("cat", note.category) if note is not None and note.category else "",
        note.summary if note is not None else "",
    )]  # fmt: skip


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


async def rows(request: web.Request, filters: ledger.Filters) -> AsyncIterator[list[Any]]:
    """The filter's rows, page after page; a 400 before the first row when there are too many."""
    tz, lang = request.app[keys.CONFIG].tz, request[keys.LANG]
    clerks = (await names_of(request)).clerks
    async with request.app[keys.LIST_READS].connect() as db:
        total = (await ledger.fetch_totals(db, filters, tz)).calls
        if total > MAX_ROWS:
            raise BadRequest(f"{total} calls match: at most {MAX_ROWS} can be exported; narrow the filter")
        paged = ledger.Filters(**{**filters.__dict__, "limit": ledger.MAX_LIMIT})
        cursor: str | None = None
        while True:
            page = await ledger.fetch_page(db, paged, tz, cursor)
            for call, note in page.rows:
                yield row_of(call, note, tz, clerks, lang)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


def headers(lang: str) -> list[str]:
    return [translator(lang).message(word) for word in HEADERS]


def _attachment(body: bytes, content_type: str, suffix: str) -> web.Response:
    return web.Response(body=body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="ledger.{suffix}"', "Cache-Control": "no-store"})  # fmt: skip


@routes.get("/calls/export.csv", name="calls_export_csv")
@requires(Perm.CALLS_VIEW)
async def export_csv(request: web.Request) -> web.StreamResponse:
    filters = await filters_for(request, parse_query(LedgerQuery, request))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(request[keys.LANG]))
    async for row in rows(request, filters):
        writer.writerow(row)
    # A byte-order mark: spreadsheet programs on Chinese Windows read UTF-8 CSV by it.
    return _attachment(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv", "csv")


@routes.get("/calls/export.xlsx", name="calls_export_xlsx")
@requires(Perm.CALLS_VIEW)
async def export_xlsx(request: web.Request) -> web.StreamResponse:
    filters = await filters_for(request, parse_query(LedgerQuery, request))
    found = [row async for row in rows(request, filters)]  # read (or refused) before the workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet(translator(request[keys.LANG]).gettext("Call ledger")[:31])
    sheet.append(headers(request[keys.LANG]))
    for row in found:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return _attachment(out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
