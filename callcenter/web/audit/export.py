"""The audit trail as a CSV or Excel file: the rows the page shows (same filters, same scope),
in the reader's language, text neutralised for spreadsheets (callcenter.tickets.controls)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from callcenter import audit
from callcenter.tickets.controls import cell_text, formula_safe
from callcenter.tickets.models import AuditEntry
from callcenter.web.audit.words import reason_text
from callcenter.web.i18n import N_, Translator

COLUMNS = ("seq", N_("When"), N_("Who"), N_("Record"), N_("Field"), N_("Before"), N_("After"), N_("Reason"))


def _value(raw: str) -> str:
    value = audit.decoded(raw)
    return "" if value is None else str(value)


def table(rows: Sequence[AuditEntry], *, tz: ZoneInfo, lang: str, _: Translator,
          names: Mapping[str, str]) -> list[list[Any]]:  # fmt: skip
    """Header row plus one row per entry."""
    out: list[list[Any]] = [["#" if c == "seq" else _(c) for c in COLUMNS]]
    for r in rows:
        who = names.get(r.actor)
        out.append([r.seq, r.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), f"{who} ({r.actor})" if who else r.actor,
                    f"{_.word('au.e', r.entity, default=r.entity)} {r.entity_id}", _.word("field", r.field, default=r.field),
                    _value(r.before), reason_text(_value(r.after), lang) if r.field == "action" else _value(r.after),
                    reason_text(r.reason, lang)])  # fmt: skip
    return out


def to_csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([formula_safe(cell_text(v)) if isinstance(v, str) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads the Chinese


def to_xlsx(rows: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append([cell_text(v) if isinstance(v, str) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
