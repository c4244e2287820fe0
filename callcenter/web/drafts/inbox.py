"""The voicemail draft inbox: draft cases with their recording, transcript and extracted fields.

A voicemail call becomes a draft case (state ``draft``, source ``voicemail``) with a
``voicemail_drafts`` row (transcript, words with confidence, extracted fields, why there is no
transcript) — :mod:`callcenter.transcribe.drafts`. The clerk confirms a draft (the fields as
corrected, then 受理 → ``accepted``: the deadline clocks start) or discards it with a reason.

Both happen in one transaction, guarded by the case's version (the transcript may arrive and
pre-fill the case while the clerk reads it: then the clerk reloads and sees it). The workflow
has no "discard" action yet: a discarded draft is archived (``closed``) with a ``discard``
event, the reason, and an audit entry; whoever may accept a draft may discard it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.audit import record_change
from callcenter.db.models import Call
from callcenter.tickets import workflow
from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.cases import normalize_phone, transition_in
from callcenter.tickets.clocks import apply_events
from callcenter.tickets.controls import refusal
from callcenter.tickets.errors import N_, Conflict, IllegalTransition, InvalidInput
from callcenter.tickets.models import Case, CaseCall, CaseEvent
from callcenter.web.errors import NotFound
from callcenter.web.scope import Scope

try:  # HOOK(transcribe): the voicemail pipeline's table (callcenter/transcribe/models.py)
    from callcenter.transcribe.models import VoicemailDraft
except ImportError:  # pragma: no cover - without it the inbox lists draft cases, no transcripts
    VoicemailDraft = None  # type: ignore[assignment,misc]

LOW_CONFIDENCE = 0.6
# The fields the clerk checks on a draft (the case's editable fields that a draft form shows).
TEXT_FIELDS = {"caller_name": 128, "caller_phone": 64, "compound": 128, "building": 32, "unit_no": 32,
               "room": 32, "category": 64, "problem": 4000, "damage": 2000}  # fmt: skip
FLAGS = ("urgent", "difficult")
SYSTEM_PREFIX = "system"  # "system", "system:voicemail": not a person
REASON_CHARS = 2000


@dataclass(frozen=True)
class Word:
    text: str
    conf: float | None
    start: float | None

    @property
    def low(self) -> bool:
        return self.conf is not None and self.conf < LOW_CONFIDENCE


@dataclass
class Draft:
    case: Case
    call: Call | None = None
    vm: Any = None  # VoicemailDraft | None
    words: list[Word] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.vm.status if self.vm is not None else "none"

    @property
    def low_words(self) -> int:
        return sum(1 for w in self.words if w.low)

    @property
    def notice(self) -> str:
        """What the clerk is told about the transcript, as a key (``drafts.why.<key>``), or "".
        The stored reason is the operator's diagnostic (the log, ``callcenter check``)."""
        return plain_notice(self.status, getattr(self.vm, "reason", None))


# The transcriber's reasons that mean the recording itself could not be read.
NO_RECORDING = ("recording refused", "no recording path")


def plain_notice(status: str, reason: str | None) -> str:
    """A draft's transcription status and stored reason → the key of a plain sentence, or ""."""
    why = (reason or "").lower()
    if status == "unavailable":
        return "unavailable"
    if status == "failed":
        return "no_recording" if why.startswith(NO_RECORDING) else "failed"
    if status == "transcribing":
        return "retrying" if why else ""
    if status == "transcribed":
        if "field extraction failed" in why:
            return "no_fields"
        if "no speech" in why:
            return "silent"
    return ""


def words_of(raw: Any) -> list[Word]:
    """The transcript's words (untrusted JSON): text, confidence and start time, or nothing."""
    out: list[Word] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("word"), str):
            continue
        conf, start = item.get("conf"), item.get("start")
        out.append(Word(item["word"][:64], float(conf) if isinstance(conf, int | float) else None,
                        float(start) if isinstance(start, int | float) else None))  # fmt: skip
    return out


async def _first_calls(session: AsyncSession, case_ids: list[int]) -> dict[int, Call]:
    rows = await session.execute(
        select(CaseCall.case_id, Call).join(Call, Call.id == CaseCall.call_id)
        .where(CaseCall.case_id.in_(case_ids), CaseCall.reason == "first")
    )  # fmt: skip
    return {case_id: call for case_id, call in rows.all()}


async def _voicemails(session: AsyncSession, case_ids: list[int]) -> dict[int, Any]:
    if VoicemailDraft is None or not case_ids:
        return {}
    rows = await session.scalars(select(VoicemailDraft).where(VoicemailDraft.case_id.in_(case_ids)))
    return {vm.case_id: vm for vm in rows.all() if vm.case_id is not None}


async def list_drafts(session: AsyncSession, *, limit: int = 100, scope: Scope | None = None) -> list[Draft]:
    """Draft cases, urgent ones first (a burst pipe's clock is one hour from the voicemail),
    then oldest message first (the queue order: first in, first confirmed)."""
    stmt = select(Case).where(Case.state == "draft", (scope or Scope()).clause())
    stmt = stmt.order_by(Case.urgent.desc(), Case.received_at, Case.id).limit(limit)
    cases = list((await session.scalars(stmt)).all())
    ids = [c.id for c in cases]
    calls, vms = await _first_calls(session, ids), await _voicemails(session, ids)
    return [Draft(c, calls.get(c.id), vms.get(c.id), words_of(getattr(vms.get(c.id), "words", None))) for c in cases]


async def get_draft(session: AsyncSession, case_id: int, scope: Scope | None = None) -> Draft:
    case = await session.get(Case, case_id, populate_existing=True)
    if case is None or case.state != "draft" or not (scope or Scope()).sees(case):
        raise NotFound("no such draft")
    calls, vms = await _first_calls(session, [case_id]), await _voicemails(session, [case_id])
    vm = vms.get(case_id)
    return Draft(case, calls.get(case_id), vm, words_of(getattr(vm, "words", None)))


def read_fields(source: Mapping[str, Any]) -> dict[str, Any]:
    """The case fields a confirmation sets (only those present in ``source``), checked."""
    out: dict[str, Any] = {}
    for name, limit in TEXT_FIELDS.items():
        if name in source:
            value = str(source.get(name) or "").strip()
            if len(value) > limit:
                raise InvalidInput(N_("%(field)s: at most %(n)s characters"), field=name, n=limit)
            why = refusal(name, value, multiline=name in ("problem", "damage"))
            if why:
                raise InvalidInput(why)
            out[name] = normalize_phone(value) or value if name == "caller_phone" else value
    for name in FLAGS:
        if name in source:
            out[name] = str(source.get(name)).lower() in ("1", "true", "on", "yes")
    severity = str(source.get("severity") or "").strip() or None
    if "severity" in source:
        if severity is not None and severity not in workflow.SEVERITIES:
            raise InvalidInput(N_("severity: one of %(severities)s"), severities=workflow.SEVERITIES)
        out["severity"] = severity
    kind = str(source.get("kind") or "").strip()
    if kind:
        if kind not in workflow.KINDS:
            raise InvalidInput(N_("kind: one of %(kinds)s"), kinds=workflow.KINDS)
        out["kind"] = kind
    return out


async def _claim_draft(session: AsyncSession, case_id: int, version: int | None, values: dict[str, Any],
                       now: dt.datetime) -> Case:  # fmt: skip
    """Conditional UPDATE of the draft (still a draft, still the version the clerk saw)."""
    case = await session.get(Case, case_id, populate_existing=True)
    if case is None:
        raise NotFound("no such draft")
    if case.state != "draft":
        raise IllegalTransition(N_("case #%(case)s is no longer a draft (state %(state)s)"), case_id=case_id,
                                case=case_id, state=case.state)  # fmt: skip
    expected = case.version if version is None else version
    result = await session.execute(
        update(Case).where(Case.id == case_id, Case.state == "draft", Case.version == expected)
        .values(version=expected + 1, updated_at=now, **values).execution_options(synchronize_session=False)
    )  # fmt: skip
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("case #%(case)s changed meanwhile (the transcript may have arrived); reload"),
                       case_id=case_id, case=case_id)  # fmt: skip
    return case


async def confirm_draft(
    sessions: async_sessionmaker[AsyncSession], case_id: int, source: Mapping[str, Any], *, actor: str,
    role: str, now: dt.datetime, version: int | None, responder: str | None = None,
) -> Case:  # fmt: skip
    """Store the clerk's corrections (audited) and accept the case, in one transaction; with
    ``assign_station_id`` in ``source`` also assign it to that station (交办).

    首问责任制: the clerk who confirms a voicemail draft is the first staff member who takes the
    matter up, so a draft the system opened gets them as its first responsible person
    (``responder``: their extension, as calls name clerks; default ``actor``) and registrar."""
    fields = read_fields(source)
    async with sessions() as session, session.begin():
        case = await session.get(Case, case_id)
        if case is not None:
            workflow.plan(case, "accept", role)  # the role may accept (before anything is written)
            if (case.first_responder or SYSTEM_PREFIX).startswith(SYSTEM_PREFIX):
                fields = {**fields, "first_responder": responder or actor}
            if case.created_by.startswith(SYSTEM_PREFIX):
                fields = {**fields, "created_by": actor}
        before = {k: getattr(case, k, None) for k in fields}
        changed = {k: v for k, v in fields.items() if before[k] != v}
        await _claim_draft(session, case_id, version, changed, now)
        if changed:
            await record_change(session, actor=actor, entity="case", entity_id=case_id,
                                changes={k: (before[k], v) for k, v in changed.items()},
                                reason="draft checked", at=now)  # fmt: skip
        clockwork = await load_clockwork(session)
        case = await transition_in(session, case_id, "accept", actor=actor, role=role, now=now,
                                   clockwork=clockwork)  # fmt: skip
        station = _station_id(source.get("assign_station_id"))
        if station is not None:  # 受理 and 交办 at once, to the station the clerk chose
            case = await transition_in(session, case_id, "assign", actor=actor, role=role, now=now,
                                       clockwork=clockwork, data={"station_id": station})  # fmt: skip
        return case


def removed_message(case_id: int, outcome: str) -> dict[str, Any]:
    """The live feed's word that a draft left the inbox (``accepted`` or ``discarded``)."""
    return {"type": "draft", "case_id": case_id, "status": outcome, "removed": True}


def assign_station(source: Mapping[str, Any]) -> int | None:
    """The station a confirmation assigns the case to at once, if any."""
    return _station_id(source.get("assign_station_id"))


def _station_id(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidInput("assign_station_id: a station id") from None


async def discard_draft(
    sessions: async_sessionmaker[AsyncSession], case_id: int, reason: str, *, actor: str, role: str,
    now: dt.datetime, version: int | None,
) -> Case:  # fmt: skip
    """Archive a draft that is no case (silence, a wrong number, a duplicate), with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason: say why the draft is discarded")
    if len(reason) > REASON_CHARS:
        raise InvalidInput(N_("%(field)s: at most %(n)s characters"), field="reason", n=REASON_CHARS)
    async with sessions() as session, session.begin():
        case = await session.get(Case, case_id)
        if case is not None:
            workflow.plan(case, "accept", role)  # who may accept a draft may discard it
        case = await _claim_draft(session, case_id, version, {"state": "closed", "closed_at": now}, now)
        session.add(CaseEvent(case_id=case_id, action="discard", from_state="draft", to_state="closed",
                              actor=actor, role=role, at=now, reason=reason, data={}))  # fmt: skip
        await record_change(session, actor=actor, entity="case", entity_id=case_id,
                            changes={"state": ("draft", "closed")}, reason=reason, at=now)  # fmt: skip
        case = await session.get(Case, case_id, populate_existing=True)
        assert case is not None
        await apply_events(session, case, ["closed"], now, await load_clockwork(session))
        return case
