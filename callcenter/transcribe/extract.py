"""Fields of a draft case read from a Mandarin voicemail transcript; pure and offline.

``extract(text)`` finds callback phone numbers, the address (compound, building, unit,
room), the indoor temperature, a category hint and a suggested heating station. The
category keywords and the compound gazetteer are TOML tables (packaged defaults
``keywords.toml``, ``gazetteer.toml``; the ones in force: :mod:`~callcenter.transcribe.table_store`),
read by :mod:`~callcenter.transcribe.tables`;
numerals and normalisation are :mod:`~callcenter.transcribe.chinese`. Transcripts are
attacker-controlled text: nothing here evaluates it, and every field is either built
from digits, a gazetteer entry or a run of Chinese characters, or is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from callcenter.transcribe.chinese import DIGIT_CHARS as _D
from callcenter.transcribe.chinese import HAN as _HAN
from callcenter.transcribe.chinese import NUMBER_CHARS as _NUM
from callcenter.transcribe.chinese import normalize, number_text, parse_chinese_number, read_digits
from callcenter.transcribe.tables import (
    CaseHint,
    Category,
    Gazetteer,
    KeywordTable,
    TableError,
    default_gazetteer,
    default_keywords,
    load_gazetteer,
    load_keywords,
)

__all__ = [  # the tables and the numerals live in modules of their own; imported from here too
    "Address", "CaseHint", "Category", "Extracted", "Gazetteer", "KeywordTable", "TableError",
    "default_gazetteer", "default_keywords", "extract", "find_address", "find_phones",
    "find_temperature", "load_gazetteer", "load_keywords", "merge_into", "normalize",
    "parse_chinese_number", "read_digits",
]  # fmt: skip

# ------------------------------------------------------------------ phones

_SEP = r"[\s\-–—,、.()·/]+"
_PHONE_RUN_RE = re.compile(rf"[{_D}](?:[{_D}]|{_SEP}(?=[{_D}]))*")
_GROUP_RE = re.compile(rf"[{_D}]+")
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# A number followed by one of these is an amount, a room, a date...; one preceded by
# one of the others is an account, an order, an identity card...
_NOT_PHONE_AFTER = ("元", "块", "万", "千", "百", "亿", "度", "室", "年", "月", "日", "楼",
                    "栋", "幢", "单元", "平", "米", "岁", "次", "个", "斤", "吨", "%", "人")  # fmt: skip
_NOT_PHONE_BEFORE = ("户号", "编号", "账号", "帐号", "卡号", "单号", "证号", "身份证",
                     "订单", "工号", "邮编", "¥", "$")  # fmt: skip


def _as_phone(digits: str) -> str | None:
    """Mobile (11 digits, optional 86) or Yinchuan local number (7 digits, optional 0951)."""
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if _MOBILE_RE.fullmatch(digits):
        return digits
    if len(digits) == 11 and digits.startswith("0951"):
        digits = digits[4:]
    return digits if len(digits) == 7 and digits[0] in "23456789" else None


def _phone_at(text: str, start: int, end: int, digits: str) -> str | None:
    phone = _as_phone(digits)
    if phone is None or text[end : end + 4].lstrip().startswith(_NOT_PHONE_AFTER):
        return None
    before = text[max(0, start - 6) : start]
    return None if any(word in before for word in _NOT_PHONE_BEFORE) else phone


def _overlong(text: str, start: int, end: int, digits: str) -> str | None:
    """A spoken mobile glued to a neighbour (三零二一三九… or …二三四一直): the one valid
    11-digit prefix or suffix of 12-15 spoken digits."""
    if not 12 <= len(digits) <= 15 or not any(ch not in "0123456789" for ch in text[start:end]):
        return None
    head = _phone_at(text, start, start + 11, digits[:11])
    tail = _phone_at(text, end - 11, end, digits[-11:])
    return (head or tail) if not (head and tail) else None


def _phones_in_run(text: str, groups: list[re.Match[str]]) -> Iterable[str]:
    """Split a run of digit groups into phone numbers, longest number first."""
    digits = [read_digits(g[0]) for g in groups]
    i = 0
    while i < len(groups):
        spans, joined = [], ""
        for j in range(i, len(groups)):
            joined += digits[j]
            if len(joined) > 15:
                break
            spans.append((j, joined))
        for j, candidate in reversed(spans):
            start, end = groups[i].start(), groups[j].end()
            phone = _phone_at(text, start, end, candidate)
            if phone is None and j == i:
                phone = _overlong(text, start, end, candidate)
            if phone:
                yield phone
                i = j
                break
        i += 1


def find_phones(text: str) -> tuple[str, ...]:
    """Phone numbers in normalised ``text``, in order, without duplicates."""
    found: dict[str, None] = {}
    for run in _PHONE_RUN_RE.finditer(text):
        groups = list(_GROUP_RE.finditer(text, run.start(), run.end()))
        found.update(dict.fromkeys(_phones_in_run(text, groups)))
    return tuple(found)


# ----------------------------------------------------------------- address


@dataclass(frozen=True)
class Address:
    compound: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None


_COMPOUND_RE = re.compile(rf"([{_HAN}]{{1,8}}?)(小区|花园|家园|嘉园|新村|公寓|苑)(?!站|供热|换热)")
_ADMIN_RE = re.compile(r".*[市区县镇路街巷道]")
_STOP_RE = re.compile(r".*(?:我们|咱们|你们|他们|这个|那个|我家|咱家|你家|他家|她家|"
                      r"[在住是的到于叫个了这那本该咱说])")  # fmt: skip
# A number is a whole run of numerals, of bounded length (no quadratic scans).
_N = rf"(?<![{_NUM}])([{_NUM}]{{1,8}})"
_BUILDING_RE = re.compile(rf"(?:{_N}|(?<![A-Za-z])([A-Za-z]))(?:号楼|#楼|栋|幢|座)")
_UNIT_RE = re.compile(rf"{_N}单元")
_ROOM_RES = (  # (pattern, fewest digits); the first that gives a room wins
    (re.compile(rf"{_N}(?:室|号房)"), 2),
    (re.compile(rf"{_N}号(?![楼码院线])"), 3),
    (re.compile(rf"单元([{_NUM}]{{1,8}})(?![{_NUM}号栋幢度元块])"), 3),
)


def _compound_name(prefix: str, suffix: str) -> str | None:
    """Strip "我家在", "银川市金凤区" ... from the characters before 小区/花园/…"""
    admin = _ADMIN_RE.match(prefix)
    if admin and admin.end() < len(prefix):
        prefix = prefix[admin.end() :]
    stop = _STOP_RE.match(prefix)
    name = prefix[stop.end() :] if stop else prefix
    return name + suffix if name else None


def _number(pattern: re.Pattern[str], text: str, fewest: int, most: int) -> str | None:
    for m in pattern.finditer(text):
        value = number_text(m[1]) if m[1] else m[2].upper()
        if value and (value.isalpha() or fewest <= len(value) <= most):
            return value
    return None


def _guess_compound(text: str) -> str | None:
    for m in _COMPOUND_RE.finditer(text):
        if compound := _compound_name(m[1], m[2]):
            return compound
    return None


def find_address(text: str, gazetteer: Gazetteer | None = None) -> Address:
    """Address parts in normalised ``text``. A gazetteer name gives the compound's proper
    name, unless it is the tail of a longer name (阳光丽景小区 is not 丽景小区)."""
    compound = _guess_compound(text)
    known = gazetteer.find(text) if gazetteer else None
    if known and not (compound and len(compound) > len(known[0]) and compound.endswith(known[0])):
        compound = known[1]
    room = None
    for pattern, fewest in _ROOM_RES:
        if room := _number(pattern, text, fewest, 4):
            break
    return Address(compound, _number(_BUILDING_RE, text, 1, 3), _number(_UNIT_RE, text, 1, 2), room)


# ------------------------------------------------------------- temperature

ROOM_TEMPERATURE_RANGE = (5.0, 35.0)  # a reading outside it is not taken as a room temperature
_TEMP_RE = re.compile(rf"(零下|负|-|−)?(?<![{_NUM}点.])([{_NUM}点.]{{1,12}})(?:摄氏)?(?:度|°C?)")
_INDOOR = ("室内", "室温", "屋里", "屋内", "屋子", "家里", "家中", "房间", "房子", "卧室", "客厅")
_NOT_ROOM = ("室外", "外面", "外边", "外头", "户外", "气温", "天气", "暖气片", "片子", "水温",
             "供水", "回水", "管子")  # fmt: skip
_CONTEXT = 10  # characters before a reading searched for where it was measured


def _place(context: str) -> str | None:
    """"indoor", "other" or None, from the marker nearest to the end of ``context``."""
    best, where = -1, None
    for markers, label in ((_INDOOR, "indoor"), (_NOT_ROOM, "other")):
        for marker in markers:
            at = context.rfind(marker)
            if at >= 0 and at + len(marker) > best:
                best, where = at + len(marker), label
    return where


def find_temperature(text: str) -> float | None:
    """The indoor temperature in normalised ``text``: the first reading said to be
    indoors, else the first with no place; never below zero or outside the range."""
    fallback, previous_end = None, 0
    for m in _TEMP_RE.finditer(text):
        context = text[max(previous_end, m.start() - _CONTEXT) : m.start()]
        previous_end = m.end()
        try:
            value = float(parse_chinese_number(m[2]))
        except ValueError:
            continue
        low, high = ROOM_TEMPERATURE_RANGE
        if m[1] or not low <= value <= high:
            continue
        where = _place(context)
        if where == "indoor":
            return value
        if where is None and fallback is None:
            fallback = value
    return fallback


# ------------------------------------------------------------------ result


@dataclass(frozen=True)
class Extracted:
    phones: tuple[str, ...] = ()
    address: Address = Address()
    temperature_c: float | None = None
    category: str | None = None
    station: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"phones": [...], "address": {...}, "temperature_c", "category", "station"}``."""
        return {**asdict(self), "phones": list(self.phones)}


def extract(
    text: str,
    *,
    keywords: KeywordTable | None = None,
    gazetteer: Gazetteer | None = None,
    ignore_phones: Iterable[str] = (),
) -> Extracted:
    """Everything this module can read from one transcript (any text; Vosk's spaces are
    fine). ``ignore_phones`` drops numbers, in the form returned, that are not the
    caller's (e.g. the hotline's own "6085708"). Default tables: the packaged files."""
    keywords = default_keywords() if keywords is None else keywords
    gazetteer = default_gazetteer() if gazetteer is None else gazetteer
    clean = normalize(text)
    address = find_address(clean, gazetteer)
    ignored = set(ignore_phones)
    return Extracted(
        phones=tuple(p for p in find_phones(clean) if p not in ignored),
        address=address,
        temperature_c=find_temperature(clean),
        category=keywords.classify(clean),
        station=gazetteer.station_of(address.compound) if address.compound else None,
    )


def _is_empty(value: Any) -> bool:
    """None, blank text, or a list/dict holding only empty values."""
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping):
        return all(_is_empty(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_is_empty(v) for v in value)
    return value is None


def merge_into(current: Mapping[str, Any], extracted: Extracted) -> dict[str, Any]:
    """A copy of the draft ``current`` (shaped like ``Extracted.to_dict()``) whose empty
    fields (missing, None, blank, empty list) are filled from ``extracted``; anything a
    clerk typed is kept, including a free-text address. The station is not suggested
    when the clerk typed a compound other than the one it belongs to."""
    merged = dict(current)
    typed = current.get("address")
    typed = typed.get("compound") if isinstance(typed, Mapping) else typed
    for key, value in extracted.to_dict().items():
        if key == "station" and not _is_empty(typed) and str(extracted.address.compound) not in str(typed):
            continue
        if key == "address" and isinstance(merged.get(key), Mapping):
            old = merged[key]
            filled = {k: v for k, v in value.items() if v is not None and _is_empty(old.get(k))}
            merged[key] = {**old, **filled}
        elif _is_empty(merged.get(key)) and not _is_empty(value):
            merged[key] = value
    return merged
