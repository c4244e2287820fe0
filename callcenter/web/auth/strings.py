"""Strings of the account pages (change my password), zh and en."""

from __future__ import annotations

ZH: dict[str, str] = {
    "pw.title": "修改密码", "pw.link": "修改密码", "pw.old": "当前密码", "pw.new": "新密码", "pw.again": "再次输入新密码",
    "pw.submit": "修改", "pw.rules": "至少 12 个字符，不能包含用户名，不能是常见或容易猜到的密码（如 12345678、aaaaaaaa、键盘上连续的字母）。",
    "pw.wrong_old": "当前密码不正确。", "pw.mismatch": "两次输入的新密码不一致。",
    "pw.done": "密码已修改；该账号在其他地方的登录已全部退出。",
    "pw.short": "新密码至少 12 个字符。", "pw.has_name": "新密码不能包含用户名。",
    "pw.weak": "新密码太容易被猜到，请换一个更长、不常见的密码（例如几个词加数字）。",
    "pw.same": "新密码不能与当前密码相同。", "pw.long": "新密码最多 1024 个字符。",
}

EN: dict[str, str] = {
    "pw.title": "Change password", "pw.link": "Password", "pw.old": "Current password", "pw.new": "New password",
    "pw.again": "New password again", "pw.submit": "Change",
    "pw.rules": "At least 12 characters, without your username, and not a common or easily guessed password "
                "(like password, 12345678, aaaaaaaa).",
    "pw.wrong_old": "The current password is wrong.", "pw.mismatch": "The two new passwords differ.",
    "pw.done": "Password changed; every other login of this account has been ended.",
    "pw.short": "The new password needs at least 12 characters.", "pw.has_name": "The new password must not contain the username.",
    "pw.weak": "The new password is too easy to guess: choose a longer, uncommon one (e.g. several words and digits).",
    "pw.same": "The new password must differ from the current one.", "pw.long": "The new password has at most 1024 characters.",
}
