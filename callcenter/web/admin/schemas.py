"""The administration API's shapes: accounts, the directory, the calendar, the extraction tables."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from callcenter.tickets.directory_edit import PERSON_ROLES, UNIT_KINDS
from callcenter.web.auth.roles import Role
from callcenter.web.endpoints import Day, Id, Params, Schema, Version, line, text

RoleName = Literal[tuple(r.value for r in Role)]  # type: ignore[valid-type]
Year = Field(ge=2000, le=2100, description="a year the working-day table covers (2000-2100)")
Reason = line(500)


class UserPath(Params):
    user_id: Id


class UnitPath(Params):
    unit_id: Id


class PersonPath(Params):
    person_id: Id


class DayPath(Params):
    day: Day


class YearPath(Params):
    year: int = Year


class YearQuery(Params):
    year: int | None = Year


class TablePath(Params):
    name: Literal["keywords", "gazetteer"]


class NewUser(Schema):
    username: line(64, min_length=2)
    role: RoleName
    password: str = Field(min_length=1, max_length=1024, description="12+ characters, not easy to guess")
    display_name: line(128) | None = None
    station_code: line(32) | None = None
    office_code: line(64) | None = None
    extension: line(32) | None = None


class Active(Schema):
    active: bool


class NewPassword(Schema):
    password: str = Field(min_length=1, max_length=1024, description="12+ characters, not easy to guess")


class Office(Schema):
    office_code: line(64, min_length=1)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    station_code: str | None
    office_code: str | None
    extension: str | None
    active: bool
    created_at: str | None
    password_changed_at: str | None
    last_login: str | None


class UserList(Schema):
    items: list[UserOut]


class Revoked(Schema):
    sessions_revoked: int


class DaySet(Schema):
    day: Day
    is_workday: bool | Literal["work", "holiday"]
    note: line(200) | None = None
    reason: Reason | None = None


class BulkDayIn(Schema):
    day: Day
    is_workday: bool
    note: line(256) | None = None


Pasted = text(20_000)


class CalendarBulkIn(Schema):
    """Many days at once: pasted lines (``2027-10-01 至 2027-10-07 休 国庆节``, one day or span a
    line; 休/休息/假/放假 off, 班/上班/补班 work; ``#`` comments) and/or a list of days."""

    text: Pasted | None = Field(None, description="pasted lines, as the calendar page takes them")
    days: list[BulkDayIn] | None = Field(None, max_length=400)
    dry_run: bool = Field(False, description="true: only the preview, nothing is saved")
    reason: Reason | None = None


class BulkDayOut(Schema):
    day: dt.date
    is_workday: bool
    note: str
    line: int = Field(description="the pasted line it came from (0: the list of days)")
    was_workday: bool = Field(description="what the calendar in force says of the day now")
    change: Literal["to_work", "to_off", "recorded", "note", "same"]
    warning: Literal["", "weekday_work", "weekend_off"]


class CalendarBulkOut(Schema):
    days: list[BulkDayOut]
    saved: int = Field(description="days saved (0 on a dry run)")
    due_times_moved: int


class WithReason(Schema):
    reason: Reason | None = None


class Hours(Schema):
    opens: dt.time
    closes: dt.time
    reason: Reason | None = None


class Moved(Schema):
    due_times_moved: int
    day: dt.date | None = None
    year: int | None = None


class UnitIn(Schema):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")] | None = None
    kind: Literal[UNIT_KINDS] | None = None  # type: ignore[valid-type]
    name_zh: line(128, min_length=1) | None = None
    name_en: line(128) | None = None
    phone: line(32) | None = None
    parent_id: Id | None = None
    active: bool | None = None


class PersonIn(Schema):
    login: line(64, min_length=1) | None = None
    name: line(128, min_length=1) | None = None
    role: Literal[PERSON_ROLES] | None = None  # type: ignore[valid-type]
    unit_id: Id | None = None
    phone: line(32) | None = None
    active: bool | None = None


class Deleted(Schema):
    deleted: bool


class TableIn(Schema):
    content: text(200_000)
    version: Version


class TableReset(Schema):
    version: Version | None = None


class TryIn(Schema):
    text: text(2000, min_length=1)
    keywords: text(200_000) | None = None
    gazetteer: text(200_000) | None = None


def present(body: Schema) -> dict[str, Any]:
    """The fields the client sent (the edit functions tell "not sent" from "cleared")."""
    return body.model_dump(exclude_unset=True, mode="json")
