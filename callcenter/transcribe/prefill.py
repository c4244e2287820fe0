"""Filling a draft case's empty fields from its voicemail transcript.

The fields read from the transcript (:func:`callcenter.transcribe.extract.extract`) are
merged into the case with :func:`~callcenter.transcribe.extract.merge_into` semantics:
only empty fields are filled, anything a clerk typed stays. On top of that a field a
person ever edited (it is in the audit log under another actor) is left alone even if it
is empty now (the clerk cleared it on purpose), and a case that is no longer a draft is
not touched at all. The write is a conditional UPDATE on the case's version, under a row
lock, in the caller's short transaction, and it is audited as the voicemail system.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.audit import record_change
from callcenter.tickets.cases import normalize_phone
from callcenter.tickets.models import AuditEntry, Case
from callcenter.transcribe.extract import Address, Extracted, merge_into, normalize

SYSTEM_ACTOR = "system:voicemail"
FIELD_CHARS = {"caller_phone": 64, "compound": 128, "building": 32, "unit_no": 32, "room": 32, "category": 64}
PROBLEM_CHARS = 2000
FILLABLE = ("caller_phone", "compound", "building", "unit_no", "room", "category", "problem")
_ADDRESS = (("compound", "compound"), ("building", "building"), ("unit", "unit_no"), ("room", "room"))


def extracted_from(data: Mapping[str, Any] | None) -> Extracted:
    """An ``Extracted`` back from its ``to_dict()`` form (as a worker returns it)."""
    if not data:
        return Extracted()
    address = data.get("address") or {}
    return Extracted(
        phones=tuple(str(p) for p in data.get("phones") or ()),
        address=Address(**{k: address.get(k) for k in ("compound", "building", "unit", "room")}),
        temperature_c=data.get("temperature_c"),
        category=data.get("category"),
        station=data.get("station"),
    )


def current_of(case: Case) -> dict[str, Any]:
    """The case's fields in ``Extracted.to_dict()`` shape (empty text as None)."""
    return {
        "phones": [case.caller_phone] if case.caller_phone else [],
        "address": {key: getattr(case, column) or None for key, column in _ADDRESS},
        "temperature_c": None,
        "category": case.category or None,
        "station": None,
    }


def proposals(case: Case, extracted: Extracted, transcript: str) -> dict[str, str]:
    """Case columns to set: what ``merge_into`` fills that was empty, plus the problem text."""
    current = current_of(case)
    merged = merge_into(current, extracted)
    out: dict[str, str] = {}
    if not current["phones"] and merged["phones"]:
        phone = str(merged["phones"][0])
        out["caller_phone"] = normalize_phone(phone) or phone
    for key, column in _ADDRESS:
        value = merged["address"].get(key)
        if current["address"][key] is None and value not in (None, ""):
            out[column] = str(value)
    if current["category"] is None and merged["category"]:
        out["category"] = str(merged["category"])
    text = normalize(transcript or "")
    if text and not (case.problem or "").strip():
        out["problem"] = text
    return {k: v[: FIELD_CHARS.get(k, PROBLEM_CHARS)] for k, v in out.items()}


async def edited_by_people(session: AsyncSession, case_id: int, fields: tuple[str, ...] = FILLABLE) -> set[str]:
    """Fields of the case that someone other than the voicemail system changed."""
    rows = await session.scalars(
        select(AuditEntry.field).where(
            AuditEntry.entity == "case", AuditEntry.entity_id == str(case_id),
            AuditEntry.field.in_(fields), AuditEntry.actor != SYSTEM_ACTOR,
        ).distinct()
    )  # fmt: skip
    return set(rows.all())


async def prefill_case(
    session: AsyncSession, case_id: int, extracted: Extracted, transcript: str, now: dt.datetime
) -> list[str]:
    """Fill the draft case's empty, never-edited fields; the names of the fields set."""
    case = await session.scalar(
        select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    )
    if case is None or case.state != "draft":
        return []
    wanted = proposals(case, extracted, transcript)
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
