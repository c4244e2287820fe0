"""Strings of correcting cases, editing the directory, office-head scope and the live draft inbox, zh and en."""

from __future__ import annotations

ZH: dict[str, str] = {
    # correcting a case
    "action.edit": "更正记录", "edit.title": "更正工单信息", "edit.refused": "未保存：",
    "edit.differs": "您的输入与当前记录不同的字段：", "edit.via_reassign": "（按“改派”办理）",
    "edit.keep": "不变（当前：{current}）", "edit.reason": "更正原因",
    "edit.reason_hint": "修改类别、维修程度、紧急、疑难或改派时必填",
    "edit.note": "首问责任人不可更改。修改类别、维修程度或紧急/疑难标记后，办理时限按新规则从原起算时间重新计算；"
                 "每项修改（谁、何时、原值→新值、原因）都记入办理过程和审计追踪。",
    "edit.save": "保存更正", "field.deadlines": "计时中的时限",
    "edit.conflict": "您打开这个工单之后，{who}在 {when} 已经改过它。您填写的内容都还在下面；"
                     "标出的字段两边不一样，请逐项决定用哪一个，再点“保存更正”。",
    "edit.saved_now": "现在保存的内容：",
    # office-head scope
    "cases.office": "仅显示本所工单：{office}（含未交办的工单）",
    "cases.office_unlinked": "您的所长账号尚未关联供热管理所，因此看不到任何工单。请联系管理员在“系统管理 → 账号”中关联。",
    "ad.office": "供热管理所", "ad.office_only": "供热管理所（仅所长账号，必填）", "ad.set_office": "关联",
    "ad.office_unlinked": "未关联供热管理所",
    # the directory
    "dir.add_unit": "新增单位", "dir.add_person": "新增人员", "dir.name_zh": "中文名称", "dir.name_en": "英文名称",
    "dir.parent": "上级供热管理所（仅供热站）", "dir.save": "保存", "dir.edit": "修改", "dir.deactivate": "停用",
    "dir.activate": "启用", "dir.delete": "删除", "dir.inactive": "已停用", "dir.status": "状态",
    "dir.code_hint": "小写字母、数字、_、-；保存后不可更改", "dir.login_hint": "分机号或登录名；保存后不可更改",
    "dir.note": "单位代码和人员登录名是其他记录引用的标识，不可更改。被工单、人员或账号引用的单位与人员不能删除，只能停用："
                "停用的供热站不再可交办，停用的人员不再被选为责任人。有未结工单的供热站、下有在用供热站的管理所不能停用。",
    "dir.deleted": "已删除",
    "au.e.unit": "单位", "au.e.person": "人员",
    "field.name_zh": "中文名称", "field.name_en": "英文名称", "field.phone": "电话", "field.parent_id": "上级单位",
    "field.active": "启用", "field.unit_id": "所属单位", "field.role": "角色", "field.name": "姓名",
    "field.office_code": "供热管理所", "field.station_code": "供热站", "field.display_name": "显示名",
    "field.extension": "分机",
    # the live draft inbox
    "drafts.live": "实时更新中", "drafts.arrived": "留言转写已到达，已填写空白字段（浅黄底色）；您填写过的内容保持不变。",
    "drafts.gone": "此草稿已被他人受理或作废，无需再处理。", "drafts.transcript_says": "转写结果：",
}

EN: dict[str, str] = {
    "action.edit": "Record corrected", "edit.title": "Correct the record", "edit.refused": "Not saved:",
    "edit.differs": "Your input differs from the current record in:", "edit.via_reassign": "(done as 改派, reassign)",
    "edit.keep": "unchanged (now: {current})", "edit.reason": "Reason for the correction",
    "edit.reason_hint": "required for a new kind, repair size, urgent/difficult flag or station",
    "edit.note": "The first responsible person never changes. A new kind, repair size or urgent/difficult flag "
                 "recomputes the deadlines under the new rule from their original start; every change (who, when, "
                 "old → new, why) goes into the timeline and the audit trail.",
    "edit.save": "Save the correction", "field.deadlines": "Running deadlines",
    "edit.conflict": "{who} changed this case at {when}, after you opened it. Everything you typed is still below; "
                     "the marked fields differ on the two sides: decide for each, then save the correction.",
    "edit.saved_now": "Saved now:",
    "cases.office": "Your office's cases only: {office} (and cases not assigned yet)",
    "cases.office_unlinked": "Your office-head account is not linked to a heating office, so it shows no cases. "
                             "Ask the administrator to link it (Administration → Accounts).",
    "ad.office": "Heating office", "ad.office_only": "Heating office (office heads only; required)",
    "ad.set_office": "Link", "ad.office_unlinked": "no heating office linked",
    "dir.add_unit": "Add a unit", "dir.add_person": "Add a person", "dir.name_zh": "Name (Chinese)",
    "dir.name_en": "Name (English)", "dir.parent": "Heating office above (stations only)", "dir.save": "Save",
    "dir.edit": "Edit", "dir.deactivate": "Deactivate", "dir.activate": "Reactivate", "dir.delete": "Delete",
    "dir.inactive": "retired", "dir.status": "Status", "dir.code_hint": "a-z 0-9 _ -; never changes once saved",
    "dir.login_hint": "extension or login name; never changes once saved",
    "dir.note": "Unit codes and people's logins are what other records refer to: they never change. A unit or person "
                "that cases, people or accounts refer to cannot be deleted, only deactivated: a retired station gets no "
                "new cases, a retired person is no longer picked as responsible. A station with open cases, or an "
                "office with active stations, cannot be retired.",
    "dir.deleted": "deleted",
    "au.e.unit": "Unit", "au.e.person": "Person",
    "field.name_zh": "Name (Chinese)", "field.name_en": "Name (English)", "field.phone": "Phone",
    "field.parent_id": "Parent unit", "field.active": "Active", "field.unit_id": "Unit", "field.role": "Role",
    "field.name": "Name", "field.office_code": "Heating office", "field.station_code": "Station",
    "field.display_name": "Display name", "field.extension": "Extension",
    "drafts.live": "Live", "drafts.arrived": "The transcript arrived and filled the empty fields (yellow ground); "
                                             "what you typed is kept.",
    "drafts.gone": "Someone else accepted or discarded this draft: nothing more to do here.",
    "drafts.transcript_says": "Transcript says:",
}
