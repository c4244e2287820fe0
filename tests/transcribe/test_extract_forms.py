"""Issue 15: callback numbers and addresses in every form a caller says them.

One table: a sentence as a caller says it (and as the recogniser writes it: spaces between
characters, no punctuation, a filler word inside a digit group), the exact phones (E.164,
in the order said) and the exact address parts. The packaged (demo) gazetteer is used.
"""

from __future__ import annotations

import pytest

from callcenter.transcribe.extract import Address, extract

M = "+8613909511234"  # a Yinchuan mobile
HOT = "+869516085708"  # the hotline, 0951-6085708
NO = Address()


def A(compound: str | None = None, building: str | None = None, unit: str | None = None,  # noqa: N802
      room: str | None = None) -> Address:  # fmt: skip
    return Address(compound, building, unit, room)


FORMS = [
    # --- the four examples
    ("请回电话零九五三二一二三四五六七", ["+8695321234567"], NO),
    ("请回电话零一零六二五五一二三四", ["+861062551234"], NO),
    ("请打四零零八一零五八八八", ["+864008105888"], NO),
    ("电话六零八五七零八转八零零一", [HOT + ";ext=8001"], NO),
    # --- mobiles
    ("手机一三九零九五一一二三四", [M], NO),
    ("手机 幺 三 九 零 九 五 幺 幺 二 三 四", [M], NO),
    ("加八六 一三九零九五幺幺二三四", [M], NO),
    ("+86 139 0951 1234", [M], NO),
    ("+8613909511234", [M], NO),
    ("0086 139 0951 1234", [M], NO),
    ("零零八六一三九零九五幺幺二三四", [M], NO),
    ("013909511234", [M], NO),
    ("零一三九零九五幺幺二三四", [M], NO),
    ("139-0951-1234", [M], NO),
    ("一三九 零九五一 一二三四", [M], NO),
    ("幺三九 嗯 零九五幺 一二三四", [M], NO),
    ("一三九零九五 那个 一一二三四", [M], NO),
    ("我的手机是幺八六洞九五幺六六七七", ["+8618609516677"], NO),
    ("电话幺五幺两两两两三三三三", ["+8615122223333"], NO),
    ("一 八 九 〇 九 五 一 〇 〇 〇 一", ["+8618909510001"], NO),
    # --- landlines with an area code
    ("零九五一六零八五七零八", [HOT], NO),
    ("0951-6085708", [HOT], NO),
    ("(0951)6085708", [HOT], NO),
    ("零九五一 六零八 五七零八", [HOT], NO),
    ("零 九 五 三 二 一 二 三 四 五 六 七", ["+8695321234567"], NO),
    ("0953-2123 4567", ["+8695321234567"], NO),
    ("零九五三六零八五七零八", ["+869536085708"], NO),
    ("洞幺洞 六二五五 幺二三四", ["+861062551234"], NO),
    ("010-62551234", ["+861062551234"], NO),
    ("零二一六四三八二二二二", ["+862164382222"], NO),
    ("020 8888 6666", ["+862088886666"], NO),
    ("零三一一八七六五四三二一", ["+8631187654321"], NO),
    ("+86 951 6085708", [HOT], NO),
    ("0086 10 6255 1234", ["+861062551234"], NO),
    # --- local numbers (0951 implied)
    ("座机六零八五七零八", [HOT], NO),
    ("六零八 五七零八", [HOT], NO),
    ("电话 6 0 8 5 7 0 8", [HOT], NO),
    ("打陆零捌伍柒零捌", [HOT], NO),
    # --- 400 / 800
    ("四零零 八一零 五八八八", ["+864008105888"], NO),
    ("400-810-5888", ["+864008105888"], NO),
    ("八零零八一零八八八八", ["+868008108888"], NO),
    # --- extensions
    ("六零八五七零八 转 八零零一", [HOT + ";ext=8001"], NO),
    ("0951-6085708分机8001", [HOT + ";ext=8001"], NO),
    ("四零零八一零五八八八转二", ["+864008105888;ext=2"], NO),
    ("零一零六二五五一二三四分机号三零五", ["+861062551234;ext=305"], NO),
    # --- several numbers: order kept, none twice
    ("手机一三九零九五幺幺二三四座机六零八五七零八", [M, HOT], NO),
    ("座机六零八五七零八手机一三九零九五幺幺二三四", [HOT, M], NO),
    ("一三九零九五幺幺二三四六零八五七零八", [M, HOT], NO),
    ("电话13909511234再说一遍13909511234", [M], NO),
    ("0951-6085708 和 6085708 都打不通", [HOT], NO),
    ("打了零一零六二五五一二三四然后幺三九零九五幺幺二三四", ["+861062551234", M], NO),
    # --- not phones
    ("交了两千三百元", [], NO),
    ("二零二三年十一月五日", [], NO),
    ("户号一二三四五六七", [], NO),
    ("幺二三四", [], NO),
    # --- addresses
    ("三号楼二单元五零二", [], A(None, "3", "2", "502")),
    ("12栋1单元301", [], A(None, "12", "1", "301")),
    ("幸福小区3号楼1502", [], A("幸福小区", "3", None, "1502")),
    ("幸福3号楼1502", [], A("幸福小区", "3", None, "1502")),
    ("书香苑五幢一单元六零二室", [], A("书香苑", "5", "1", "602")),
    ("书香 十二 栋 一 单元 三 零 一", [], A("书香苑", "12", "1", "301")),
    ("银湖小区七号楼三单元四零二户", [], A("银湖花园", "7", "3", "402")),
    ("住在春华家园二十一号楼四单元一千五百零二", [], A("春华家园", "21", "4", "1502")),
    ("碧水苑 八 号 楼 一 单元 五 零 二 号", [], A("碧水苑", "8", "1", "502")),
    ("贺兰山花园两号楼两单元二零二", [], A("贺兰山花园", "2", "2", "202")),
    ("渠畔十号楼一单元一零一", [], A("渠畔家园", "10", "1", "101")),
    ("我住金色阳光家园5幢2单元402户", [], A("金色阳光家园", "5", "2", "402")),
    ("富宁苑三栋三零二", [], A("富宁苑", "3", None, "302")),
    ("302室13909511234", [M], A(None, None, None, "302")),
    # --- the whole message, as the recogniser writes it
    ("喂 你好 我 是 幸福 小区 三 号 楼 二 单元 五 零 二 的 暖气 不 热 请 回 电话 幺 三 九 零 九 五 幺 幺 二 三 四",
     [M], A("幸福小区", "3", "2", "502")),
    ("我家在北苑新村十二栋一单元一五零二电话零九五一六零八八七九四转八零一二", ["+869516088794;ext=8012"],
     A("北苑新村", "12", "1", "1502")),
    ("书香苑3号楼1502 打了6085708没人接 回电13909511234", [HOT, M], A("书香苑", "3", None, "1502")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "phones", "address"), FORMS, ids=[f[0][:24] for f in FORMS])
def test_form(text: str, phones: list[str], address: Address) -> None:
    got = extract(text)
    assert (list(got.phones), got.address) == (phones, address)


def test_the_table_is_large_enough() -> None:
    assert len(FORMS) >= 60


@pytest.mark.parametrize(("text", "callback"), [
    ("打了6085708没人接，请回电话幺三九零九五幺幺二三四", M),
    ("请回电话零九五三二一二三四五六七，我打过你们六零八五七零八", "+8695321234567"),
    ("座机六零八八七九四手机一三九零九五幺幺二三四", M),  # a mobile when nothing else tells
    ("我的电话是六零八八七九四，手机一三九零九五幺幺二三四", "+869516088794"),
    ("没有号码", None),
])  # fmt: skip
def test_callback_number(text: str, callback: str | None) -> None:
    got = extract(text)
    assert got.callback == callback
    assert got.callback_first()[:1] == ([callback] if callback else [])
    assert sorted(got.callback_first()) == sorted(got.phones)


def test_ignored_numbers_in_any_form() -> None:
    got = extract("打零九五一六零八五七零八没人接，回电一三九零九五幺幺二三四", ignore_phones=("6085708",))
    assert got.phones == (M,) and got.callback == M
