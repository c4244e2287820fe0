"""The words of the reports R1–R3, in Simplified Chinese (the default) and English.

A report is written in the language of whoever asks for it (the panel's language, the CLI's
``--lang``; the timer's drafts in Chinese), in one language only, with the rule book's own terms
(受理, 办结, 按期办结率, 回访率, 二次投诉, 催办, 督办件 …).
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        # sections (sheet names: at most 31 characters)
        "section.summary": "汇总", "section.by_kind": "按类别", "section.by_category": "按分类",
        "section.by_station": "按供热站", "section.overdue": "超期", "section.second_complaints": "二次投诉",
        "section.chases": "催办",
        # summary figures
        "fig.accepted": "受理件数", "fig.resolved": "办结件数", "fig.on_time": "按期办结件数",
        "fig.on_time_rate": "按期办结率（%）", "fig.need_callback": "应回访件数", "fig.called_back": "已回访件数",
        "fig.callback_rate": "回访率（%，要求100%）", "fig.second": "二次投诉件数", "fig.chases": "催办次数",
        "fig.escalations": "逐级上报次数", "fig.calls": "来电总数",
        "fig.calls.answered": "其中：已接听", "fig.calls.abandoned": "其中：未接（挂断）",
        "fig.calls.voicemail": "其中：留言", "fig.calls.busy": "其中：无坐席可接", "fig.calls.failed": "其中：呼叫失败",
        "fig.calls.open": "其中：进行中",
        # column headers
        "col.figure": "指标", "col.value": "数值", "col.kind": "类别", "col.cases": "件数", "col.category": "分类",
        "col.station": "供热站", "col.case": "案件编号", "col.rule": "时限", "col.person": "责任人",
        "col.due": "期限", "col.done": "完成时间", "col.hours_late": "超时（小时）", "col.phone": "来电号码",
        "col.count": "次数", "col.first": "首次", "col.level": "上报级别", "col.state": "状态",
        "col.at": "时间", "col.by": "操作人", "col.to": "对象", "col.note": "内容",
        # values
        "none.category": "（未分类）", "none.station": "（未交办）", "open": "未完成",
        "kind.complaint": "投诉", "kind.supervision": "督办件", "kind.repair": "报修", "kind.temperature": "测温",
        "kind.consultation": "咨询", "kind.application": "业务申请",
        "state.draft": "草稿", "state.accepted": "已受理", "state.assigned": "已交办",
        "state.feedback_received": "已反馈", "state.resolved": "已办结", "state.called_back": "已回访",
        "state.closed": "已归档", "state.suspended": "暂停协调处理",
        "action.chase": "催办", "action.escalate_manual": "逐级上报",
        # queue figures (callcenter.analytics.kpi; R1/R2)
        "section.queue": "话务指标", "section.clerks": "专线员话务",
        "q.offered": "呼入总数", "q.answered": "已接听", "q.answered_in_sl": "{n}秒内接听",
        "q.service_level": "服务水平（%，{n}秒内接听）", "q.asa": "平均应答时间（秒）", "q.aht": "平均通话时长（秒）",
        "q.abandoned": "放弃", "q.abandoned_queue": "其中：排队时放弃", "q.abandoned_ringing": "其中：振铃时放弃",
        "q.abandoned_voicemail": "其中：留言提示时挂断", "q.short_abandons": "短时放弃（{n}秒内，另计）",
        "q.abandon_rate": "放弃率（%）", "q.voicemail": "留言", "q.busy": "无坐席可接", "q.failed": "呼叫失败",
        "q.longest_wait": "最长等待（秒）", "q.wait": "等待 {label} 秒",
        "col.extension": "分机", "col.answered": "接听", "col.talk_seconds": "通话时长（秒）",
        "col.aht": "平均通话（秒）", "col.missed_rings": "振铃未接", "col.cases_opened": "首问立案",
        "title": "{id} {title}：{first} – {last}",
        # who: a clerk by name and extension, the system by what it is (never a login)
        "col.clerk": "专线员", "who.with_ext": "{name}（{ext}）",
        "actor.system": "系统", "actor.system:voicemail": "系统（留言转写）",
    },
    "en": {
        "section.summary": "Summary", "section.by_kind": "By kind", "section.by_category": "By category",
        "section.by_station": "By station", "section.overdue": "Overdue", "section.second_complaints": "Second complaints",
        "section.chases": "Reminders (chasing)",
        "fig.accepted": "Cases accepted", "fig.resolved": "Cases resolved", "fig.on_time": "Resolved on time",
        "fig.on_time_rate": "On-time completion rate (%)", "fig.need_callback": "Callbacks needed",
        "fig.called_back": "Callbacks done", "fig.callback_rate": "Callback rate (%, target 100)",
        "fig.second": "Second complaints", "fig.chases": "Reminders sent (chasing)",
        "fig.escalations": "Escalations", "fig.calls": "Calls",
        "fig.calls.answered": "of which answered", "fig.calls.abandoned": "of which abandoned",
        "fig.calls.voicemail": "of which voicemail", "fig.calls.busy": "of which no clerk available",
        "fig.calls.failed": "of which failed", "fig.calls.open": "of which in progress",
        "col.figure": "Figure", "col.value": "Value", "col.kind": "Kind", "col.cases": "Cases",
        "col.category": "Category", "col.station": "Station", "col.case": "Case", "col.rule": "Rule",
        "col.person": "Responsible person", "col.due": "Due", "col.done": "Done", "col.hours_late": "Hours late",
        "col.phone": "Phone", "col.count": "Times", "col.first": "First", "col.level": "Escalation level",
        "col.state": "State", "col.at": "When", "col.by": "By", "col.to": "To", "col.note": "Note",
        "none.category": "(none)", "none.station": "(unassigned)", "open": "open",
        "kind.complaint": "Complaint", "kind.supervision": "Supervision case", "kind.repair": "Repair",
        "kind.temperature": "Temperature", "kind.consultation": "Consultation", "kind.application": "Application",
        "state.draft": "Draft", "state.accepted": "Accepted", "state.assigned": "Assigned",
        "state.feedback_received": "Feedback in", "state.resolved": "Resolved", "state.called_back": "Called back",
        "state.closed": "Archived", "state.suspended": "Suspended",
        "action.chase": "Chase", "action.escalate_manual": "Escalated",
        "section.queue": "Queue figures", "section.clerks": "Clerks' calls",
        "q.offered": "Calls offered", "q.answered": "Answered", "q.answered_in_sl": "Answered within {n} s",
        "q.service_level": "Service level (%, within {n} s)", "q.asa": "Average speed of answer (s)",
        "q.aht": "Average talk time (s)", "q.abandoned": "Abandoned", "q.abandoned_queue": "of which while queued",
        "q.abandoned_ringing": "of which while ringing", "q.abandoned_voicemail": "of which in the voicemail greeting",
        "q.short_abandons": "Short abandons (within {n} s, apart)", "q.abandon_rate": "Abandon rate (%)",
        "q.voicemail": "Voicemail", "q.busy": "No clerk available", "q.failed": "Failed",
        "q.longest_wait": "Longest wait (s)", "q.wait": "Waited {label} s",
        "col.extension": "Extension", "col.answered": "Answered", "col.talk_seconds": "Talk time (s)",
        "col.aht": "Average talk (s)", "col.missed_rings": "Missed rings", "col.cases_opened": "Cases opened (first responsible)",
        "title": "{id} {title}: {first} – {last}",
        "col.clerk": "Clerk", "who.with_ext": "{name} ({ext})",
        "actor.system": "System", "actor.system:voicemail": "System (voicemail transcription)",
    },
}  # fmt: skip


def language(lang: str | None) -> str:
    """``lang`` if the reports speak it, else Chinese."""
    return lang if lang in LANGUAGES else "zh"


def word(lang: str, key: str, **values: object) -> str:
    text = WORDS[language(lang)].get(key) or WORDS["zh"].get(key) or key
    return text.format(**values) if values else text
