"""Strings of the ledger's search, totals, pager and export (Simplified Chinese, English)."""

ZH = {
    "filter.name": "姓名", "filter.time_from": "时段自", "filter.time_to": "至", "filter.min_seconds": "时长≥(秒)",
    "filter.max_seconds": "时长≤(秒)", "filter.transferred": "仅转接", "filter.mine": "我接听的",
    "filter.number_hint": "号码的任意4位以上，或完整号码（+86、0、0951均可）",
    "col.number_shown": "号码（规范）", "col.duration": "总时长", "col.transferred": "转接",
    "page.prev": "上一页", "totals.title": "合计", "totals.calls": "通话 {n} 次", "totals.answered": "接听 {n}",
    "totals.voicemail": "留言 {n}", "totals.transferred": "转接 {n}", "totals.talk": "通话时长 {t}",
    "export.csv": "导出 CSV", "export.xlsx": "导出 Excel",
    # two people saved the same call's notes
    "notes.conflict": "没有保存：您编辑期间，{who}在 {when} 已经保存过这条通话的记录。您填写的内容都还在下面；"
                      "标出的字段两边不一样，请逐项决定用哪一个（也可以自己合并），再点保存。",
    "notes.yours": "您填写的", "notes.theirs": "已保存的内容（{who}，{when}）：", "notes.take_theirs": "改用已保存的内容",
    "notes.merge_text": "两段合在一起", "notes.empty": "（空）", "notes.save_mine": "确认保存",
    "notes.taken": "您没有改动、对方改过的字段，已换成对方保存的内容：",
}  # fmt: skip

EN = {
    "filter.name": "Name", "filter.time_from": "Time from", "filter.time_to": "to", "filter.min_seconds": "Duration ≥ (s)",
    "filter.max_seconds": "Duration ≤ (s)", "filter.transferred": "Transferred only", "filter.mine": "My calls",
    "filter.number_hint": "any 4 or more digits of the number, or the whole number (+86, 0, 0951 all fine)",
    "col.number_shown": "Number (normalised)", "col.duration": "Duration", "col.transferred": "Transferred",
    "page.prev": "Previous page", "totals.title": "Totals", "totals.calls": "{n} calls", "totals.answered": "{n} answered",
    "totals.voicemail": "{n} voicemail", "totals.transferred": "{n} transferred", "totals.talk": "talk time {t}",
    "export.csv": "Export CSV", "export.xlsx": "Export Excel",
    "notes.conflict": "Not saved: while you were editing, {who} saved this call's notes at {when}. Everything you "
                      "typed is still below; the marked fields differ on the two sides: decide for each (or merge "
                      "them yourself), then save.",
    "notes.yours": "yours", "notes.theirs": "Saved version ({who}, {when}):", "notes.take_theirs": "Use the saved version",
    "notes.merge_text": "Put both texts together", "notes.empty": "(empty)", "notes.save_mine": "Save this version",
    "notes.taken": "Fields you left alone and the other side changed now hold their saved values: ",
}  # fmt: skip
