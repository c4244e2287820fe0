"""The pure transition table: every legal transition, illegal ones, roles, guards, input."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from callcenter.tickets.errors import CaseError, Forbidden, IllegalTransition, InvalidInput
from callcenter.tickets.workflow import ACTIONS, STATES, allowed_actions, plan


@dataclass(frozen=True)
class C:
    state: str = "draft"
    kind: str = "complaint"
    difficult: bool = False
    manager_signed_at: Any = None
    station_id: int | None = None
    handled_at: Any = None
    reported_upward_at: Any = None
    suspended_from: str | None = None
    escalation_level: int = 0


def walk(case: C, action: str, role: str = "clerk", data: dict[str, Any] | None = None,
         reason: str | None = "because") -> C:  # fmt: skip
    step = plan(case, action, role, data, reason)
    assert step.from_state == case.state
    fields = {k: v for k, v in step.updates.items() if hasattr(case, k)}
    return replace(case, state=step.to_state, **fields)


LEGAL = [
    # (state, kind, action, role, data, expected state)
    ("draft", "complaint", "accept", "clerk", {}, "accepted"),
    ("draft", "repair", "accept", "duty", {}, "accepted"),
    ("accepted", "complaint", "assign", "clerk", {"station_id": 3}, "assigned"),
    ("accepted", "complaint", "assign", "office_head", {"station_id": 3}, "assigned"),
    ("assigned", "complaint", "reassign", "clerk", {"station_id": 4}, "assigned"),
    ("accepted", "repair", "handle", "station", {}, "accepted"),
    ("assigned", "repair", "handle", "station", {}, "assigned"),
    ("assigned", "complaint", "feedback", "station", {}, "feedback_received"),
    ("feedback_received", "supervision", "report_upward", "clerk", {}, "feedback_received"),
    ("feedback_received", "complaint", "resolve", "clerk", {}, "resolved"),
    ("accepted", "application", "answer", "clerk", {}, "resolved"),
    ("assigned", "consultation", "answer", "duty", {}, "resolved"),
    ("resolved", "complaint", "callback_satisfied", "station", {}, "called_back"),
    ("resolved", "complaint", "callback_unsatisfied", "clerk", {}, "assigned"),
    ("called_back", "complaint", "close", "clerk", {}, "closed"),
    ("resolved", "application", "close", "clerk", {}, "closed"),
    ("accepted", "complaint", "suspend", "clerk", {"approved_by": "供热办 张主任"}, "suspended"),
    ("assigned", "complaint", "second_complaint", "system", {}, "assigned"),
    ("resolved", "complaint", "second_complaint", "clerk", {}, "assigned"),
    ("called_back", "complaint", "second_complaint", "clerk", {}, "assigned"),
    ("assigned", "complaint", "escalate", "system", {}, "assigned"),
]


@pytest.mark.parametrize("state, kind, action, role, data, expected", LEGAL)
def test_legal_transitions(state: str, kind: str, action: str, role: str, data: dict[str, Any], expected: str) -> None:
    case = C(state=state, kind=kind)
    assert walk(case, action, role, data).state == expected
    assert action in allowed_actions(case, role)


def test_every_action_has_a_legal_test() -> None:
    assert {row[2] for row in LEGAL} | {"sign_off", "resume", "chase", "escalate_manual"} == set(ACTIONS)
    assert all(s in STATES for a in ACTIONS.values() for s in a.targets)


ILLEGAL = [
    ("draft", "complaint", "assign", "clerk", IllegalTransition),
    ("closed", "complaint", "accept", "clerk", IllegalTransition),
    ("closed", "complaint", "second_complaint", "clerk", IllegalTransition),
    ("accepted", "complaint", "resolve", "clerk", IllegalTransition),
    ("draft", "complaint", "close", "clerk", IllegalTransition),
    ("resolved", "complaint", "close", "clerk", IllegalTransition),  # callback first
    ("resolved", "application", "callback_satisfied", "clerk", IllegalTransition),  # no callback
    ("accepted", "complaint", "answer", "clerk", IllegalTransition),  # only applications/consultations
    ("feedback_received", "complaint", "report_upward", "clerk", IllegalTransition),  # not supervision
    ("accepted", "complaint", "sign_off", "manager", IllegalTransition),  # not difficult
    ("feedback_received", "complaint", "resolve", "station", Forbidden),
    ("accepted", "complaint", "assign", "station", Forbidden),
    ("draft", "complaint", "accept", "manager", None),  # supervisors may accept
    ("assigned", "complaint", "escalate", "clerk", Forbidden),  # only the timer escalates
    ("assigned", "complaint", "unknown", "clerk", IllegalTransition),
]


@pytest.mark.parametrize("state, kind, action, role, error", ILLEGAL)
def test_illegal_transitions(state: str, kind: str, action: str, role: str, error: type[CaseError] | None) -> None:
    case = C(state=state, kind=kind, station_id=1)
    if error is None:
        plan(case, action, role)
        return
    with pytest.raises(error) as info:
        plan(case, action, role, {"station_id": 1}, "why")
    assert info.value.permanent is True
    assert action not in allowed_actions(case, role)


def test_errors_carry_permanent_and_a_clear_message() -> None:
    with pytest.raises(IllegalTransition, match="cannot resolve a case in state accepted"):
        plan(C(state="accepted"), "resolve", "clerk")
    with pytest.raises(Forbidden, match="role station may not resolve"):
        plan(C(state="feedback_received"), "resolve", "station")


def test_suspension_needs_a_recorded_approval_and_a_reason() -> None:
    case = C(state="assigned")
    assert "suspend" in allowed_actions(case, "clerk")  # offered: the panel shows the form
    with pytest.raises(InvalidInput, match="approved_by"):
        plan(case, "suspend", "clerk", {}, "user demands compensation")
    with pytest.raises(InvalidInput, match="reason"):
        plan(case, "suspend", "clerk", {"approved_by": "供热办"}, None)
    suspended = walk(case, "suspend", data={"approved_by": "供热办"})
    assert suspended.state == "suspended" and suspended.suspended_from == "assigned"
    assert allowed_actions(suspended, "clerk") == ["resume", "second_complaint"]
    resumed = walk(suspended, "resume")
    assert resumed.state == "assigned" and resumed.suspended_from is None


def test_difficult_case_needs_the_managers_sign_off_before_assignment() -> None:
    case = C(state="accepted", difficult=True)
    assert "assign" not in allowed_actions(case, "clerk")
    with pytest.raises(IllegalTransition, match="sign-off"):
        plan(case, "assign", "clerk", {"station_id": 1})
    assert allowed_actions(case, "manager") == ["sign_off", "second_complaint"]
    with pytest.raises(InvalidInput, match="opinion"):
        plan(case, "sign_off", "manager", {})
    step = plan(case, "sign_off", "manager", {"opinion": "同意，尽快处理"})
    assert step.to_state == "accepted" and step.updates == {"manager_opinion": "同意，尽快处理"}
    signed = replace(case, manager_signed_at="2026-09-30T10:00")
    assert walk(signed, "assign", data={"station_id": 1}).state == "assigned"


def test_unsatisfied_callback_reopens_and_restarts_the_feedback_clock() -> None:
    case = C(state="resolved")
    step = plan(case, "callback_unsatisfied", "station", reason="still cold: 15 °C")
    assert (step.to_state, step.events) == ("assigned", ("callback_done", "assigned"))
    with pytest.raises(InvalidInput, match="reason"):
        plan(case, "callback_unsatisfied", "station")


def test_second_complaint_goes_to_the_office_head_then_escalates_level_by_level() -> None:
    case = walk(C(state="assigned"), "second_complaint", "system")
    assert case.escalation_level == 1
    again = walk(case, "second_complaint", "clerk")
    assert again.escalation_level == 1  # a further complaint does not skip a level
    levels = []
    for _ in range(2):
        case = walk(case, "escalate", "system")
        levels.append(case.escalation_level)
    assert levels == [2, 3]
    assert "escalate" not in allowed_actions(case, "system")
    with pytest.raises(IllegalTransition, match="already at the manager"):
        plan(case, "escalate", "system")


def test_supervision_case_must_be_reported_before_archiving() -> None:
    case = C(state="called_back", kind="supervision")
    assert "close" not in allowed_actions(case, "clerk")
    assert "report_upward" in allowed_actions(case, "clerk")
    assert walk(replace(case, reported_upward_at="x"), "close").state == "closed"


def test_allowed_actions_per_role_on_an_assigned_case() -> None:
    case = C(state="assigned", station_id=1)
    assert allowed_actions(case, "clerk") == [
        "reassign", "handle", "feedback", "suspend", "second_complaint"]  # fmt: skip
    assert allowed_actions(case, "station") == ["handle", "feedback"]
    assert allowed_actions(case, "department_head") == ["second_complaint"]
    assert allowed_actions(C(state="closed"), "clerk") == []


@pytest.mark.parametrize("reason", [None, "", "   ", "。。。", "ok", "已处理", "好 的 !"])
def test_feedback_without_real_content_is_refused(reason: str | None) -> None:
    """反馈信息必须真实、可靠、准确: an empty or placeholder feedback does not stop D5."""
    with pytest.raises(InvalidInput, match="what was done and the result"):
        plan(C(state="assigned"), "feedback", "station", {}, reason)


def test_feedback_with_what_was_done_is_taken() -> None:
    step = plan(C(state="assigned"), "feedback", "station", {}, "已更换阀门，室温20度")
    assert (step.to_state, step.events) == ("feedback_received", ("handled", "feedback_received"))


def test_chase_and_manual_escalation_only_on_an_overdue_case() -> None:
    """Issue 10 point 7: 催办 and 逐级上报 by hand are offered to supervisors when a clock is late."""
    case = C(state="assigned", station_id=1)
    for role in ("office_head", "department_head", "manager", "clerk"):
        assert {"chase", "escalate_manual"} <= set(allowed_actions(case, role, overdue=True)), role
        assert not {"chase", "escalate_manual"} & set(allowed_actions(case, role)), role
    assert "chase" not in allowed_actions(case, "station", overdue=True)
    with pytest.raises(IllegalTransition, match="nothing on this case is overdue"):
        plan(case, "chase", "office_head")
    step = plan(case, "chase", "office_head", overdue=True)
    assert (step.to_state, step.events, step.updates) == ("assigned", ("chased",), {})
    with pytest.raises(InvalidInput, match="reason"):
        plan(case, "escalate_manual", "department_head", overdue=True)
    step = plan(case, "escalate_manual", "department_head", reason="站里两天未处理", overdue=True)
    assert step.updates == {"escalation_level": 1}
    top = C(state="assigned", escalation_level=3)
    assert "escalate_manual" not in allowed_actions(top, "manager", overdue=True)
