"""The audit trail as a CSV or Excel file: the rows the page shows (same filters, same scope),
in the reader's language, text neutralised for spreadsheets (callcenter.tickets.controls)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from callcenter import audit
from callcenter.tickets.controls import cell_text, formula_safe
from callcenter.tickets.models import AuditEntry
from callcenter.web.audit.words import reason_text
from callcenter.web.i18n import N_, Translator
from callcenter.web.names import is_system

COLUMNS = ("seq", N_("When"), N_("Who"), N_("Record"), N_("Field"), N_("Before"), N_("After"), N_("Reason"))


# Fields whose recorded value is a code or an account: shown as the page shows them.
LABELLED = {"state": "state", "suspended_from": "state", "kind": "kind", "category": "cat",
            "callback_result": "cb", "role": "role"}  # field → vocabulary  # fmt: skip
ACTOR_FIELDS = frozenset({"first_responder", "created_by", "manager_signed_by", "called_back_by"})
ID_FIELDS = {"station_id": "unit", "parent_id": "unit", "unit_id": "unit", "responsible_person_id": "person",
             "office_head_id": "person"}  # fmt: skip


def _value(raw: str) -> str:
    value = audit.decoded(raw)
    return "" if value is None else str(value)


def _shown(field: str, raw: str, *, tz: ZoneInfo, _: Translator, names: Mapping[str, str],
           ids: Mapping[tuple[str, int], str]) -> str:
    """A recorded value as the reader reads it: 受理 not ``accepted``, 王丽 not ``clerk``, local times."""
    value = _value(raw)
    if not value:
        return value
    if field in LABELLED:
        return _.word(LABELLED[field], value, default=value)
    if field in ACTOR_FIELDS:
        return names.get(value, value)
    if field in ID_FIELDS and value.isdigit():  # a station or a person: its name
        return ids.get((ID_FIELDS[field], int(value)), value)
    if field.endswith("_at"):
        try:
            return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    return value


def table(rows: Sequence[AuditEntry], *, tz: ZoneInfo, lang: str, _: Translator, names: Mapping[str, str],
          ids: Mapping[tuple[str, int], str] | None = None) -> list[list[Any]]:  # fmt: skip
    """Header row plus one row per entry. ``ids``: ("unit" | "person", id) → its name."""
    ids = ids or {}
    out: list[list[Any]] = [["#" if c == "seq" else _(c) for c in COLUMNS]]
    for r in rows:
        who = names.get(r.actor)
        if who and not is_system(r.actor):
            who = f"{who} ({r.actor})"  # a person: the name, and the account the trail records
        out.append([r.seq, r.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), who or r.actor,
                    f"{_.word('au.e', r.entity, default=r.entity)} {r.entity_id}", _.word("field", r.field, default=r.field),
                    _shown(r.field, r.before, tz=tz, _=_, names=names, ids=ids),
                    reason_text(_value(r.after), lang) if r.field == "action"
                    else _shown(r.field, r.after, tz=tz, _=_, names=names, ids=ids),
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
