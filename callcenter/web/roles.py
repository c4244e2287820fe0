"""Roles and what each may do. Every route names one permission; nothing else decides access."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"  # 专线员 / 值班人员: answers the hotline, first responsible person
    STATION = "station"  # 供热站: sees and answers only its own cases
    OFFICE_HEAD = "office_head"  # 所长
    SUPERVISOR = "supervisor"  # 经营科科长: department head, audits
    MANAGER = "manager"  # 经理
    ADMIN = "admin"  # accounts and configuration


class Perm(StrEnum):
    LOGGED_IN = "logged_in"  # any active account (/api/me, the home page)
    CALLS_VIEW = "calls.view"  # live feed, ledger, call detail, voicemail audio, missed list
    CALLS_EDIT = "calls.edit"  # clerk's notes on a call, "called back"
    CASES_VIEW = "cases.view"  # reserved for the cases module (stations see their own)


_OFFICE = frozenset({Role.CLERK, Role.OFFICE_HEAD, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})

GRANTS: dict[Perm, frozenset[Role]] = {
    Perm.LOGGED_IN: frozenset(Role),
    Perm.CALLS_VIEW: _OFFICE,
    # Clerks register calls; the department head may correct them. Others read only.
    Perm.CALLS_EDIT: frozenset({Role.CLERK, Role.SUPERVISOR}),
    Perm.CASES_VIEW: frozenset(Role),
}


def allowed(role: str, perm: Perm) -> bool:
    try:
        return Role(role) in GRANTS[perm]
    except ValueError:  # a role this version does not know: nothing
        return False
