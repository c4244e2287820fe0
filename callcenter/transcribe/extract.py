"""Fields of a draft case read from a Mandarin voicemail transcript; pure and offline.

``extract(text)`` finds callback phone numbers, the address (compound, building, unit,
room), the indoor temperature, a category hint and a suggested heating station. The
category keywords and the compound gazetteer are editable TOML files next to this
module (``keywords.toml``, ``gazetteer.toml``); ``load_keywords`` / ``load_gazetteer``
validate them and name the file and entry of any error. Transcripts are
attacker-controlled text: nothing here evaluates it, and every field is either built
from digits, a gazetteer entry or a run of Chinese characters, or is None.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from callcenter.config import ConfigError

# ---------------------------------------------------------------- numerals

_DIGITS = {str(d): d for d in range(10)} | {
    "零": 0, "〇": 0, "洞": 0, "一": 1, "幺": 1, "壹": 1, "二": 2, "两": 2, "贰": 2,
    "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7,
    "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_D = "".join(_DIGITS)
_NUM = _D + "十百千"  # characters of a number inside an address or a temperature


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


def _number_text(s: str) -> str | None:
    """Canonical digits of an address number, or None when it does not parse."""
    try:
        if any(ch in _UNITS for ch in s):
            return str(parse_chinese_number(s))
        return read_digits(s)
    except ValueError:
        return None


# ----------------------------------------------------------- normalisation

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WIDE_PUNCT = "\u3000-\u303f\uff00-\uffef"
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u2060\ufeff\x00]")
_HAN_SPACE_RE = re.compile(rf"(?<=[{_HAN}{_WIDE_PUNCT}])\s+|\s+(?=[{_HAN}{_WIDE_PUNCT}])")


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters), no invisible characters, no spaces next to
    Chinese characters (Vosk prints "幸福 小区 三 号 楼"), other runs of space as one."""
    text = " ".join(_INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)).split())
    return _HAN_SPACE_RE.sub("", text)


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
        value = _number_text(m[1]) if m[1] else m[2].upper()
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


# ----------------------------------------------------------- editable tables


class TableError(ConfigError):
    """A keyword table or gazetteer file is invalid; the message names file and entry."""


@dataclass(frozen=True)
class Category:
    name: str
    priority: int
    keywords: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class KeywordTable:
    categories: tuple[Category, ...]
    source: str = "<memory>"

    def classify(self, text: str) -> str | None:
        """Highest priority category with a keyword in ``text``; ties: more hits, then order."""
        best: tuple[tuple[int, int, int], str] | None = None
        for order, category in enumerate(self.categories):
            hits = sum(text.count(word) for word in category.keywords)
            key = (category.priority, hits, -order)
            if hits and (best is None or key > best[0]):
                best = (key, category.name)
        return best[1] if best else None


@dataclass(frozen=True)
class Gazetteer:
    stations: Mapping[str, str]  # station -> heating management office
    names: tuple[tuple[str, str, str], ...]  # (name or alias, compound, station), longest first
    demo: bool = False
    source: str = "<memory>"

    def find(self, text: str) -> tuple[str, str, str] | None:
        """(name as said, compound, station) of the earliest, then longest, name in ``text``."""
        hits = [(text.find(n), -len(n), n, c, s) for n, c, s in self.names if n in text]
        return min(hits)[2:] if hits else None

    def station_of(self, compound: str) -> str | None:
        return next((s for n, _, s in self.names if n == compound), None)


def _read_toml(path: Path | None, default: str) -> tuple[dict[str, Any], str]:
    try:
        if path is None:
            return tomllib.loads(resources.files(__package__).joinpath(default).read_text("utf-8")), default
        return tomllib.loads(Path(path).read_text("utf-8")), str(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TableError(f"{path or default}: cannot read: {exc}") from exc


def _words(where: str, value: Any, field: str, *, required: bool = True) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value and required:
        raise TableError(f"{where}: {field} must be a non-empty list of strings")
    words = tuple("".join(normalize(v).split()) if isinstance(v, str) else "" for v in value)
    if not all(words):
        raise TableError(f"{where}: {field} must hold non-empty strings, got {value!r}")
    return words


def _check_keys(where: str, entry: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise TableError(f"{where}: must be a table")
    if unknown := set(entry) - allowed:
        raise TableError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return entry


def load_keywords(path: Path | None = None) -> KeywordTable:
    """Read and validate a keyword table (default: the packaged ``keywords.toml``)."""
    data, source = _read_toml(path, "keywords.toml")
    entries = _check_keys(source, data, {"category"}).get("category")
    if not isinstance(entries, list) or not entries:
        raise TableError(f"{source}: needs at least one [[category]]")
    categories: list[Category] = []
    for i, raw in enumerate(entries):
        where = f"{source}: category[{i}] ({raw.get('name') if isinstance(raw, dict) else raw!r})"
        entry = _check_keys(where, raw, {"name", "label", "priority", "keywords"})
        name, priority, label = entry.get("name"), entry.get("priority", 0), entry.get("label", "")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z_]*", name):
            raise TableError(f"{where}: name must be lower-case letters and '_'")
        if name in (c.name for c in categories):
            raise TableError(f"{where}: duplicate name {name!r}")
        if not isinstance(priority, int) or isinstance(priority, bool) or not isinstance(label, str):
            raise TableError(f"{where}: priority must be an integer and label a string")
        categories.append(Category(name, priority, _words(where, entry.get("keywords"), "keywords"), label))
    return KeywordTable(tuple(categories), source)


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """Read and validate a gazetteer (default: the packaged ``gazetteer.toml``, demo data)."""
    data, source = _read_toml(path, "gazetteer.toml")
    _check_keys(source, data, {"demo", "stations", "compound"})
    stations, entries = data.get("stations"), data.get("compound", [])
    if not isinstance(stations, dict) or not stations or not all(
        isinstance(v, str) and k.strip() for k, v in stations.items()
    ):
        raise TableError(f"{source}: [stations] must map station names to office names")
    if not isinstance(data.get("demo", False), bool) or not isinstance(entries, list):
        raise TableError(f"{source}: demo must be true/false and compounds [[compound]] blocks")
    owner: dict[str, tuple[str, str, str]] = {}
    for i, raw in enumerate(entries):
        where = f"{source}: compound[{i}] ({raw.get('name') if isinstance(raw, dict) else raw!r})"
        entry = _check_keys(where, raw, {"name", "station", "aliases"})
        name, station = _words(where, [entry.get("name")], "name")[0], entry.get("station")
        if station not in stations:
            raise TableError(f"{where}: station {station!r} is not listed under [stations]")
        for surface in (name, *_words(where, entry.get("aliases"), "aliases", required=False)):
            if len(surface) < 2:
                raise TableError(f"{where}: {surface!r} is too short (at least 2 characters)")
            if surface in owner:
                raise TableError(f"{where}: {surface!r} already belongs to {owner[surface][1]!r}")
            owner[surface] = (surface, name, station)
    names = tuple(sorted(owner.values(), key=lambda e: -len(e[0])))
    return Gazetteer(dict(stations), names, data.get("demo", False), source)


@functools.cache
def default_keywords() -> KeywordTable:
    return load_keywords()


@functools.cache
def default_gazetteer() -> Gazetteer:
    return load_gazetteer()


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
