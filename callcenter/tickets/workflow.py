"""The rule book's workflow as an explicit, pure transition table.

States (督办件处理工作流程 / 投诉处理制度)::

    draft ─accept→ accepted ─assign→ assigned ─feedback→ feedback_received ─resolve→ resolved
    resolved ─callback_satisfied→ called_back ─close→ closed (归档)
    resolved ─callback_unsatisfied→ assigned            (回访不满意: reopened "until solved")
    accepted|assigned|feedback_received ─suspend→ suspended ─resume→ (the state it came from)
    consultation / application: accepted|assigned|feedback_received ─answer→ resolved ─close→ closed

Self-transitions record facts without moving the case: ``sign_off`` (manager's opinion on a
difficult case; ``assign`` requires it), ``handle`` (the fault is dealt with: stops D2–D4),
``report_upward`` (上报物业办: stops D6/D7), ``reassign``, ``second_complaint`` (二次投诉: the
case goes to the office head; a resolved or called-back case is reopened) and ``escalate``
(the timer only: office head → department head → manager).

Each action emits *events* (the names of rules.toml's ``[events]`` plus ``suspended``,
``resumed``, ``second_complaint`` and ``closed``); :mod:`callcenter.tickets.clocks` starts and
stops deadline clocks on them. Nothing here does I/O or reads a clock.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from callcenter.tickets.errors import N_, Forbidden, IllegalTransition, InvalidInput

STATES = (
    "draft", "accepted", "assigned", "feedback_received", "resolved", "called_back", "closed",
    "suspended",
)  # fmt: skip
KINDS = ("complaint", "supervision", "repair", "temperature", "consultation", "application")
KIND_ZH = {
    "complaint": "投诉", "supervision": "督办件", "repair": "报修", "temperature": "测温",
    "consultation": "咨询", "application": "业务申请",
}  # fmt: skip
# rules.toml's sources plus "station" (a complaint that reached a station first).
SOURCES = (
    "phone", "voicemail", "visit", "department", "station", "property_office", "head_company",
    "heating_office", "petition",
)  # fmt: skip
SEVERITIES = ("minor", "medium", "major")
ROLES = ("clerk", "duty", "station", "office_head", "department_head", "manager")
SYSTEM = "system"  # the timer and the call log; never a person

OPEN_STATES = frozenset(s for s in STATES if s != "closed")
UNRESOLVED = frozenset({"accepted", "assigned", "feedback_received", "suspended"})
# Kinds under D8 (callback after resolution): they cannot be archived before the callback.
CALLBACK_KINDS = frozenset({"complaint", "supervision", "repair", "temperature"})
ANSWER_KINDS = frozenset({"consultation", "application"})
# 二次投诉 escalation: level → role told (1 office head, 2 department head, 3 manager).
ESCALATION_ROLES = {1: "office_head", 2: "department_head", 3: "manager"}
TOP_LEVEL = max(ESCALATION_ROLES)

HOTLINE = frozenset({"clerk", "duty"})
SUPERVISORS = frozenset({"office_head", "department_head", "manager"})


class CaseView(Protocol):
    """What the guards read; the ORM ``Case`` satisfies it."""

    state: str
    kind: str
    difficult: bool
    manager_signed_at: Any
    station_id: int | None
    handled_at: Any
    reported_upward_at: Any
    suspended_from: str | None
    escalation_level: int


Guard = Callable[[CaseView], str | None]  # returns why not, or None
Require = Callable[[CaseView, Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Action:
    name: str
    zh: str
    targets: Mapping[str, str]  # from-state → to-state ("=" keeps the state)
    roles: frozenset[str]
    emits: tuple[str, ...] = ()
    guard: Guard | None = None  # state-dependent: hides the action in the panel
    require: Require | None = None  # input-dependent: the panel shows a form
    needs_reason: bool = False
    # The reason is the action's content (反馈: what was done, the result): at least this many
    # letters or digits, so an empty or placeholder text ("。", "ok") is refused.
    min_content: int = 0
    # Only on a case with a running clock past its due time (催办, 手动逐级上报).
    overdue_only: bool = False


# "反馈信息必须真实、可靠、准确": a station's feedback says what was done and the result.
FEEDBACK_MIN_CONTENT = 6


def content_chars(text: str | None) -> int:
    """How many letters and digits ``text`` has (CJK characters count one each)."""
    return sum(1 for ch in text or "" if unicodedata.category(ch)[0] in "LN")


@dataclass(frozen=True)
class Step:
    """A planned transition: the new state, the events, the case fields to set."""

    action: str
    from_state: str
    to_state: str
    events: tuple[str, ...]
    updates: dict[str, Any] = field(default_factory=dict)


def _same(*states: str) -> dict[str, str]:
    return {s: "=" for s in states}


def _difficult(case: CaseView) -> str | None:
    return None if case.difficult else N_("only a difficult case needs the manager's sign-off")


def _signed_if_difficult(case: CaseView) -> str | None:
    if case.difficult and case.manager_signed_at is None:
        return N_("a difficult case needs the manager's sign-off (经理签批) first")
    return None


def _not_handled(case: CaseView) -> str | None:
    return N_("already reported as handled") if case.handled_at is not None else None


def _supervision_unreported(case: CaseView) -> str | None:
    if case.kind != "supervision":
        return N_("only a supervision case is reported to the property office")
    return N_("already reported") if case.reported_upward_at is not None else None


def _answer_kind(case: CaseView) -> str | None:
    return None if case.kind in ANSWER_KINDS else N_("only consultations and applications are answered")


def _callback_kind(case: CaseView) -> str | None:
    return None if case.kind in CALLBACK_KINDS else N_("this kind of case has no callback")


def _closable(case: CaseView) -> str | None:
    if case.state == "resolved" and case.kind in CALLBACK_KINDS:
        return N_("the callback (回访) must be done before archiving")
    if case.kind == "supervision" and case.reported_upward_at is None:
        return N_("report the result to the property office (上报物业办) before archiving")
    return None


def _needs_station(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data.get("station_id") is None and case.station_id is None:
        return N_("station_id: name the responsible station")
    return None


def _needs_approval(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not str(data.get("approved_by") or "").strip():
        return N_("approved_by: a suspension needs the heating office's recorded approval (供热办批准)")
    return None


def _needs_opinion(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if str(data.get("opinion") or "").strip() else N_("opinion: the manager's written opinion")


def _below_top(case: CaseView) -> str | None:
    return None if case.escalation_level < TOP_LEVEL else "already at the manager"


_WORKING = ("accepted", "assigned", "feedback_received")
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("accept", "受理", {"draft": "accepted"}, HOTLINE | SUPERVISORS,
               ("forwarded_to_hotline", "accepted")),
        Action("sign_off", "经理签批", _same(*_WORKING), frozenset({"manager"}),
               guard=_difficult, require=_needs_opinion),
        Action("assign", "交办", {"accepted": "assigned"}, HOTLINE | {"office_head"}, ("assigned",),
               guard=_signed_if_difficult, require=_needs_station),
        Action("reassign", "改派", _same("assigned"), HOTLINE | {"office_head"},
               require=_needs_station, needs_reason=True),
        Action("handle", "处理完毕", _same("accepted", "assigned"), HOTLINE | {"station"},
               ("handled",), guard=_not_handled),
        Action("feedback", "反馈", {"assigned": "feedback_received"},
               HOTLINE | {"station", "office_head"}, ("handled", "feedback_received"),
               needs_reason=True, min_content=FEEDBACK_MIN_CONTENT),
        Action("report_upward", "上报物业办", _same("feedback_received", "resolved", "called_back"),
               HOTLINE, ("reported_to_property_office",), guard=_supervision_unreported),
        Action("resolve", "办结", {"feedback_received": "resolved"}, HOTLINE | {"office_head"},
               ("resolved",)),
        Action("answer", "答复", {s: "resolved" for s in _WORKING}, HOTLINE,
               ("answered", "resolved"), guard=_answer_kind),
        Action("callback_satisfied", "回访满意", {"resolved": "called_back"}, HOTLINE | {"station"},
               ("callback_done",), guard=_callback_kind),
        Action("callback_unsatisfied", "回访不满意", {"resolved": "assigned"}, HOTLINE | {"station"},
               ("callback_done", "assigned"), guard=_callback_kind, needs_reason=True),
        Action("close", "归档", {"called_back": "closed", "resolved": "closed"}, HOTLINE,
               ("closed",), guard=_closable),
        Action("suspend", "暂停协调处理", {s: "suspended" for s in _WORKING},
               HOTLINE | {"office_head"}, ("suspended",), require=_needs_approval, needs_reason=True),
        Action("resume", "恢复处理", {"suspended": "<previous>"}, HOTLINE | {"office_head"},
               ("resumed",), needs_reason=True),
        Action("second_complaint", "二次投诉",
               {**_same(*_WORKING, "suspended"), "resolved": "assigned", "called_back": "assigned"},
               HOTLINE | SUPERVISORS | {SYSTEM}, ("second_complaint",)),
        Action("escalate", "逐级上报", _same(*_WORKING, "suspended", "resolved"),
               frozenset({SYSTEM}), ("escalated",), guard=_below_top),
        # 催办: a supervisor, an office head or the hotline reminds the responsible person of an
        # overdue case (recorded, a notice to the station, counted in the reports).
        Action("chase", "催办", _same(*_WORKING, "suspended"), HOTLINE | SUPERVISORS, ("chased",),
               overdue_only=True),
        # 逐级上报 by hand: an overdue case goes to the next level (office head → department
        # head → manager) without waiting for the timer.
        Action("escalate_manual", "手动逐级上报", _same(*_WORKING, "suspended"), HOTLINE | SUPERVISORS,
               ("escalated",), guard=_below_top, needs_reason=True, overdue_only=True),
    )
}  # fmt: skip


def target_state(action: Action, case: CaseView) -> str:
    target = action.targets[case.state]
    if target == "=":
        return case.state
    if target == "<previous>":
        return case.suspended_from or "accepted"
    return target


def refusal(case: CaseView, name: str, role: str, overdue: bool = False) -> IllegalTransition | Forbidden | None:
    """Why ``role`` may not do ``name`` on ``case`` now (ignoring input), or ``None``.
    ``overdue``: a clock of the case is running past its due time."""
    action = ACTIONS.get(name)
    if action is None:
        return IllegalTransition(N_("unknown action %(action)r"), action=name)
    if case.state not in action.targets:
        return IllegalTransition(N_("cannot %(action)s a case in state %(state)s (only from: %(states)s)"),
                                 action=name, state=case.state, states=sorted(action.targets))  # fmt: skip
    if role not in action.roles:
        return Forbidden(N_("role %(role)s may not %(action)s (allowed: %(roles)s)"), role=role, action=name,
                         roles=sorted(action.roles))  # fmt: skip
    why = action.guard(case) if action.guard else None
    if not why and action.overdue_only and not overdue:
        why = N_("nothing on this case is overdue")
    return IllegalTransition(N_("cannot %(action)s: %(why)s"), action=name, why=why) if why else None


def allowed_actions(case: CaseView, role: str, overdue: bool = False) -> list[str]:
    """The actions the panel may offer ``role`` on ``case``, in table order."""
    return [name for name in ACTIONS if refusal(case, name, role, overdue) is None]


def plan(case: CaseView, name: str, role: str, data: Mapping[str, Any] | None = None,
         reason: str | None = None, overdue: bool = False) -> Step:  # fmt: skip
    """Check everything and return the :class:`Step`; raises a typed :class:`CaseError`."""
    data = data or {}
    error = refusal(case, name, role, overdue)
    if error is not None:
        raise error
    action = ACTIONS[name]
    why = action.require(case, data) if action.require else None
    if why:
        raise InvalidInput(N_("%(action)s: %(why)s"), action=name, why=why)
    if action.min_content and content_chars(reason) < action.min_content:
        raise InvalidInput(N_("%(action)s: reason: say what was done and the result (at least %(n)s characters; "
                              "反馈信息必须真实、可靠、准确)"), action=name, n=action.min_content)  # fmt: skip
    if action.needs_reason and not (reason or "").strip():
        raise InvalidInput(N_("%(action)s: reason: say why"), action=name)
    to_state = target_state(action, case)
    return Step(name, case.state, to_state, action.emits, _updates(name, case, to_state, data))


def _updates(name: str, case: CaseView, to_state: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Case fields an action sets (besides ``state``); times are filled in by the DB side."""
    if name in ("assign", "reassign"):
        keys = ("station_id", "responsible_person_id", "office_head_id")
        return {k: data[k] for k in keys if data.get(k) is not None}
    if name == "sign_off":
        return {"manager_opinion": str(data["opinion"]).strip()}
    if name == "suspend":
        return {"suspended_from": case.state, "suspension_approved_by": str(data["approved_by"]).strip(),
                "suspension_ref": str(data.get("approval_ref") or "").strip() or None}  # fmt: skip
    if name == "resume":
        return {"suspended_from": None}
    if name in ("callback_satisfied", "callback_unsatisfied"):
        return {"callback_result": "satisfied" if name == "callback_satisfied" else "unsatisfied"}
    if name == "second_complaint":
        return {"escalation_level": max(1, case.escalation_level)}
    if name in ("escalate", "escalate_manual"):
        return {"escalation_level": case.escalation_level + 1}
    return {}
