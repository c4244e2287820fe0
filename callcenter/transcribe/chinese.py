"""Chinese text as the speech recogniser writes it: numerals and normalisation; pure.

``read_digits`` and ``parse_chinese_number`` read spoken numbers (三零二, 三百零二, 十七点五),
``number_text`` the number of an address, ``normalize`` folds full-width characters and
removes the recogniser's spaces between Chinese words. The character classes are shared
with :mod:`callcenter.transcribe.extract`'s patterns.
"""

from __future__ import annotations

import re
import unicodedata

# ---------------------------------------------------------------- numerals

_DIGITS = {str(d): d for d in range(10)} | {
    "零": 0, "〇": 0, "洞": 0, "一": 1, "幺": 1, "壹": 1, "二": 2, "两": 2, "贰": 2,
    "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7,
    "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
DIGIT_CHARS = "".join(_DIGITS)
NUMBER_CHARS = DIGIT_CHARS + "十百千"  # characters of a number inside an address or a temperature


def read_digits(text: str) -> str:
    """A digit-by-digit reading as a digit string: ``"三零二" -> "302"``, ``"幺三九" -> "139"``."""
    s = "".join(text.split())
    if not s or any(ch not in _DIGITS for ch in s):
        raise ValueError(f"not a digit-by-digit number: {text!r}")
    return "".join(str(_DIGITS[ch]) for ch in s)


def parse_chinese_number(text: str) -> int | float:
    """``"三百零二" -> 302``, ``"十五" -> 15``, ``"两万五" -> 25000``, ``"十七点五" -> 17.5``.

    Arabic digits may be mixed in; a reading without units (``"三零二"``) is read digit by
    digit (use ``read_digits`` to keep leading zeros). Raises ValueError otherwise.
    """
    s = "".join(text.split())
    head, sep, tail = s.replace(".", "点").partition("点")
    if sep:
        return float(f"{_parse_integer(head) if head else 0}.{read_digits(tail)}")
    return _parse_integer(s)


def _parse_integer(s: str) -> int:
    if not s or all(ch in _DIGITS for ch in s):
        return int(read_digits(s))
    total = section = 0
    number: int | None = None
    last_unit, small_unit, zero = 1, 10_000, False
    for ch in s:
        if ch in _DIGITS and number is None:
            zero = zero or _DIGITS[ch] == 0
            number = _DIGITS[ch] or None
        elif ch in _UNITS and _UNITS[ch] < small_unit:
            last_unit = small_unit = _UNITS[ch]
            section += (1 if number is None else number) * last_unit
            number, zero = None, False
        elif ch in _BIG_UNITS:
            total += (section + (number or 0) or 1) * _BIG_UNITS[ch]
            section, number, zero = 0, None, False
            last_unit, small_unit = _BIG_UNITS[ch], 10_000
        else:
            raise ValueError(f"not a Chinese number: {s!r}")
    if number is not None and not zero and last_unit >= 100:
        number *= last_unit // 10  # colloquial 三百五 = 350, 两万五 = 25000
    return total + section + (number or 0)


def number_text(s: str) -> str | None:
    """Canonical digits of an address number, or None when it does not parse."""
    try:
        if any(ch in _UNITS for ch in s):
            return str(parse_chinese_number(s))
        return read_digits(s)
    except ValueError:
        return None


# ----------------------------------------------------------- normalisation

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WIDE_PUNCT = "\u3000-\u303f\uff00-\uffef"
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u2060\ufeff\x00]")
_HAN_SPACE_RE = re.compile(rf"(?<=[{HAN}{_WIDE_PUNCT}])\s+|\s+(?=[{HAN}{_WIDE_PUNCT}])")


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters), no invisible characters, no spaces next to
    Chinese characters (Vosk prints "幸福 小区 三 号 楼"), other runs of space as one."""
    text = " ".join(_INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)).split())
    return _HAN_SPACE_RE.sub("", text)
