"""Roles and what each may do. Every route names one permission; nothing else decides access.

Which *case actions* a role may take is the workflow's decision
(:func:`callcenter.tickets.workflow.allowed_actions`, through :mod:`callcenter.web.scope`);
the permissions here are the coarse gate in front of the routes.
"""

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
    CALLS_VIEW = "calls.view"  # live feed, ledger, any call's detail and voicemail audio, missed list
    CALL_VIEW = "call.view"  # one call's detail and voicemail: office roles any, a station those of its own cases
    CALLS_EDIT = "calls.edit"  # clerk's notes on a call, "called back"
    CASES_VIEW = "cases.view"  # case list and detail (a station: its own cases only)
    CASES_ACT = "cases.act"  # workflow actions on a case (the workflow decides which)
    CASES_EDIT = "cases.edit"  # correct an accepted case's record (tickets/corrections.py decides what)
    CASES_CREATE = "cases.create"  # open a case from a call; the voicemail draft inbox
    SUPERVISE = "supervise"  # overdue by station/person, charts, outbox, reports, audit trail
    ADMIN_VIEW = "admin.view"  # users, directory, calendar, rules, extraction tables (read)
    ADMIN_EDIT = "admin.edit"  # users, passwords, office links, the directory, calendar and business hours


_OFFICE = frozenset({Role.CLERK, Role.OFFICE_HEAD, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
_HANDLERS = frozenset({Role.CLERK, Role.OFFICE_HEAD, Role.SUPERVISOR, Role.MANAGER})

GRANTS: dict[Perm, frozenset[Role]] = {
    Perm.LOGGED_IN: frozenset(Role),
    Perm.CALLS_VIEW: _OFFICE,
    # A station answers its cases by phone: it hears the voicemail and reads the call of its own
    # cases (calls.pages.may_open_call checks the link; any other call stays 403).
    Perm.CALL_VIEW: _OFFICE | {Role.STATION},
    # Clerks register calls; the department head may correct them. Others read only.
    Perm.CALLS_EDIT: frozenset({Role.CLERK, Role.SUPERVISOR}),
    Perm.CASES_VIEW: frozenset(Role),
    # Everyone who takes part in the workflow; the administrator only reads cases.
    Perm.CASES_ACT: _HANDLERS | {Role.STATION},
    # Those who register, classify and supervise the record: the hotline, office heads (their
    # office's cases), the department head. Not a station (its part is the workflow's feedback),
    # not the manager (signs off), not the administrator (reads).
    Perm.CASES_EDIT: frozenset({Role.CLERK, Role.OFFICE_HEAD, Role.SUPERVISOR}),
    # Those the workflow lets accept a case (受理): the hotline and the supervisors.
    Perm.CASES_CREATE: _HANDLERS,
    Perm.SUPERVISE: frozenset({Role.OFFICE_HEAD, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}),
    Perm.ADMIN_VIEW: frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}),
    Perm.ADMIN_EDIT: frozenset({Role.ADMIN}),
}


def allowed(role: str, perm: Perm) -> bool:
    try:
        return Role(role) in GRANTS[perm]
    except ValueError:  # a role this version does not know: nothing
        return False
