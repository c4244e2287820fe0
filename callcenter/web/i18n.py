"""Every string of the panel, in Simplified Chinese (default: the clerks' language) and English."""

from __future__ import annotations

from typing import Any

from callcenter.web.admin import strings as strings_admin
from callcenter.web.auth import strings as strings_auth
from callcenter.web.cases import strings as strings_cases
from callcenter.web.calls import strings as strings_calls
from callcenter.web.cases import strings_edit
from callcenter.web.wallboard import strings as strings_wallboard
from callcenter.web.notices import strings as strings_notices

DEFAULT = "zh"
LANGUAGES = ("zh", "en")
COOKIE = "lang"

ZH: dict[str, str] = {
    "app.title": "服务专线管理平台", "app.company": "银川市热力公司", "app.hotline": "服务专线 6085708",
    "lang.zh": "中文", "lang.en": "English",
    "nav.live": "实时来电", "nav.calls": "电话接听工作台帐", "nav.missed": "未接来电",
    "nav.cases": "工单", "nav.soon": "即将上线", "nav.logout": "退出",
    "role.clerk": "专线员", "role.station": "供热站", "role.office_head": "所长",
    "role.supervisor": "科长", "role.manager": "经理", "role.admin": "管理员",
    "login.title": "登录", "login.username": "用户名", "login.password": "密码", "login.submit": "登录",
    "login.failed": "用户名或密码错误。", "login.throttled": "登录失败次数过多，请 {seconds} 秒后再试。",
    "home.title": "首页", "home.nothing": "您的角色没有可用的页面，请联系管理员。",
    "disp.answered": "已接听", "disp.voicemail": "留言", "disp.busy": "无坐席可接",
    "disp.abandoned": "未接（挂断）", "disp.failed": "失败", "disp.open": "进行中",
    "stage.ringing": "振铃时挂断", "stage.queue": "排队时挂断", "stage.voicemail": "留言提示时挂断",
    "cat.": "—", "cat.complaint": "投诉", "cat.supervision": "督办件", "cat.repair": "报修",
    "cat.consultation": "咨询", "cat.application": "业务申请", "cat.temperature": "测温", "cat.other": "其他",
    "col.time": "来电时间", "col.number": "来电号码", "col.name": "来电人", "col.disposition": "结果",
    "col.clerk": "接听人", "col.ring": "等待", "col.talk": "通话", "col.voicemail": "留言",
    "col.category": "类别", "col.summary": "摘要", "col.callback": "回电", "col.actions": "操作",
    "filter.from": "开始日期", "filter.to": "结束日期", "filter.number": "号码", "filter.clerk": "接听人",
    "filter.disposition": "结果", "filter.any": "全部", "filter.voicemail": "仅有留言",
    "filter.pending": "状态", "filter.pending_only": "待回电", "filter.all": "全部",
    "filter.search": "查询", "filter.reset": "重置",
    "page.next": "下一页", "page.first": "回到最新", "page.empty": "没有符合条件的通话记录。",
    "calls.title": "电话接听工作台帐", "calls.detail": "详情", "calls.anonymous": "未显示号码",
    "missed.title": "未接来电回电工作表", "missed.mark": "标记已回电", "missed.pending": "待回电",
    "missed.done": "{who} 于 {when} 已回电",
    "detail.title": "通话详情", "detail.started": "来电时间", "detail.answered": "接通时间",
    "detail.ended": "结束时间", "detail.ring": "等待时长", "detail.talk": "通话时长",
    "detail.duration": "总时长", "detail.disposition": "处理结果", "detail.answered_by": "首问责任人",
    "detail.transferred": "转接至", "detail.dialed": "拨打号码", "detail.source": "来源",
    "detail.source.live": "实时记录", "detail.source.recovered": "从话单恢复", "detail.incomplete": "记录不完整",
    "detail.voicemail": "留言录音", "detail.no_audio": "录音文件不可用。", "detail.timeline": "通话过程",
    "detail.notes": "来电登记", "detail.history": "修改记录", "detail.no_history": "暂无修改。",
    "detail.callback": "回电", "detail.back": "返回台帐",
    "tl.created": "通道建立", "tl.ringing": "振铃", "tl.up": "摘机", "tl.bridged": "接通", "tl.ended": "挂断",
    "actor.system": "系统", "actor.system:voicemail": "系统（留言转写）",
    "ops.transcription": "有 {n} 条待登记的留言未能自动转写（专线员只看到“请听录音登记”）。最近一条的原因：",
    "ops.run_check": "请在服务器上运行 callcenter check 检查语音模型和录音目录。",
    "legrole.caller": "来电方", "legrole.agent": "专线话机", "legrole.transfer": "转接目标", "legrole.local": "本地通道",
    "ctl.incoming": "来电", "ctl.calling": "呼叫", "ctl.ringing": "振铃", "ctl.answered": "接听",
    "ctl.connected": "与来电方接通", "ctl.voicemail": "语音信箱应答", "ctl.system": "系统应答（播放提示音）",
    "ctl.missed": "未接听", "ctl.hungup": "挂机", "ctl.ended": "通话结束",
    "ctl.why.noanswer": "无人接听", "ctl.why.busy": "忙", "ctl.why.rejected": "拒接",
    "ctl.why.unreachable": "未注册或不可达", "ctl.why.elsewhere": "他人已接听", "ctl.why.gave_up": "来电方已挂断",
    "ctl.why.failed": "呼叫失败",
    "person.with_ext": "{name}（{ext}）", "person.ext": "分机 {ext}",
    "notes.caller_name": "来电人姓名", "notes.address": "地址（小区、楼号、单元、室）",
    "notes.summary": "来电内容摘要", "notes.category": "类别", "notes.save": "保存",
    "notes.called_back_at": "回电时间", "notes.called_back_by": "回电人",
    "notes.saved": "已保存。", "notes.readonly": "您的角色只能查看。",
    "audit.when": "时间", "audit.who": "修改人", "audit.field": "字段", "audit.before": "原值", "audit.after": "新值",
    "live.title": "实时来电", "live.current": "当前通话", "live.recent": "刚结束的通话",
    "live.none": "当前没有通话。", "live.connected": "实时连接正常", "live.reconnecting": "连接中断，正在重连…",
    "live.ringing": "振铃中", "live.talking": "通话中", "live.ended": "已结束", "live.at": "振铃分机",
    "live.stage.incoming": "接入中", "live.stage.queued": "排队中", "live.stage.no_clerk": "无坐席可接",
    "live.stage.voicemail": "留言中", "live.stage.ringing": "振铃中", "live.stage.talking": "通话中",
    "live.sound": "来电提示音", "live.notify": "桌面通知", "live.notify_denied": "浏览器已禁止通知",
    "live.title_ringing": "（{n}）来电 {number}", "popup.has_case": "此来电已有工单 #{id}（{kind}，{state}）",
    "popup.title": "来电", "popup.known": "登记姓名", "popup.previous": "此号码的历史来电",
    "popup.no_previous": "首次来电。", "popup.cases": "未结工单",
    "popup.second": "二次投诉：该用户有未办结的工单！",
    "popup.open_call": "查看通话", "popup.new_case": "从此来电创建工单", "popup.close": "关闭",
    "error.title": "出错了", "error.not_found": "找不到该页面或记录。", "error.forbidden": "您的角色无权访问此页面。",
    "error.csrf_failed": "请求已过期或来源不明，请刷新页面后重试。", "error.bad_request": "请求有误。",
    "error.conflict": "其他人已修改此记录，请刷新后重试。", "error.internal": "服务器内部错误。",
    "error.throttled": "操作过于频繁，请稍后再试。", "error.back": "返回首页",
    "unit.s": "秒",
}

EN: dict[str, str] = {
    "app.title": "Hotline Service Panel", "app.company": "Yinchuan Heating Company", "app.hotline": "Hotline 6085708",
    "lang.zh": "中文", "lang.en": "English",
    "nav.live": "Live calls", "nav.calls": "Call ledger", "nav.missed": "Missed calls",
    "nav.cases": "Cases", "nav.soon": "coming soon", "nav.logout": "Log out",
    "role.clerk": "Clerk", "role.station": "Station", "role.office_head": "Office head",
    "role.supervisor": "Department head", "role.manager": "Manager", "role.admin": "Administrator",
    "login.title": "Log in", "login.username": "Username", "login.password": "Password", "login.submit": "Log in",
    "login.failed": "Wrong username or password.", "login.throttled": "Too many failed logins; try again in {seconds} s.",
    "home.title": "Home", "home.nothing": "Nothing here for your role; ask an administrator.",
    "disp.answered": "Answered", "disp.voicemail": "Voicemail", "disp.busy": "No clerk available",
    "disp.abandoned": "Abandoned", "disp.failed": "Failed", "disp.open": "In progress",
    "stage.ringing": "hung up while ringing", "stage.queue": "hung up while queued",
    "stage.voicemail": "hung up at the greeting",
    "cat.": "—", "cat.complaint": "Complaint", "cat.supervision": "Supervision case", "cat.repair": "Repair",
    "cat.consultation": "Consultation", "cat.application": "Application", "cat.temperature": "Temperature",
    "cat.other": "Other",
    "col.time": "Time", "col.number": "Number", "col.name": "Caller", "col.disposition": "Outcome",
    "col.clerk": "Answered by", "col.ring": "Wait", "col.talk": "Talk", "col.voicemail": "Voicemail",
    "col.category": "Category", "col.summary": "Summary", "col.callback": "Call-back", "col.actions": "Actions",
    "filter.from": "From", "filter.to": "To", "filter.number": "Number", "filter.clerk": "Clerk",
    "filter.disposition": "Outcome", "filter.any": "Any", "filter.voicemail": "With voicemail only",
    "filter.pending": "Status", "filter.pending_only": "Not called back", "filter.all": "All",
    "filter.search": "Search", "filter.reset": "Reset",
    "page.next": "Next page", "page.first": "Newest", "page.empty": "No calls match.",
    "calls.title": "Call ledger", "calls.detail": "Details", "calls.anonymous": "Number withheld",
    "missed.title": "Missed calls to call back", "missed.mark": "Mark called back", "missed.pending": "To call back",
    "missed.done": "called back by {who} at {when}",
    "detail.title": "Call", "detail.started": "Started", "detail.answered": "Answered",
    "detail.ended": "Ended", "detail.ring": "Wait", "detail.talk": "Talk time",
    "detail.duration": "Duration", "detail.disposition": "Outcome", "detail.answered_by": "First responsible",
    "detail.transferred": "Transferred to", "detail.dialed": "Dialled number", "detail.source": "Source",
    "detail.source.live": "live", "detail.source.recovered": "recovered from CDR", "detail.incomplete": "incomplete",
    "detail.voicemail": "Voicemail", "detail.no_audio": "The recording is not available.",
    "detail.timeline": "Timeline", "detail.notes": "Registration", "detail.history": "Change history",
    "detail.no_history": "No changes yet.", "detail.callback": "Call-back", "detail.back": "Back to the ledger",
    "tl.created": "channel created", "tl.ringing": "ringing", "tl.up": "off hook", "tl.bridged": "connected",
    "tl.ended": "hung up",
    "actor.system": "System", "actor.system:voicemail": "System (voicemail transcription)",
    "ops.transcription": "{n} waiting voicemail drafts could not be transcribed (clerks are only told to listen to the recording). The latest reason:",
    "ops.run_check": "Run callcenter check on the server to check the speech model and the voicemail spool.",
    "legrole.caller": "caller", "legrole.agent": "clerk phone", "legrole.transfer": "transfer target",
    "legrole.local": "local channel",
    "ctl.incoming": "Incoming call", "ctl.calling": "Calling", "ctl.ringing": "Ringing", "ctl.answered": "Answered",
    "ctl.connected": "Connected to the caller", "ctl.voicemail": "Voicemail answered",
    "ctl.system": "Answered by the system (announcement)", "ctl.missed": "Not answered", "ctl.hungup": "Hung up",
    "ctl.ended": "Call ended",
    "ctl.why.noanswer": "no answer", "ctl.why.busy": "busy", "ctl.why.rejected": "rejected",
    "ctl.why.unreachable": "not registered or unreachable", "ctl.why.elsewhere": "answered by someone else",
    "ctl.why.gave_up": "the caller hung up", "ctl.why.failed": "call failed",
    "person.with_ext": "{name} ({ext})", "person.ext": "extension {ext}",
    "notes.caller_name": "Caller's name", "notes.address": "Address (estate, building, unit, flat)",
    "notes.summary": "Summary", "notes.category": "Category", "notes.save": "Save",
    "notes.called_back_at": "Called back at", "notes.called_back_by": "Called back by",
    "notes.saved": "Saved.", "notes.readonly": "Your role may only read.",
    "audit.when": "When", "audit.who": "Who", "audit.field": "Field", "audit.before": "Before", "audit.after": "After",
    "live.title": "Live calls", "live.current": "Current calls", "live.recent": "Just ended",
    "live.none": "No calls right now.", "live.connected": "Live feed connected",
    "live.reconnecting": "Disconnected, reconnecting…",
    "live.ringing": "Ringing", "live.talking": "Talking", "live.ended": "Ended", "live.at": "Ringing at",
    "live.stage.incoming": "Arriving", "live.stage.queued": "Queued", "live.stage.no_clerk": "No clerk free",
    "live.stage.voicemail": "Leaving a message", "live.stage.ringing": "Ringing", "live.stage.talking": "Talking",
    "live.sound": "Ring sound", "live.notify": "Desktop notice", "live.notify_denied": "Notices blocked by the browser",
    "live.title_ringing": "({n}) Call {number}", "popup.has_case": "This call already has case #{id} ({kind}, {state})",
    "popup.title": "Incoming call", "popup.known": "Registered name", "popup.previous": "Previous calls from this number",
    "popup.no_previous": "First call.", "popup.cases": "Open cases",
    "popup.second": "Second complaint: this caller has an unfinished case!",
    "popup.open_call": "Open call", "popup.new_case": "Open a case from this call", "popup.close": "Close",
    "error.title": "Error", "error.not_found": "No such page or record.", "error.forbidden": "Your role may not see this.",
    "error.csrf_failed": "The request expired or came from elsewhere; reload the page and try again.",
    "error.bad_request": "Bad request.", "error.conflict": "Someone else changed this record; reload and try again.",
    "error.internal": "Internal error.", "error.throttled": "Too many requests; try again later.",
    "error.back": "Home",
    "unit.s": "s",
}

# The other areas' strings live next to them, one module each.
for _module in (strings_cases, strings_admin, strings_edit, strings_auth, strings_wallboard, strings_calls,
                strings_notices):
    ZH.update(_module.ZH)
    EN.update(_module.EN)

CATALOGUE = {"zh": ZH, "en": EN}


def gettext(lang: str, key: str, default: str | None = None, **values: Any) -> str:
    text = CATALOGUE.get(lang, ZH).get(key) or ZH.get(key) or (default if default is not None else key)
    return text.format(**values) if values else text


def for_js(lang: str, prefixes: tuple[str, ...]) -> dict[str, str]:
    """The strings a page's script needs (passed as JSON, never as code)."""
    table = CATALOGUE.get(lang, ZH)
    return {k: v for k, v in table.items() if k.startswith(prefixes)}
