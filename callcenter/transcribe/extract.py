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

from callcenter.phones import MAX_EXTENSION_DIGITS, Phone, from_digits, stored
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

_SEP = r"[\s\-–—,、.()·/+]+"
# Words the recogniser (or a hesitating caller) puts inside a number: 幺三九 嗯 零九五幺…
_FILLER_RE = re.compile(rf"(?<=[{_D}])(?:嗯|啊|呃|额|哦|噢|那个|就是|然后|再就是)+(?=[{_D}])")
_PHONE_RUN_RE = re.compile(rf"[{_D}](?:[{_D}]|{_SEP}(?=[{_D}]))*")
_GROUP_RE = re.compile(rf"[{_D}]+")
_EXT_RE = re.compile(rf"\s*(?:转分机|分机号?|转)\s*([{_D}]{{1,{MAX_EXTENSION_DIGITS}}})(?![{_D}])")
_MAX_DIGITS = 15  # 0086 + an 11-digit national number
# A number followed by one of these is an amount, a room, a date...; one preceded by
# one of the others is an account, an order, an identity card...
_NOT_PHONE_AFTER = ("元", "块", "万", "千", "百", "亿", "度", "室", "年", "月", "日", "楼",
                    "栋", "幢", "单元", "平", "米", "岁", "次", "个", "斤", "吨", "%", "人")  # fmt: skip
_ADDRESS_BEFORE = ("单元", "号楼", "栋", "幢")  # a number right after them is a room (not a mobile)
_NOT_PHONE_BEFORE = ("户号", "编号", "账号", "帐号", "卡号", "单号", "证号", "身份证",
                     "订单", "工号", "邮编", "¥", "$")  # fmt: skip
# Words before a number that make it the one to call back, and words around one that do not.
_CALLBACK_BEFORE = ("回电", "回拨", "回个电话", "打给我", "联系我", "找我", "我的电话", "我电话", "我手机",
                    "我的手机", "联系电话", "联系方式", "手机号", "电话是", "号码是", "打这个")  # fmt: skip
_OTHER_BEFORE = ("打了", "打过", "拨打", "热线", "供热站", "物业", "你们", "站里", "所里")
_OTHER_AFTER = ("没人接", "打不通", "占线", "一直没人")
_CALLBACK_CONTEXT = 8  # characters around a number looked at for those words


@dataclass(frozen=True)
class _Found:
    phone: Phone
    start: int
    end: int


def _phone_at(text: str, start: int, end: int, digits: str) -> Phone | None:
    phone = from_digits(digits)
    if phone is None or text[end : end + 4].lstrip().startswith(_NOT_PHONE_AFTER):
        return None
    before = text[max(0, start - 6) : start]
    if phone.kind != "mobile" and before.rstrip().endswith(_ADDRESS_BEFORE):  # 二单元五零二六零八…
        return None
    return None if any(word in before for word in _NOT_PHONE_BEFORE) else phone


def _overlong(text: str, start: int, end: int, digits: str) -> _Found | None:
    """A spoken mobile glued to a neighbour (三零二一三九… or …二三四一直): the one valid
    11-digit prefix or suffix of 12-15 spoken digits."""
    if not 12 <= len(digits) <= _MAX_DIGITS or not any(ch not in "0123456789" for ch in text[start:end]):
        return None
    head = _phone_at(text, start, start + 11, digits[:11])
    tail = _phone_at(text, end - 11, end, digits[-11:])
    if head and not tail:
        found = _Found(head, start, start + 11)
    elif tail and not head:
        found = _Found(tail, end - 11, end)
    else:
        return None
    return found if found.phone.kind == "mobile" else None


def _phones_in_run(text: str, groups: list[re.Match[str]]) -> Iterable[_Found]:
    """Split a run of digit groups into phone numbers, longest number first."""
    digits = [read_digits(g[0]) for g in groups]
    i = 0
    while i < len(groups):
        spans, joined = [], ""
        for j in range(i, len(groups)):
            joined += digits[j]
            if len(joined) > _MAX_DIGITS:
                break
            spans.append((j, joined))
        for j, candidate in reversed(spans):
            start, end = groups[i].start(), groups[j].end()
            found = _phone_at(text, start, end, candidate)
            if found is not None:
                yield _Found(found, start, end)
                i = j
                break
            if j == i and (glued := _overlong(text, start, end, candidate)):
                yield glued
                break
        else:
            yield from _split_glued(text, groups[i])
        i += 1


_PIECES = (11, 12, 7, 10, 8)  # lengths of numbers said back to back (mobile, landline, local, 400)


def _split_glued(text: str, group: re.Match[str]) -> list[_Found]:
    """Numbers said back to back without a pause (一三九…二三四六零八五七零八): the one way to
    cut a group of 14-30 digits into whole numbers, mobiles and landlines, or nothing."""
    if not 14 <= len(group[0]) <= 30 or len(read_digits(group[0])) != len(group[0]):
        return []

    def cut(at: int) -> list[_Found] | None:
        if at == len(group[0]):
            return []
        for size in _PIECES:
            piece = group[0][at : at + size]
            phone = from_digits(read_digits(piece)) if len(piece) == size else None
            rest = cut(at + size) if phone else None
            if phone and rest is not None:
                return [_Found(phone, group.start() + at, group.start() + at + size), *rest]
        return None

    return cut(0) or []


def _with_extension(text: str, found: _Found) -> _Found:
    """The number with the extension said after it (转八零零一, 分机 8001), if any."""
    m = _EXT_RE.match(text, found.end)
    if m is None or found.phone.kind == "mobile":
        return found
    return _Found(Phone(found.phone.national, read_digits(m[1])), found.start, m.end())


def _found(text: str) -> list[_Found]:
    out: list[_Found] = []
    for run in _PHONE_RUN_RE.finditer(text):
        groups = list(_GROUP_RE.finditer(text, run.start(), run.end()))
        out.extend(_with_extension(text, f) for f in _phones_in_run(text, groups))
    return out


def _callback_score(text: str, found: _Found) -> int:
    at, end = found.start, found.end
    before, after = text[max(0, at - _CALLBACK_CONTEXT) : at], text[end : end + _CALLBACK_CONTEXT]
    score = 2 * any(word in before for word in _CALLBACK_BEFORE)
    score -= 2 * any(word in after for word in _OTHER_AFTER) + any(word in before for word in _OTHER_BEFORE)
    return score + (found.phone.kind == "mobile")


def _phone_list(text: str, ignored: frozenset[str] = frozenset()) -> tuple[list[Phone], Phone | None]:
    """(phones in normalised ``text`` in the order said, none twice, none ``ignored`` (E.164);
    the likeliest callback number among them)."""
    text = _FILLER_RE.sub("", text)
    found = [f for f in _found(text) if f.phone.e164 not in ignored]
    unique: dict[str, Phone] = {}
    best: tuple[int, int, Phone] | None = None
    for order, f in enumerate(found):
        unique.setdefault(f.phone.e164, f.phone)
        key = (_callback_score(text, f), -order, f.phone)
        if best is None or key[:2] > best[:2]:
            best = key
    return list(unique.values()), (best[2] if best else None)


def find_phones(text: str) -> tuple[str, ...]:
    """Phone numbers in normalised ``text`` (E.164, :mod:`callcenter.phones`), in order,
    without duplicates."""
    return tuple(p.e164 for p in _phone_list(text)[0])


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
    (re.compile(rf"{_N}(?:室|号房|户)"), 2),
    (re.compile(rf"{_N}号(?![楼码院线])"), 3),
    (re.compile(rf"单元([{_NUM}]{{1,8}})(?![{_NUM}号栋幢度元块])"), 3),
    # a floor-room number right after the building (3号楼1502): room 1502
    (re.compile(rf"(?:号楼|栋|幢)([{_NUM}]{{3,8}})(?![{_NUM}号栋幢度元块单层楼])"), 3),
)
_SUFFIXES = ("小区", "花园", "家园", "嘉园", "新村", "公寓", "苑")


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


def _known_stem(text: str, gazetteer: Gazetteer) -> str | None:
    """A gazetteer compound said without its suffix and followed by its building (幸福3号楼,
    书香 十二栋): the compound; the stem must have 2 characters or more."""
    hits: list[tuple[int, int, str]] = []
    for name, compound, _ in gazetteer.names:
        stem = next((name[: -len(x)] for x in _SUFFIXES if name.endswith(x)), "")
        if len(stem) >= 2 and (m := re.search(rf"{re.escape(stem)}(?=[{_NUM}A-Za-z]{{1,8}}(?:号楼|#楼|栋|幢|座))", text)):
            hits.append((m.start(), -len(stem), compound))
    return min(hits)[2] if hits else None


def find_address(text: str, gazetteer: Gazetteer | None = None) -> Address:
    """Address parts in normalised ``text``. A gazetteer name gives the compound's proper
    name, unless it is the tail of a longer name (阳光丽景小区 is not 丽景小区); a
    gazetteer name said without its suffix counts when a building follows it."""
    compound = _guess_compound(text)
    known = gazetteer.find(text) if gazetteer else None
    if known and not (compound and len(compound) > len(known[0]) and compound.endswith(known[0])):
        compound = known[1]
    elif compound is None and gazetteer is not None:
        compound = _known_stem(text, gazetteer)
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
    phones: tuple[str, ...] = ()  # E.164 (callcenter.phones), in the order said
    address: Address = Address()
    temperature_c: float | None = None
    category: str | None = None
    station: str | None = None
    callback: str | None = None  # the one of ``phones`` most likely meant to be called back

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"phones": [...], "address": {...}, "temperature_c", "category", "station",
        "callback"}``."""
        return {**asdict(self), "phones": list(self.phones)}

    def callback_first(self) -> list[str]:
        """The phones, the likeliest callback number first, the others in the order said."""
        first = [self.callback] if self.callback in self.phones else []
        return first + [p for p in self.phones if p not in first]


def extract(
    text: str,
    *,
    keywords: KeywordTable | None = None,
    gazetteer: Gazetteer | None = None,
    ignore_phones: Iterable[str] = (),
) -> Extracted:
    """Everything this module can read from one transcript (any text; Vosk's spaces are
    fine). ``ignore_phones`` drops numbers, in any form :func:`callcenter.phones.parse`
    reads, that are not the caller's (e.g. the hotline's own "6085708"). Default tables:
    the packaged files."""
    keywords = default_keywords() if keywords is None else keywords
    gazetteer = default_gazetteer() if gazetteer is None else gazetteer
    clean = normalize(text)
    address = find_address(clean, gazetteer)
    phones, callback = _phone_list(clean, frozenset(filter(None, map(stored, ignore_phones))))
    return Extracted(
        phones=tuple(p.e164 for p in phones),
        callback=callback.e164 if callback else None,
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
        if key == "callback":  # not a field of its own: the order of ``phones`` in the draft view
            continue
        if key == "station" and not _is_empty(typed) and str(extracted.address.compound) not in str(typed):
            continue
        if key == "address" and isinstance(merged.get(key), Mapping):
            old = merged[key]
            filled = {k: v for k, v in value.items() if v is not None and _is_empty(old.get(k))}
            merged[key] = {**old, **filled}
        elif _is_empty(merged.get(key)) and not _is_empty(value):
            merged[key] = value
    return merged
