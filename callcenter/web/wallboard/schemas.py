"""The wallboard's and the queue reports' API shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from callcenter.web.endpoints import Day, Params, Schema


class FiguresOut(Schema):
    offered: int
    answered: int
    abandoned: int
    abandoned_queue: int
    abandoned_ringing: int
    abandoned_voicemail: int
    short_abandons: int
    voicemail: int
    busy: int
    failed: int
    answered_in_sl: int
    service_level: float | None = Field(description="% answered within service_level_seconds of offered minus short abandons")
    abandon_rate: float | None = Field(description="% abandoned (short ones left out)")
    asa: float | None = Field(description="average speed of answer, s")
    aht: float | None = Field(description="average talk time of the answered calls, s")
    talk_seconds: float
    longest_wait: float | None
    waits: dict[str, int] = Field(description="answered calls by wait: 0-5, 5-10, 10-15, 15-30, >30 s")


class ClerkOut(Schema):
    extension: str
    name: str
    display_name: str
    state: Literal["hotline_call", "other_call", "ringing", "offline", "paused", "free", "unknown"]
    since: float | None = Field(description="Unix time the state began")
    caller_number: str | None
    caller_name: str | None
    linkedid: str | None
    calls: int
    pause_reason: str | None
    offline_reason: str | None
    queues: list[str]
    device: str
    answered_today: int
    missed_rings_today: int


class Waiting(Schema):
    count: int
    oldest_since: float | None
    longest_wait: float | None


class WallboardOut(Schema):
    type: Literal["wallboard"]
    now: float
    day: str
    service_level_seconds: float
    short_abandon_seconds: float
    today: FiguresOut
    waiting: Waiting
    clerks: list[ClerkOut]
    clerks_by_state: dict[str, int]
    missed_pending: int


class ReportQuery(Params):
    date_from: Day | None = Field(None, alias="from", description="first day (Asia/Shanghai), inclusive")
    date_to: Day | None = Field(None, alias="to", description="last day, inclusive (at most 366 days)")
    group: Literal["day", "hour", "weekday"] = Field("day", description="rows by local day, hour of day or weekday")


class ReportRow(FiguresOut):
    key: str


class ClerkRow(Schema):
    extension: str
    answered: int
    talk_seconds: float
    aht: float | None
    missed_rings: int
    cases_opened: int


class ReportOut(Schema):
    period: list[str]
    group: str
    service_level_seconds: float
    short_abandon_seconds: float
    total: FiguresOut
    rows: list[ReportRow]
    clerks: list[ClerkRow]
