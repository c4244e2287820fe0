"""The numbering plan of mainland China as stored, shown, dialled and searched (callcenter.phones)."""

from __future__ import annotations

import pytest

from callcenter.phones import from_digits, parse, search_digits, shown, stored


@pytest.mark.parametrize(("typed", "e164", "display", "dialled"), [
    ("13909511234", "+8613909511234", "139 0951 1234", "13909511234"),
    ("+86 139 0951 1234", "+8613909511234", "139 0951 1234", "13909511234"),
    ("0086-139-0951-1234", "+8613909511234", "139 0951 1234", "13909511234"),
    ("013909511234", "+8613909511234", "139 0951 1234", "13909511234"),
    ("6085708", "+869516085708", "0951-6085708", "6085708"),
    ("(0951) 608 5708", "+869516085708", "0951-6085708", "6085708"),
    ("09536085708", "+869536085708", "0953-6085708", "09536085708"),
    ("0953-21234567", "+8695321234567", "0953-21234567", "095321234567"),
    ("010 6255 1234", "+861062551234", "010-62551234", "01062551234"),
    ("+861062551234", "+861062551234", "010-62551234", "01062551234"),
    ("400-810-5888", "+864008105888", "400-810-5888", "4008105888"),
    ("400-810-5888 转 8001", "+864008105888;ext=8001", "400-810-5888 转 8001", "4008105888"),
    ("+869516085708;ext=8001", "+869516085708;ext=8001", "0951-6085708 转 8001", "6085708"),
    ("6085708分机12", "+869516085708;ext=12", "0951-6085708 转 12", "6085708"),
])  # fmt: skip
def test_forms(typed: str, e164: str, display: str, dialled: str) -> None:
    phone = parse(typed)
    assert phone is not None and (phone.e164, phone.display, phone.dialled) == (e164, display, dialled)
    assert parse(phone.e164) == phone and stored(phone.display) == e164


@pytest.mark.parametrize("bad", ["", "1234", "12345678", "0123456", "1111111", "139095112345", "abc",
                                 "13909511234; DROP TABLE calls", "+1 212 555 0100", "1+3909511234",
                                 "１" * 10_000, "6085708 转 1234567"])  # fmt: skip
def test_not_numbers(bad: str) -> None:
    assert parse(bad) is None and stored(bad) is None


def test_digits_are_ascii_only() -> None:
    assert from_digits("١٣٩٠٩٥١١٢٣٤") is None  # Arabic-Indic digits pass str.isdigit()


def test_shown_keeps_what_is_no_number() -> None:
    assert shown("13909511234") == "139 0951 1234" and shown("匿名") == "匿名" and shown(None) == ""


@pytest.mark.parametrize(("query", "digits"), [
    ("13909511234", "13909511234"), ("+8613909511234", "13909511234"), ("0086 13909511234", "13909511234"),
    ("013909511234", "13909511234"), ("139 0951 1234", "13909511234"), ("139-0951-1234", "13909511234"),
    ("1390951", "1390951"), ("1234", "1234"), ("0951-6085708", "6085708"), ("09516085708", "6085708"),
    ("6085708", "6085708"), ("010-62551234", "1062551234"), ("+86 951 608", "951608"), ("09536", "9536"), ("0951", "0951"), ("0086", "0086"), ("6085708 转 8001", "6085708"), ("400-810-5888;ext=2", "4008105888"), ("+86 0951 6", "9516"), ("+86 12", "8612"),
])  # fmt: skip
def test_search_digits(query: str, digits: str) -> None:
    assert search_digits(query) == digits


@pytest.mark.parametrize("bad", ["123", "012", "+8", "+861", "Zhang", "1234%", "12_34", "1" * 65, "' OR 1=1 --"])
def test_search_digits_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        search_digits(bad)
