"""Strings of the ledger's search, totals, pager and export (Simplified Chinese, English)."""

ZH = {
    "filter.name": "姓名", "filter.time_from": "时段自", "filter.time_to": "至", "filter.min_seconds": "时长≥(秒)",
    "filter.max_seconds": "时长≤(秒)", "filter.transferred": "仅转接", "filter.mine": "我接听的",
    "filter.number_hint": "号码的任意4位以上，或完整号码（+86、0、0951均可）",
    "col.number_shown": "号码（规范）", "col.duration": "总时长", "col.transferred": "转接",
    "page.prev": "上一页", "totals.title": "合计", "totals.calls": "通话 {n} 次", "totals.answered": "接听 {n}",
    "totals.voicemail": "留言 {n}", "totals.transferred": "转接 {n}", "totals.talk": "通话时长 {t}",
    "totals.more": "通话超过 {n} 次", "totals.count_all": "全部统计",
    "export.csv": "导出 CSV", "export.xlsx": "导出 Excel",
}  # fmt: skip

EN = {
    "filter.name": "Name", "filter.time_from": "Time from", "filter.time_to": "to", "filter.min_seconds": "Duration ≥ (s)",
    "filter.max_seconds": "Duration ≤ (s)", "filter.transferred": "Transferred only", "filter.mine": "My calls",
    "filter.number_hint": "any 4 or more digits of the number, or the whole number (+86, 0, 0951 all fine)",
    "col.number_shown": "Number (normalised)", "col.duration": "Duration", "col.transferred": "Transferred",
    "page.prev": "Previous page", "totals.title": "Totals", "totals.calls": "{n} calls", "totals.answered": "{n} answered",
    "totals.voicemail": "{n} voicemail", "totals.transferred": "{n} transferred", "totals.talk": "talk time {t}",
    "totals.more": "more than {n} calls", "totals.count_all": "count them all",
    "export.csv": "Export CSV", "export.xlsx": "Export Excel",
}  # fmt: skip
