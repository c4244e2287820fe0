"""The call log's API shapes: the ledger's query, the notes a clerk saves, calls as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from callcenter.web.calls.ledger import DEFAULT_LIMIT, DISPOSITIONS, MAX_LIMIT, MISSED, Filters
from callcenter.web.calls.notes import CATEGORIES, LIMITS
from callcenter.web.endpoints import Day, Id, Params, Schema, Version, line, text

Flag = Literal["", "0", "1", "true", "false", "yes", "no", "on", "off"]
Disposition = Literal[DISPOSITIONS]  # type: ignore[valid-type]
Category = Literal[("", *CATEGORIES)]  # type: ignore[valid-type]


MIN_NAME = 2


def _on(flag: str | None) -> bool:
    return (flag or "").lower() in ("1", "true", "yes", "on")


def _minute(value: dt.time | None) -> dt.time | None:
    return value.replace(second=0, microsecond=0, tzinfo=None) if value else None


class CallPath(Params):
    call_id: Id


MAX_SECONDS = 7 * 24 * 3600


class LedgerQuery(Params):
    """The ledger's filters (the page's form, its export and ``GET /api/calls`` alike)."""

    date_from: Day | None = Field(None, alias="from", description="first day (Asia/Shanghai), inclusive")
    date_to: Day | None = Field(None, alias="to", description="last day (Asia/Shanghai), inclusive")
    number: line(64) | None = Field(None, description="caller number: a whole number in any form (+86, 0086, "
                                    "trunk 0, 0951, spaces, dashes) or at least 4 of its digits")
    name: line(64) | None = Field(None, description="part of the caller ID name, the name in the notes or on "
                                  "a linked case (at least 2 characters)")
    clerk: line(64) | None = Field(None, description="extension that answered")
    mine: Flag | None = Field(None, description="1: the calls you answered (your extension)")
    disposition: Literal[("", *DISPOSITIONS)] | None = Field(None, description="outcome")  # type: ignore[valid-type]
    time_from: dt.time | None = Field(None, description="started at or after this local time of day (HH:MM)")
    time_to: dt.time | None = Field(None, description="started before this local time of day (HH:MM); "
                                    "before time_from: the span crosses midnight")
    min_seconds: int | None = Field(None, ge=0, le=MAX_SECONDS, description="duration at least (seconds)")
    max_seconds: int | None = Field(None, ge=0, le=MAX_SECONDS, description="duration at most (seconds)")
    voicemail: Flag | None = Field(None, description="1: only calls with a voicemail")
    transferred: Flag | None = Field(None, description="1: only calls that were transferred")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="page size")
    cursor: line(200) | None = Field(None, description="next_cursor of the previous page (older calls)")
    before: line(200) | None = Field(None, description="prev_cursor of a page (the newer calls before it)")
    count: Flag | None = Field(None, description="ledger page: 1: its totals line counts every matching call "
                               "(else up to 1,000: '1,000+')")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_no_filter(cls, raw: Any) -> Any:
        """The page's form sends its empty fields (``from=&min_seconds=``): no filter, not a 400."""
        if isinstance(raw, dict):
            return {k: v for k, v in raw.items() if not (isinstance(v, str) and not v.strip())}
        return raw

    @field_validator("name")
    @classmethod
    def _name_long_enough(cls, value: str | None) -> str | None:
        if value is not None and 0 < len(value.strip()) < MIN_NAME:
            raise ValueError(f"at least {MIN_NAME} characters of the name")
        return value

    def filters(self) -> Filters:
        return Filters(date_from=self.date_from, date_to=self.date_to, number=(self.number or "").strip() or None,
                       clerk=(self.clerk or "").strip() or None, disposition=self.disposition or None,
                       voicemail=_on(self.voicemail), limit=self.limit, name=(self.name or "").strip() or None,
                       time_from=_minute(self.time_from), time_to=_minute(self.time_to),
                       min_seconds=self.min_seconds, max_seconds=self.max_seconds,
                       transferred=_on(self.transferred), mine=_on(self.mine))  # fmt: skip


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


class SavedNotes(Schema):
    caller_name: str
    address: str
    summary: str
    category: str
    version: int
    updated_by: str | None = Field(description="who saved this version")
    updated_at: str | None = Field(description="when this version was saved")


class NotesConflict(Schema):
    """A 409 of a notes save from a stale version: nothing was saved; the notes as saved now and
    the fields where your input differs from them. Sending your input again with
    ``version = current_version`` overwrites them knowingly."""

    error: Literal["conflict"]
    message: str
    fields: list[str] = Field(description="fields you sent that differ from the saved notes")
    current: SavedNotes
    current_version: int


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
    prev_cursor: str | None = Field(None, description="pass as ``before`` for the newer calls")


class Totals(Schema):
    calls: int
    answered: int
    voicemail: int
    transferred: int
    talk_seconds: float


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
