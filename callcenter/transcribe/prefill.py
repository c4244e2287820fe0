"""Filling a draft case's empty fields from its voicemail transcript.

The fields read from the transcript (:func:`callcenter.transcribe.extract.extract`) are
merged into the case with :func:`~callcenter.transcribe.extract.merge_into` semantics:
only empty fields are filled, anything a clerk typed stays. On top of that a field a
person ever edited (it is in the audit log under another actor) is left alone even if it
is empty now (the clerk cleared it on purpose), and a case that is no longer a draft is
not touched at all. The write is a conditional UPDATE on the case's version, under a row
lock, in the caller's short transaction, and it is audited as the voicemail system.

The transcript's category also pre-sets what decides the deadline clocks: the kind of case
(still the placeholder :data:`DRAFT_KIND` the draft was created with), the urgent flag and
a severity, as the category's ``case`` entry in ``keywords.toml`` says. A voicemail draft
has no clocks: they start when the clerk accepts it (受理), under the kind it has then. A
draft that has clocks all the same (created with a department's receipt time, D1) keeps
its kind: the clocks were chosen by it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.audit import record_change
from callcenter.phones import parse
from callcenter.tickets.cases import normalize_phone
from callcenter.tickets.models import AuditEntry, Case, CaseDeadline
from callcenter.transcribe.extract import Address, Extracted, merge_into, normalize
from callcenter.transcribe.tables import CaseHint, KeywordTable, TableError, default_keywords

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system:voicemail"
DRAFT_KIND = "complaint"  # a voicemail draft's kind until its transcript or the clerk says otherwise
FIELD_CHARS = {"caller_phone": 64, "compound": 128, "building": 32, "unit_no": 32, "room": 32, "category": 64}
PROBLEM_CHARS = 2000
CLOCK_FIELDS = ("kind", "urgent", "severity")  # they decide which deadline clocks a case gets
NO_HINT = CaseHint()
FILLABLE = ("caller_phone", "compound", "building", "unit_no", "room", "category", "problem", *CLOCK_FIELDS)
_ADDRESS = (("compound", "compound"), ("building", "building"), ("unit", "unit_no"), ("room", "room"))


def extracted_from(data: Mapping[str, Any] | None) -> Extracted:
    """An ``Extracted`` back from its ``to_dict()`` form (as a worker returns it)."""
    if not data:
        return Extracted()
    address = data.get("address") or {}
    return Extracted(
        phones=tuple(str(p) for p in data.get("phones") or ()),
        callback=str(data["callback"]) if data.get("callback") else None,
        address=Address(**{k: address.get(k) for k in ("compound", "building", "unit", "room")}),
        temperature_c=data.get("temperature_c"),
        category=data.get("category"),
        station=data.get("station"),
    )


def case_phone(value: str) -> str:
    """A number read from a transcript as the case's phone: dialled as the hotline dials it
    (the form the call log holds caller numbers in), with its extension (6085708 转 8001)."""
    phone = parse(value)
    if phone is None:
        return normalize_phone(value) or value
    return phone.dialled + (f" 转 {phone.ext}" if phone.ext else "")


def current_of(case: Case) -> dict[str, Any]:
    """The case's fields in ``Extracted.to_dict()`` shape (empty text as None)."""
    return {
        "phones": [case.caller_phone] if case.caller_phone else [],
        "address": {key: getattr(case, column) or None for key, column in _ADDRESS},
        "temperature_c": None,
        "category": case.category or None,
        "station": None,
    }


def proposals(case: Case, extracted: Extracted, transcript: str, hint: CaseHint = NO_HINT) -> dict[str, Any]:
    """Case columns to set: what ``merge_into`` fills that was empty, the problem text, and
    what the category's ``hint`` suggests for the kind, urgency and severity."""
    current = current_of(case)
    merged = merge_into(current, extracted)
    out: dict[str, Any] = {}
    if not current["phones"] and merged["phones"]:
        out["caller_phone"] = case_phone(extracted.callback_first()[0])
    for key, column in _ADDRESS:
        value = merged["address"].get(key)
        if current["address"][key] is None and value not in (None, ""):
            out[column] = str(value)
    if current["category"] is None and merged["category"]:
        # The case's 分类 is free text people type and reports group by: the table's label
        # (温度不达标 / 测温), not its code, when it has one.
        out["category"] = hint.label or str(merged["category"])
    text = normalize(transcript or "")
    if text and not (case.problem or "").strip():
        out["problem"] = text
    return {k: v[: FIELD_CHARS.get(k, PROBLEM_CHARS)] for k, v in out.items()} | clock_proposals(case, hint)


def clock_proposals(case: Case, hint: CaseHint) -> dict[str, Any]:
    """The kind (only over the voicemail draft's placeholder), the urgent flag (only to set
    it) and the severity (only where there is none) that ``hint`` suggests."""
    out: dict[str, Any] = {}
    placeholder = case.kind == DRAFT_KIND and case.created_by == SYSTEM_ACTOR
    if hint.kind is not None and placeholder and hint.kind != case.kind:
        out["kind"] = hint.kind
    if hint.urgent and not case.urgent:
        out["urgent"] = True
    if hint.severity is not None and case.severity is None:
        out["severity"] = hint.severity
    return out


def hint_for(category: str | None, keywords: KeywordTable | None = None) -> CaseHint:
    """What ``category`` suggests for the case (the packaged table by default); nothing when
    the table cannot be read (logged: the transcript is stored all the same)."""
    if not category:
        return NO_HINT
    try:
        table = default_keywords() if keywords is None else keywords
    except TableError as exc:
        log.warning("voicemail: the kind of case is not pre-set: %s", exc)
        return NO_HINT
    return table.hint(category)


async def edited_by_people(session: AsyncSession, case_id: int, fields: tuple[str, ...] = FILLABLE) -> set[str]:
    """Fields of the case that someone other than the voicemail system changed."""
    rows = await session.scalars(
        select(AuditEntry.field).where(
            AuditEntry.entity == "case", AuditEntry.entity_id == str(case_id),
            AuditEntry.field.in_(fields), AuditEntry.actor != SYSTEM_ACTOR,
        ).distinct()
    )  # fmt: skip
    return set(rows.all())


async def has_clocks(session: AsyncSession, case_id: int) -> bool:
    """Whether any deadline clock was ever started for the case."""
    return await session.scalar(select(CaseDeadline.id).where(CaseDeadline.case_id == case_id).limit(1)) is not None


async def prefill_case(
    session: AsyncSession, case_id: int, extracted: Extracted, transcript: str, now: dt.datetime, *,
    keywords: KeywordTable | None = None,
) -> list[str]:  # fmt: skip
    """Fill the draft case's empty, never-edited fields; the names of the fields set."""
    case = await session.scalar(
        select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    )
    if case is None or case.state != "draft":
        return []
    wanted = proposals(case, extracted, transcript, hint_for(extracted.category, keywords))
    if any(field in wanted for field in CLOCK_FIELDS) and await has_clocks(session, case_id):
        wanted = {k: v for k, v in wanted.items() if k not in CLOCK_FIELDS}
    for field in await edited_by_people(session, case_id, tuple(wanted)) if wanted else ():
        wanted.pop(field, None)
    if not wanted:
        return []
    changes = {field: (getattr(case, field), value) for field, value in wanted.items()}
    result = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.version == case.version, Case.state == "draft")
        .values(**wanted, version=case.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return []  # changed under us (cannot happen under the row lock; belt and braces)
    await record_change(session, actor=SYSTEM_ACTOR, entity="case", entity_id=case_id, changes=changes,
                        reason="filled from the voicemail transcript", at=now)  # fmt: skip
    return sorted(wanted)
