"""The call log's API shapes: the ledger's query, the notes a clerk saves, calls as the API shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from callcenter.web.calls.ledger import DEFAULT_LIMIT, DISPOSITIONS, MAX_LIMIT, MISSED, Filters
from callcenter.web.calls.notes import CATEGORIES, LIMITS
from callcenter.web.endpoints import Day, Id, Params, Schema, Version, line, text

Flag = Literal["", "0", "1", "true", "false", "yes", "no", "on", "off"]
Disposition = Literal[DISPOSITIONS]  # type: ignore[valid-type]
Category = Literal[("", *CATEGORIES)]  # type: ignore[valid-type]


def _on(flag: str | None) -> bool:
    return (flag or "").lower() in ("1", "true", "yes", "on")


class CallPath(Params):
    call_id: Id


class LedgerQuery(Params):
    """The ledger's filters (the page's form and ``GET /api/calls`` alike)."""

    date_from: Day | None = Field(None, alias="from", description="first day (Asia/Shanghai), inclusive")
    date_to: Day | None = Field(None, alias="to", description="last day (Asia/Shanghai), inclusive")
    number: line(64) | None = Field(None, description="caller number")
    clerk: line(64) | None = Field(None, description="extension that answered")
    disposition: Literal[("", *DISPOSITIONS)] | None = Field(None, description="outcome")  # type: ignore[valid-type]
    voicemail: Flag | None = Field(None, description="1: only calls with a voicemail")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="page size")
    cursor: line(200) | None = Field(None, description="next_cursor of the previous page")

    def filters(self) -> Filters:
        return Filters(date_from=self.date_from, date_to=self.date_to, number=(self.number or "").strip() or None,
                       clerk=(self.clerk or "").strip() or None, disposition=self.disposition or None,
                       voicemail=_on(self.voicemail), limit=self.limit)  # fmt: skip


class MissedQuery(LedgerQuery):
    disposition: Literal[("", *MISSED)] | None = Field(None, description="outcome")  # type: ignore[valid-type]
    pending: Flag = Field("1", description="1 (default): not called back yet")

    def filters(self) -> Filters:
        base = super().filters()
        return Filters(**{**base.__dict__, "missed": True, "pending": _on(self.pending)})


class CallerQuery(Params):
    number: line(64, min_length=1) = Field(description="caller number")


class NotesIn(Schema):
    version: Version = Field(description="the notes' version you edited (0: none yet)")
    caller_name: line(LIMITS["caller_name"]) | None = None
    address: line(LIMITS["address"]) | None = None
    summary: text(LIMITS["summary"]) | None = None
    category: Category | None = None


class Notes(Schema):
    caller_name: str
    address: str
    summary: str
    category: str
    version: int
    called_back_at: str | None
    called_back_by: str | None
    updated_at: str | None
    updated_by: str | None


class Voicemail(Schema):
    mailbox: str | None
    duration_seconds: float | None
    audio_url: str


class CallOut(Schema):
    id: int
    linkedid: str
    caller_number: str
    caller_name: str
    dialed_number: str
    started_at: str | None
    answered_at: str | None
    ended_at: str | None
    ring_seconds: float | None
    talk_seconds: float | None
    duration_seconds: float | None
    disposition: str | None
    abandon_stage: str | None
    answered_by: str | None
    answered_by_name: str | None
    transferred_to: list[str]
    voicemail: Voicemail | None
    source: str
    status: str
    incomplete: bool
    notes: Notes


class CallPage(Schema):
    items: list[CallOut]
    next_cursor: str | None


class Change(Schema):
    at: str | None
    actor: str
    field: str
    before: str | None
    after: str | None
    reason: str | None = None


class CallDetail(CallOut):
    history: list[Change]


class OpenCase(Schema):
    id: int
    kind: str
    state: str
    url: str
    created_at: str | None
    accepted_at: str | None
    problem: str
    station: str | None
    second_complaint_risk: bool


class Caller(Schema):
    number: str
    known_names: list[str]
    previous_calls: list[CallOut]
    open_cases: list[OpenCase]
    second_complaint: bool = Field(description="an open case makes a new complaint a 二次投诉")
    cases_available: bool
