"""Extraction of draft-case fields from Chinese transcripts (callcenter.transcribe.extract)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from callcenter.cli import build_parser
from callcenter.config import ConfigError
from callcenter.transcribe.extract import (
    Address,
    Extracted,
    Gazetteer,
    KeywordTable,
    TableError,
    default_gazetteer,
    default_keywords,
    extract,
    load_gazetteer,
    load_keywords,
    merge_into,
    normalize,
    parse_chinese_number,
    read_digits,
)

CHECK = "我家在幸福小区三号楼二单元302室，暖气不热，只有十五度，电话一三九零九五幺幺二三四"

# A gazetteer of the tests' own, so that administrators may edit the packaged one.
TEST_GAZETTEER = """
demo = false
[stations]
"湖滨" = "第一供热管理所"
"银湖" = "第二供热管理所"

[[compound]]
name = "幸福小区"
station = "湖滨"
aliases = ["幸福花园"]

[[compound]]
name = "丽景苑"
station = "银湖"
aliases = ["丽景小区"]
"""


@pytest.fixture(scope="module")
def gazetteer(tmp_path_factory: pytest.TempPathFactory) -> Gazetteer:
    path = tmp_path_factory.mktemp("tables") / "gazetteer.toml"
    path.write_text(TEST_GAZETTEER, encoding="utf-8")
    return load_gazetteer(path)


def run(text: str, gazetteer: Gazetteer) -> dict[str, Any]:
    return extract(text, gazetteer=gazetteer, keywords=default_keywords()).to_dict()


NO_ADDRESS = {"compound": None, "building": None, "unit": None, "room": None}
NOTHING = {"phones": [], "address": NO_ADDRESS, "temperature_c": None, "category": None, "station": None}

# (text, expected subset of Extracted.to_dict())
CASES = [
    # --- the whole sentence, written and as Vosk prints it
    pytest.param(CHECK, {"phones": ["+8613909511234"], "address": {"compound": "幸福小区", "building": "3",
                 "unit": "2", "room": "302"}, "temperature_c": 15, "category": "temperature",
                 "station": "湖滨"}, id="check-sentence"),  # fmt: skip
    pytest.param("我 家 在 幸福 小区 三 号 楼 二 单元 三 零 二 室 暖气 不 热 只有 十五 度 "
                 "电话 一 三 九 零 九 五 幺 幺 二 三 四",
                 {"phones": ["+8613909511234"], "address": {"compound": "幸福小区", "building": "3",
                 "unit": "2", "room": "302"}, "temperature_c": 15, "category": "temperature",
                 "station": "湖滨"}, id="vosk-spaces"),  # fmt: skip
    pytest.param("喂 你好 我 是 唐徕 小区 的 住户 我们 家 暖气 一直 不 热 屋里 才 十 二 度 我 的 电话 是 "
                 "幺 三 九 零 九 五 一 一 二 三 四 麻烦 你们 尽快 来 看 一下",
                 {"phones": ["+8613909511234"], "address": {**NO_ADDRESS, "compound": "唐徕小区"},
                  "temperature_c": 12, "category": "temperature", "station": None}, id="vosk-voicemail"),
    pytest.param("银湖花园十八号楼一单元六零一楼上漏水了，手机一八六 零九五幺 六六七七",
                 {"phones": ["+8618609516677"], "address": {"compound": "银湖花园", "building": "18", "unit": "1",
                  "room": "601"}, "category": "urgent_repair"}, id="upstairs-leak"),
    pytest.param("", NOTHING, id="empty"),
    pytest.param("   \n\t ", NOTHING, id="blank"),
    # --- phones
    pytest.param("电话一三九零九五幺幺二三四", {"phones": ["+8613909511234"]}, id="mobile-numerals"),
    pytest.param("手机 139 0951 1234", {"phones": ["+8613909511234"]}, id="mobile-groups"),
    pytest.param("1 3 9 0 9 5 1 1 2 3 4", {"phones": ["+8613909511234"]}, id="mobile-digit-spaces"),
    pytest.param("电话幺三八洞洞洞洞幺幺幺幺", {"phones": ["+8613800001111"]}, id="yao-dong"),
    pytest.param("电话139零九五1一二三四", {"phones": ["+8613909511234"]}, id="mixed-digits"),
    pytest.param("１３９０９５１１２３４", {"phones": ["+8613909511234"]}, id="full-width"),
    pytest.param("+86 139 0951 1234", {"phones": ["+8613909511234"]}, id="country-code"),
    pytest.param("座机六零八五七零八", {"phones": ["+869516085708"]}, id="local-numerals"),
    pytest.param("打0951-6085708没人接，(0951)6085708", {"phones": ["+869516085708"]}, id="area-code-dedup"),
    pytest.param("电话13909511234，6085708", {"phones": ["+8613909511234", "+869516085708"]}, id="two-phones"),
    pytest.param("1 3 9 0 9 5 1 1 2 3 4 6 0 8 5 7 0 8", {"phones": ["+8613909511234", "+869516085708"]},
                 id="two-phones-spaced"),  # fmt: skip
    pytest.param("三零二一三九零九五幺幺二三四", {"phones": ["+8613909511234"]}, id="glued-to-room"),
    pytest.param("电话一三九零九五幺幺二三四一直没人接", {"phones": ["+8613909511234"]}, id="glued-to-yizhi"),
    pytest.param("302 13909511234", {"phones": ["+8613909511234"]}, id="room-then-phone"),
    pytest.param("交了2000元，一共二零二三年", {"phones": []}, id="money-year"),
    pytest.param("2023年11月5日下午", {"phones": []}, id="date"),
    pytest.param("交了1580000元暖气费", {"phones": [], "category": "billing"}, id="seven-digit-money"),
    pytest.param("户号1234567，卡号6085708", {"phones": []}, id="account-numbers"),
    pytest.param("身份证640102199001011234", {"phones": []}, id="identity-card"),
    pytest.param("13909511234567", {"phones": []}, id="fourteen-digits"),
    pytest.param("1111111 0123456", {"phones": []}, id="bad-local-prefix"),
    pytest.param("室温十八度，302室", {"phones": []}, id="temperature-room"),
    # --- address
    pytest.param("两号楼三单元", {"address": {**NO_ADDRESS, "building": "2", "unit": "3"}}, id="liang-building"),
    pytest.param("我家两个人，两室一厅", {"address": NO_ADDRESS}, id="liang-not-address"),
    pytest.param("二单元六楼", {"address": {**NO_ADDRESS, "unit": "2"}}, id="floor-not-room"),
    pytest.param("十二号楼十单元一千五百零二室",
                 {"address": {**NO_ADDRESS, "building": "12", "unit": "10", "room": "1502"}}, id="positional"),
    pytest.param("三栋2单元1502暖气不热",
                 {"address": {**NO_ADDRESS, "building": "3", "unit": "2", "room": "1502"}}, id="room-after-unit"),
    pytest.param("三号楼四单元三〇二", {"address": {**NO_ADDRESS, "building": "3", "unit": "4", "room": "302"}},
                 id="ling-circle"),  # fmt: skip
    pytest.param("a座302号", {"address": {**NO_ADDRESS, "building": "A", "room": "302"}}, id="letter-building"),
    pytest.param("五幢一单元零三零二室", {"address": {**NO_ADDRESS, "building": "5", "unit": "1", "room": "0302"}},
                 id="leading-zero-room"),  # fmt: skip
    pytest.param("我住银川市兴庆区阳光丽景小区", {"address": {**NO_ADDRESS, "compound": "阳光丽景小区"},
                 "station": None}, id="unknown-compound"),  # fmt: skip
    pytest.param("我住丽景小区", {"address": {**NO_ADDRESS, "compound": "丽景苑"}, "station": "银湖"},
                 id="alias"),  # fmt: skip
    pytest.param("就是幸福花园那边", {"address": {**NO_ADDRESS, "compound": "幸福小区"}, "station": "湖滨"},
                 id="alias-canonical"),  # fmt: skip
    pytest.param("家住碧桂园", {"address": {**NO_ADDRESS, "compound": None}}, id="no-suffix"),
    pytest.param("我们小区暖气不热", {"address": NO_ADDRESS, "category": "temperature"}, id="our-compound"),
    pytest.param("住在金凤区春华家园", {"address": {**NO_ADDRESS, "compound": "春华家园"}, "station": None},
                 id="district-prefix"),  # fmt: skip
    pytest.param("北苑供热站的电话", {"address": NO_ADDRESS}, id="station-not-compound"),
    # --- temperature
    pytest.param("只有十五度", {"temperature_c": 15}, id="shiwu"),
    pytest.param("屋里十七点五度", {"temperature_c": 17.5}, id="decimal-numeral"),
    pytest.param("室温18度", {"temperature_c": 18}, id="arabic"),
    pytest.param("才16.5℃", {"temperature_c": 16.5}, id="celsius-sign"),
    pytest.param("摄氏二十度左右", {"temperature_c": 20}, id="sheshi"),
    pytest.param("十 八 度", {"temperature_c": 18}, id="spaced"),
    pytest.param("外面零下十度", {"temperature_c": None}, id="below-zero"),
    pytest.param("外面零下十度，屋里才十六度", {"temperature_c": 16}, id="outdoor-then-indoor"),
    pytest.param("外面25度家里15度", {"temperature_c": 15}, id="outside-25-inside-15"),
    pytest.param("外面25度", {"temperature_c": None}, id="outside-only"),
    pytest.param("屋里暖气片才三十度", {"temperature_c": None}, id="radiator"),
    pytest.param("用了三百度电", {"temperature_c": None}, id="kwh"),
    pytest.param("我一度以为好了", {"temperature_c": None}, id="yidu-once"),
    pytest.param("二零二三年度", {"temperature_c": None}, id="year-du"),
    # --- categories
    pytest.param("暖气不热", {"category": "temperature"}, id="cat-temperature"),
    pytest.param("家里漏水了暖气也不热", {"category": "urgent_repair"}, id="cat-urgent-wins"),
    pytest.param("楼道里爆管了", {"category": "urgent_repair"}, id="cat-burst"),
    pytest.param("发票怎么开", {"category": "billing"}, id="cat-billing"),
    pytest.param("我要投诉你们态度差", {"category": "complaint"}, id="cat-complaint"),
    pytest.param("我要投诉暖气不热", {"category": "temperature"}, id="cat-priority"),
    pytest.param("阀门坏了要报修", {"category": "repair"}, id="cat-repair"),
    pytest.param("申请报停", {"category": "application"}, id="cat-application"),
    pytest.param("想咨询一下什么时候供暖", {"category": "consultation"}, id="cat-consultation"),
    pytest.param("暖 气 不 热", {"category": "temperature"}, id="cat-spaced"),
    pytest.param("你好", {"category": None}, id="cat-none"),
    # --- hostile input: text or nothing
    pytest.param("<script>alert(1)</script>", NOTHING, id="script"),
    pytest.param("'; DROP TABLE tickets;--", NOTHING, id="sql"),
    pytest.param("Robert'); DROP TABLE 小区;--", NOTHING, id="sql-chinese"),
    pytest.param("幸\u200b福小区\x00", {"address": {**NO_ADDRESS, "compound": "幸福小区"}}, id="invisible-chars"),
    pytest.param("<img src=x>幸福小区", {"address": {**NO_ADDRESS, "compound": "幸福小区"}}, id="html-around"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_extract(text: str, expected: dict[str, Any], gazetteer: Gazetteer) -> None:
    got = run(text, gazetteer)
    assert {key: got[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("三百零二", 302), ("十五", 15), ("二十", 20), ("一百一十", 110), ("两万五", 25000), ("三百五", 350),
     ("一千零五十", 1050), ("十七点五", 17.5), ("18.5", 18.5), ("3百零2", 302), ("三零二", 302),
     ("一亿二千万", 120_000_000), ("零", 0)],
)  # fmt: skip
def test_parse_chinese_number(text: str, expected: float) -> None:
    assert parse_chinese_number(text) == expected


@pytest.mark.parametrize("text", ["", "十百", "三三十", "abc", "二十三三", "点"])
def test_parse_chinese_number_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_chinese_number(text)


@pytest.mark.parametrize(("text", "expected"), [("三零二", "302"), ("三〇二", "302"), ("幺洞洞", "100"),
                                                ("零三零二", "0302"), ("一 三 九", "139")])  # fmt: skip
def test_read_digits(text: str, expected: str) -> None:
    assert read_digits(text) == expected


def test_normalize_joins_vosk_words_but_not_numbers() -> None:
    assert normalize("我 家 在 幸福 小区  18 度") == "我家在幸福小区18度"
    assert normalize("13909511234   6085708") == "13909511234 6085708"


@pytest.mark.parametrize(
    "text",
    ["一" * 100_000, "1 " * 50_000, "1-" * 50_000, "幸" * 100_000 + "小区", "度" * 100_000,
     "1" * 100_000 + "室", "单元" + "一" * 100_000, "a" + " " * 100_000 + "b"],
)  # fmt: skip
def test_very_long_input_is_linear(text: str, gazetteer: Gazetteer) -> None:
    started = time.perf_counter()
    run(text, gazetteer)
    assert time.perf_counter() - started < 5


def test_long_transcript_finds_fields(gazetteer: Gazetteer) -> None:
    text = "喂你好" * 20_000 + CHECK
    got = run(text, gazetteer)
    assert got["phones"] == ["+8613909511234"] and got["temperature_c"] == 15


def test_ignore_phones_drops_the_hotline(gazetteer: Gazetteer) -> None:
    got = extract("打6085708没人接，我电话13909511234", gazetteer=gazetteer, ignore_phones={"6085708"})
    assert got.phones == ("+8613909511234",)


def test_extracted_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Extracted().category = "x"  # type: ignore[misc]


# ---------------------------------------------------------------- merge_into


def test_merge_fills_only_empty_fields() -> None:
    found = Extracted(("13909511234",), Address("幸福小区", "3", "2", "302"), 15.0, "temperature", "湖滨")
    current = {
        "phones": [],
        "address": {"compound": "幸福花园", "building": "", "unit": None},
        "temperature_c": None,
        "category": "complaint",
        "note": "客户很着急",
    }
    merged = merge_into(current, found)
    assert merged == {
        "phones": ["13909511234"],
        "address": {"compound": "幸福花园", "building": "3", "unit": "2", "room": "302"},
        "temperature_c": 15.0,
        "category": "complaint",
        "note": "客户很着急",
    }  # no station: the clerk's compound is not the one the station was found for
    assert current["phones"] == [] and current["address"]["building"] == ""  # not mutated
    assert merge_into({"address": {"compound": "幸福小区"}}, found)["station"] == "湖滨"
    assert merge_into({"address": "幸福小区3号楼"}, found)["station"] == "湖滨"
    assert merge_into({"station": " "}, found)["station"] == "湖滨"


def test_merge_keeps_typed_values_and_ignores_nothing_found() -> None:
    current = {"phones": ["+869516085708"], "address": "幸福小区3-2-302", "temperature_c": 0, "station": "银湖"}
    found = Extracted(("13909511234",), Address("丽景苑"), 16.0, None, "北苑")
    assert merge_into(current, found) == current
    assert merge_into({}, Extracted()) == {}


# -------------------------------------------------------------------- tables


def test_default_tables_load_once_and_are_demo() -> None:
    assert default_keywords() is default_keywords()
    gazetteer = default_gazetteer()
    assert gazetteer is default_gazetteer() and gazetteer.demo is True
    assert set(gazetteer.stations) == {"湖滨", "北苑", "仁义", "新立", "育才", "唐徕", "西环", "银湖"}
    assert {name for _, _, name in gazetteer.names} == set(gazetteer.stations)  # every station has compounds
    assert {c.name for c in default_keywords().categories} >= {
        "temperature", "urgent_repair", "repair", "billing", "complaint", "consultation", "application"}  # fmt: skip


def test_default_tables_on_the_check_sentence() -> None:
    got = extract(CHECK)
    assert (got.category, got.address.compound, got.station) == ("temperature", "幸福小区", "湖滨")


def test_keyword_table_ties_go_to_more_hits_then_order(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text('[[category]]\nname="a"\nkeywords=["甲"]\n[[category]]\nname="b"\nkeywords=["乙"]\n',
                    encoding="utf-8")  # fmt: skip
    table = load_keywords(path)
    assert isinstance(table, KeywordTable)
    assert (table.classify("甲乙"), table.classify("甲乙乙"), table.classify("丙")) == ("a", "b", None)


BAD_KEYWORDS = [
    ("", "at least one [[category]]"),
    ("[[category]]\nname = 'Temp'\nkeywords = ['x']", "category[0] ('Temp'): name must be lower-case"),
    ("[[category]]\nname = 'a'\nkeywords = []", "category[0] ('a'): keywords must be a non-empty list"),
    ("[[category]]\nname = 'a'\nkeywords = ['x', '']", "category[0] ('a'): keywords must hold non-empty"),
    ("[[category]]\nname = 'a'\nkeywords = ['x']\npriority = 'high'", "priority must be an integer"),
    ("[[category]]\nname = 'a'\nkeyword = ['x']", "unknown key(s) ['keyword']"),
    ("[[category]]\nname = 'a'\nkeywords = ['x']\n[[category]]\nname = 'a'\nkeywords = ['y']",
     "category[1] ('a'): duplicate name"),
    ("[[category]\nname = ", "cannot read"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "message"), BAD_KEYWORDS)
def test_bad_keyword_table_names_file_and_entry(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "keywords.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TableError) as info:
        load_keywords(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)
    assert isinstance(info.value, ConfigError)


STATIONS = "[stations]\n'湖滨' = '第一供热管理所'\n"
BAD_GAZETTEERS = [
    ("[[compound]]\nname = '幸福小区'\nstation = '湖滨'", "[stations] must map"),
    (STATIONS + "[[compound]]\nname = '幸福小区'\nstation = '湖东'", "compound[0] ('幸福小区'): station '湖东'"),
    (STATIONS + "[[compound]]\nname = '幸'\nstation = '湖滨'", "compound[0] ('幸'): '幸' is too short"),
    (STATIONS + "[[compound]]\nstation = '湖滨'", "compound[0] (None): name must hold non-empty"),
    (STATIONS + "[[compound]]\nname = 'A小区'\nstation = '湖滨'\n[[compound]]\nname = 'B小区'\n"
     "station = '湖滨'\naliases = ['A小区']", "compound[1] ('B小区'): 'A小区' already belongs to 'A小区'"),
    ("demo = 'yes'\n" + STATIONS, "demo must be true/false"),
    (STATIONS + "[[compound]]\nname = 'A小区'\nstation = '湖滨'\nalias = ['B']", "unknown key(s) ['alias']"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "message"), BAD_GAZETTEERS)
def test_bad_gazetteer_names_file_and_entry(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "gazetteer.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TableError) as info:
        load_gazetteer(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_missing_table_file(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="nothing.toml: cannot read"):
        load_gazetteer(tmp_path / "nothing.toml")


# ----------------------------------------------------------------------- CLI


def cli(*argv: str) -> int:
    """Run a sub-command as ``callcenter`` would, without configuring logging."""
    args = build_parser().parse_args(argv)
    return args.func(args)


def test_cli_extract_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("extract", CHECK, "--json") == 0
    out = capsys.readouterr().out
    assert "幸福小区" in out  # ensure_ascii=False
    assert json.loads(out) == {
        "text": CHECK,
        "extracted": {
            "phones": ["+8613909511234"],
            "address": {"compound": "幸福小区", "building": "3", "unit": "2", "room": "302"},
            "temperature_c": 15.0,
            "category": "temperature",
            "station": "湖滨",
            "callback": "+8613909511234",
        },
        "case": {"kind": "temperature", "urgent": False, "severity": None, "label": "温度不达标 / 测温"},
    }


def test_cli_extract_human(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("extract", CHECK) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "phones:        139 0951 1234"
    assert "room:          302" in lines and "category:      temperature" in lines
    assert "case:          temperature" in lines
    assert lines[-1].startswith("station:       湖滨 (demo gazetteer")


def test_cli_extract_with_own_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.toml"
    path.write_text(TEST_GAZETTEER, encoding="utf-8")
    assert cli("extract", "我住丽景小区", "--gazetteer", str(path), "--json") == 0
    assert json.loads(capsys.readouterr().out)["extracted"]["station"] == "银湖"


def test_cli_bad_table_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text("[[category]]\nname = 'Bad'\nkeywords = ['x']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="category\\[0\\] \\('Bad'\\)"):  # the CLI prints it, exit 2
        cli("extract", "x", "--keywords", str(path))
