"""The audit page's words: a recorded reason code shown as the rule book's word.

The trail keeps what was recorded (a workflow action's name such as ``assign`` when no one typed
a reason, or a fixed code such as ``draft checked``); the page, its filters and its exports show
受理, 交办, 回访满意, 核对留言草稿 … in the reader's language. A reason a person typed is shown
as typed.
"""

from __future__ import annotations

from callcenter.tickets.workflow import ACTIONS

CODES: dict[str, tuple[str, str]] = {
    "created": ("立案", "case opened"),
    "draft checked": ("核对留言草稿", "voicemail draft checked"),
    "filled from the voicemail transcript": ("由留言转写填入", "filled from the voicemail transcript"),
    "discard": ("作废留言草稿", "voicemail draft discarded"),
    "removed": ("删除", "removed"),
    "account added": ("新增账号", "account added"),
    "account enabled": ("启用账号", "account enabled"),
    "office linked": ("关联供热管理所", "office linked"),
    "person added": ("新增人员", "person added"),
    "person deleted": ("删除人员", "person deleted"),
    "unit added": ("新增单位", "unit added"),
    "unit deleted": ("删除单位", "unit deleted"),
}
ACTIONS_EN = {
    "accept": "accepted", "sign_off": "manager's sign-off", "assign": "assigned", "reassign": "reassigned",
    "handle": "handled", "feedback": "feedback", "report_upward": "reported to the property office",
    "resolve": "resolved", "answer": "answered", "callback_satisfied": "callback: satisfied",
    "callback_unsatisfied": "callback: not satisfied", "close": "archived", "suspend": "suspended",
    "resume": "resumed", "second_complaint": "second complaint", "escalate": "escalated (timer)",
    "chase": "chased", "escalate_manual": "escalated by hand",
}  # fmt: skip


def reason_text(reason: str | None, lang: str) -> str:
    """The rule book's word for a recorded reason code; any other text as it was typed."""
    if not reason:
        return ""
    if reason in ACTIONS:
        return ACTIONS[reason].zh if lang != "en" else ACTIONS_EN.get(reason, reason)
    if reason in CODES:
        return CODES[reason][1 if lang == "en" else 0]
    return reason


def action_choices(lang: str) -> list[tuple[str, str]]:
    """The filter's choices: every code the trail records, with its word."""
    codes = [*ACTIONS, *CODES]
    return [(code, reason_text(code, lang)) for code in codes]
