"""Strings of the inbox (通知) and the duty rota (值班表), zh and en."""

from __future__ import annotations

ZH: dict[str, str] = {
    "nav.notices": "通知", "nt.title": "我的通知", "nt.unread": "未读", "nt.all": "全部", "nt.only_unread": "只看未读",
    "nt.mark_read": "标为已读", "nt.mark_all": "全部标为已读", "nt.empty": "没有通知。", "nt.case": "工单",
    "nt.to": "发给", "nt.at": "送达时间", "nt.read": "已读", "nt.new": "新", "nt.badge": "{n} 条未读通知",
    "nt.more": "更早的通知",
    "nt.role.station": "供热站", "nt.role.office_head": "所长", "nt.role.clerk": "专线员", "nt.role.duty": "值班人员",
    "nt.role.department_head": "经营科科长", "nt.role.manager": "经理", "nt.role.property_office": "物业办",
    "nt.role.receiving_department": "接到投诉的部门",
    "duty.title": "值班表", "duty.now": "当前值班：{who}", "duty.nobody": "当前无人值班：值班通知发给全体专线员。",
    "duty.add": "排班", "duty.who": "值班人员", "duty.from": "开始", "duty.to": "结束", "duty.note": "备注",
    "duty.remove": "删除", "duty.empty": "没有排班。", "duty.saved": "已保存。",
    "ob.inbox": "已送达收件箱", "ob.read": "{n} 人已读", "ob.webhook_sent": "已推送",
    "au.action": "操作", "field.action": "操作", "au.e.duty_shift": "值班表", "au.e.unit": "单位", "au.e.person": "人员",
    "bl.title": "通知送达情况", "bl.ok": "通知均已送达。",
    "bl.no_reader": "{n} 条到期通知无人可收（没有对应的有效账号）", "bl.unread": "{n} 条通知超过1小时无人阅读",
    "bl.webhook": "{n} 条通知未推送到外部接口", "bl.no_duty": "当前无人值班（值班表有空档）",
}
EN: dict[str, str] = {
    "nav.notices": "Notices", "nt.title": "My notices", "nt.unread": "Unread", "nt.all": "All",
    "nt.only_unread": "Unread only", "nt.mark_read": "Mark read", "nt.mark_all": "Mark all read",
    "nt.empty": "No notices.", "nt.case": "Case", "nt.to": "To", "nt.at": "Delivered", "nt.read": "Read",
    "nt.new": "new", "nt.badge": "{n} unread notices", "nt.more": "Older notices",
    "nt.role.station": "Station", "nt.role.office_head": "Office head", "nt.role.clerk": "Clerk",
    "nt.role.duty": "On duty", "nt.role.department_head": "Department head", "nt.role.manager": "Manager",
    "nt.role.property_office": "Property office", "nt.role.receiving_department": "Receiving department",
    "duty.title": "Duty rota", "duty.now": "On duty now: {who}",
    "duty.nobody": "Nobody on duty now: duty notices go to every clerk.", "duty.add": "Add a shift",
    "duty.who": "On duty", "duty.from": "From", "duty.to": "To", "duty.note": "Note", "duty.remove": "Remove",
    "duty.empty": "No shifts.", "duty.saved": "Saved.",
    "ob.inbox": "in the inbox", "ob.read": "read by {n}", "ob.webhook_sent": "webhook sent",
    "au.action": "Action", "field.action": "Action", "au.e.duty_shift": "Duty rota", "au.e.unit": "Unit", "au.e.person": "Person",
    "bl.title": "Notice delivery", "bl.ok": "Every notice has been delivered.",
    "bl.no_reader": "{n} due notices nobody can read (no active account for them)",
    "bl.unread": "{n} notices unread for over an hour", "bl.webhook": "{n} notices not taken by the webhook",
    "bl.no_duty": "Nobody on duty now (a gap in the rota)",
}
