"""The inbox's and the duty rota's API shapes."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from callcenter.web.endpoints import Id, Params, Schema, line

Flag = str


class InboxQuery(Params):
    unread: line(5) | None = Field(None, description="1: only what you have not read")
    case: Id | None = Field(None, description="only the notices of this case")
    before: Id | None = Field(None, description="next_before of the previous page")


class Notice(Schema):
    id: int
    case_id: int | None
    url: str | None = Field(description="the case the notice is about")
    kind: str = Field(description="reminder | breach | escalation | instruction | copy | chase | report_reminder …")
    recipient_role: str
    recipient: str | None
    text: str = Field(description="in the reader's language")
    text_zh: str
    text_en: str
    delivered_at: str = Field(description="when it reached the inbox")
    read: bool


class InboxPage(Schema):
    items: list[Notice]
    unread: int = Field(description="unread notices in your inbox (the top bar's badge)")
    next_before: int | None


class ReadIn(Schema):
    ids: list[Id] = Field(default_factory=list, max_length=500, description="the notices to mark read")
    all: bool = Field(False, description="true: everything in your inbox")

    @model_validator(mode="after")
    def _one(self) -> ReadIn:
        if not self.ids and not self.all:
            raise ValueError("name the notices (ids) or all: true")
        return self


class Unread(Schema):
    unread: int


class ShiftPath(Params):
    shift_id: Id


class ShiftIn(Schema):
    username: line(64, min_length=1) = Field(description="the panel account on duty (值班人员)")
    starts_at: dt.datetime = Field(description="ISO 8601 with offset")
    ends_at: dt.datetime = Field(description="ISO 8601 with offset; after starts_at, at most 31 days later")
    note: line(200) = ""


class Shift(Schema):
    id: int
    username: str
    display_name: str
    starts_at: str
    ends_at: str
    note: str


class Rota(Schema):
    on_duty: str | None = Field(description="the account on duty now (None: nobody: the rota has a gap)")
    shifts: list[Shift]
