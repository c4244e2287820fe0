"""The gettext catalogs: everything the sources mark is translated, the compiled files are current,
every vocabulary word has its Chinese, and pages come out in the language asked for."""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from callcenter.web import i18n
from tests.web.conftest import Panel, add_call, login

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "callcenter" / "locale"
# Words a Chinese translation keeps in Latin letters: names of things, units, file formats.
ASCII_ALLOWED = {"English", "SIP", "CSV", "Excel", "AMI", "ID", "URL", "Vosk", "TOML", "docs",
                 "supervisors", "md", "webhook", "aaaaaaaa"}  # fmt: skip

Key = tuple[str | None, str]  # (context, msgid); a plural message by its singular msgid


def singular(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid[0] if isinstance(msgid, (tuple, list)) else msgid


def forms(msgstr: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The translation's texts: one, or one per plural form."""
    return tuple(msgstr) if isinstance(msgstr, (tuple, list)) else (msgstr,)


def catalog(lang: str):  # -> babel Catalog
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def extracted(root: Path = ROOT) -> dict[Key, list[str]]:
    """Babel's extraction over the sources, as ``scripts/i18n.sh extract`` runs it (babel.cfg, keywords)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, **i18n.KEYWORDS}
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


def missing(found: dict[Key, list[str]], lang: str) -> dict[Key, list[str]]:
    have = {(m.context, singular(m.id)) for m in catalog(lang) if m.id}
    return {key: where for key, where in found.items() if key not in have}


@pytest.fixture(scope="module")
def sources() -> dict[Key, list[str]]:
    return extracted()


def test_the_sources_mark_hundreds_of_messages(sources: dict[Key, list[str]]) -> None:
    assert len(sources) > 500
    assert (None, "Live calls") in sources and ("pw.link", "Password") in sources


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_extracted_message_is_in_the_catalog(sources: dict[Key, list[str]], lang: str) -> None:
    assert missing(sources, lang) == {}, "run scripts/i18n.sh extract update, then translate"


def test_an_unmarked_new_message_is_caught(tmp_path: Path) -> None:
    """The check above fails for a template that adds a message nobody translated."""
    templates = tmp_path / "callcenter" / "web" / "new" / "templates"
    templates.mkdir(parents=True)
    (templates / "new.html").write_text("<p>{{ _('A sentence nobody translated yet') }} {{ _('Live calls') }}</p>")
    (tmp_path / "callcenter" / "web" / "new" / "page.py").write_text("_('Another new one')\n")
    found = extracted(tmp_path)
    assert set(missing(found, "zh_CN")) == {(None, "A sentence nobody translated yet"), (None, "Another new one")}


def test_no_chinese_entry_is_empty_fuzzy_or_english() -> None:
    zh = catalog("zh_CN")
    assert not zh.fuzzy
    entries = [m for m in zh if m.id]
    assert len(entries) > 500
    assert [m.id for m in entries if not all(forms(m.string))] == []
    assert [m.id for m in entries if m.fuzzy] == []
    english = {}
    for m in entries:
        words = {w for text in forms(m.string) for w in re.findall(r"[A-Za-z]+", re.sub(r"%\(\w+\)[sdr]", "", text))}
        if words - ASCII_ALLOWED:
            english[singular(m.id)] = m.string
    assert english == {}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_placeholders_agree(lang: str) -> None:
    """Babel's own checks: the msgstr has the msgid's %(name)s placeholders."""
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog(lang).check()]
    assert problems == []


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_committed_mo_files_are_current(lang: str) -> None:
    po = catalog(lang)
    compiled = io.BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    fresh = {(m.context, singular(m.id)): forms(m.string) for m in read_mo(compiled) if m.id}
    with (LOCALE / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        committed = {(m.context, singular(m.id)): forms(m.string) for m in read_mo(f) if m.id}
    assert committed == fresh, "run scripts/i18n.sh compile"


def test_the_babel_keywords_are_the_scripts() -> None:
    script = (ROOT / "scripts" / "i18n.sh").read_text()
    flags = set(re.findall(r"-k ([^\s\"]+)", script))
    spec = {name if value is None else f"{name}:" + ",".join(f"{v[0]}{v[1]}" if isinstance(v, tuple) else str(v)
                                                            for v in value)
            for name, value in i18n.KEYWORDS.items()}  # fmt: skip
    assert flags == spec


def _words(table: i18n.Words) -> Iterable[Key]:
    for word in table.values():
        yield (word[0], word[1]) if isinstance(word, tuple) else (None, word)


def test_every_vocabulary_word_is_translated() -> None:
    zh = {(m.context, m.id): m.string for m in catalog("zh_CN") if m.id}
    vocabularies = i18n.vocabularies()
    assert {"disp", "kind", "state", "wrole", "tl.call", "field", "nav", "error", "role"} <= set(vocabularies)
    untranslated = [(name, key) for name, table in vocabularies.items() for key in _words(table) if not zh.get(key)]
    assert untranslated == []
    for name in i18n.VOCABULARY_MODULES:
        module = __import__(name, fromlist=["JS_STRINGS"])
        table = getattr(module, "JS_STRINGS", {})
        assert [key for key in _words(table) if not zh.get(key)] == [], name


def test_every_words_module_is_registered() -> None:
    """A feature's words.py with vocabularies is read by i18n.vocabularies()."""
    web = ROOT / "callcenter" / "web"
    found = set()
    for path in web.rglob("words.py"):
        tree = ast.parse(path.read_text())
        if any(isinstance(n, ast.AnnAssign | ast.Assign) and "VOCABULARIES" in ast.dump(n) for n in tree.body):
            found.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    assert found == set(i18n.VOCABULARY_MODULES)


def test_translations_and_fallbacks() -> None:
    zh, en = i18n.translator("zh"), i18n.translator("en")
    assert zh("Live calls") == "实时来电" and en("Live calls") == "Live calls"
    assert i18n.translator("fr")("Live calls") == "实时来电"  # an unknown language: Chinese
    assert zh("Too many failed logins; try again in %(seconds)s s.", seconds=30) == "登录失败次数过多，请 30 秒后再试。"
    assert en("Too many failed logins; try again in %(seconds)s s.", seconds=30) == "Too many failed logins; try again in 30 s."
    # one English, two Chinese: the context tells them apart
    assert zh.pgettext("pw.link", "Password") != zh("Password") or zh("Password") == "密码"
    assert zh.word("disp", "answered") == "已接听" and en.word("disp", "answered") == "Answered"
    assert zh.word("wrole", "somebody", default="somebody") == "somebody"
    assert zh.word("disp", "nonsense") == "disp.nonsense"
    assert zh.message(("qr.answered", "Answered")) == "接听"


def test_page_scripts_get_their_placeholders_as_before() -> None:
    from callcenter.web.live.words import JS_STRINGS

    zh = i18n.for_js("zh", JS_STRINGS)
    assert zh["live.ringing"] == "振铃中" and zh["disp.answered"] == "已接听"
    assert zh["popup.created"] == "已创建工单 #{id}"
    assert "#{id}" in i18n.for_js("en", JS_STRINGS)["popup.created"]


async def test_pages_in_both_languages(panel: Panel) -> None:
    call = await add_call(panel.sessions, disposition="answered")
    await login(panel.client, "supervisor")
    zh = await (await panel.client.get(f"/calls/{call}")).text()
    assert "通话详情" in zh and "已接听" in zh and "实时来电" in zh and "科长" in zh
    assert "Answered" not in zh
    en = await (await panel.client.get(f"/calls/{call}?lang=en")).text()
    assert "Live calls" in en and "Answered" in en and "Department head" in en
    assert "已接听" not in en and "实时来电" not in en
    # the cookie keeps the choice; an error page speaks it too
    missing = await panel.client.get("/calls/999999")
    assert missing.status == 404 and "No such page or record." in await missing.text()
    back = await (await panel.client.get(f"/calls/{call}?lang=zh")).text()
    assert "通话详情" in back
    missing = await panel.client.get("/calls/999999")
    assert "找不到该页面或记录。" in await missing.text()


def test_every_workflow_action_has_an_audit_word() -> None:
    from callcenter.tickets.workflow import ACTIONS
    from callcenter.web.audit.words import AU_REASON, reason_text

    assert set(ACTIONS) <= set(AU_REASON)
    assert set(ACTIONS) <= set(i18n.vocabularies()["action"])  # the case page's buttons and timeline
    assert i18n.translator("zh").word("action", "assign") == ACTIONS["assign"].zh
    assert reason_text("assign", "zh") == ACTIONS["assign"].zh and reason_text("assign", "en") == "assigned"
    assert reason_text("draft checked", "zh") == "核对留言草稿"
    assert reason_text("typed by a person", "zh") == "typed by a person"


def test_msgids_are_literals() -> None:
    """A message built at run time (``_('x' ~ v)``, ``_("x" + v)``) is never in the catalog: a
    stored value goes through ``word(vocabulary, value)`` instead."""
    built = re.compile(r"(?<![\w.])(?:_|gettext|pgettext)\(\s*(?:'[^']*'|\"[^\"]*\")\s*(?:~|\+)")
    found = [f"{path.relative_to(ROOT)}: {m.group(0)}"
             for path in [*(ROOT / "callcenter").rglob("*.html"), *(ROOT / "callcenter").rglob("*.py")]
             for m in built.finditer(path.read_text())]  # fmt: skip
    assert found == []


async def test_vocabulary_words_on_a_page(panel: Panel) -> None:
    """Stored values (a note's category) are shown as their word in each language."""
    call = await add_call(panel.sessions, disposition="answered")
    _, token = await login(panel.client, "clerk")
    body = {"version": 0, "category": "repair", "summary": "暖气不热"}
    response = await panel.client.patch(f"/api/calls/{call}/notes", json=body, headers={"X-CSRF-Token": token})
    assert response.status == 200, await response.text()
    zh = await (await panel.client.get(f"/calls/{call}")).text()
    assert "报修" in zh and "—repair" not in zh and "cat.repair" not in zh
    en = await (await panel.client.get(f"/calls/{call}?lang=en")).text()
    assert "Repair" in en and "报修" not in en


def test_report_words_come_from_the_catalog() -> None:
    from callcenter.tickets.report_words import WORDS, word

    zh = {(m.context, m.id): m.string for m in catalog("zh_CN") if m.id}
    assert [key for key, w in WORDS.items() if not zh.get(w if isinstance(w, tuple) else (None, w))] == []
    assert word("zh", "fig.second") == "二次投诉件数" and word("zh", "section.second_complaints") == "二次投诉"
    assert word("en", "fig.second") == "Second complaints"
    assert word("zh", "q.service_level", n="20") == "服务水平（%，20秒内接听）"
    assert word("en", "q.service_level", n="20") == "Service level (%, within 20 s)"
    assert word("zh", "q.abandon_rate", n="20") == "放弃率（%）"  # no placeholder: the % stays
    assert word("fr", "open") == "未完成" and word("en", "no.such.key") == "no.such.key"


def test_workflow_errors_are_shown_in_the_readers_language() -> None:
    """A workflow refusal reads in the reader's language with stored values as words (quoted in
    English, no codes); the API and the log keep the plain message; a message never put in the
    catalog is not shown in English to a Chinese reader."""
    from callcenter.tickets.errors import N_, IllegalTransition, InvalidInput

    zh, en = i18n.translator("zh"), i18n.translator("en")
    wrong_state = IllegalTransition(N_("cannot %(action)s a case in state %(state)s (only from: %(states)s)"),
                                    action="accept", state="assigned", states=["draft"])  # fmt: skip
    assert wrong_state.message == "cannot accept a case in state assigned (only from: draft)"
    assert i18n.error_text(en, wrong_state) == "cannot “Accept” a case in state “Assigned” (only from: “Draft”)"
    assert i18n.error_text(zh, wrong_state) == "工单当前为“已交办”，不能受理（仅限：草稿）"
    thin = InvalidInput(N_("%(fields)s: required for %(kind)s (the rule book's record of the kind)"),
                        fields=["building", "damage"], kind="repair")  # fmt: skip
    assert thin.message == "building, damage: required for repair (the rule book's record of the kind)"
    assert i18n.error_text(zh, thin) == "楼号、毁损情况：报修必须填写（制度规定的登记内容）"
    nested = InvalidInput(N_("%(action)s: %(why)s"), action="assign", why=N_("station_id: name the responsible station"))
    assert i18n.error_text(zh, nested) == "交办：站点：请指定责任站点"
    unmarked = InvalidInput("problem: control character U+0007 is not allowed")
    assert i18n.error_text(zh, unmarked) == "有必填内容缺失或有误。"
    assert i18n.error_text(en, unmarked) == unmarked.message


def test_every_workflow_error_is_marked_for_the_catalog() -> None:
    """No workflow error is raised with an f-string (its text could not be in the catalog)."""
    raised = re.compile(r"\b(InvalidInput|IllegalTransition|CaseExists|Conflict)\(f[\"']")
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "callcenter").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if raised.search(line)]  # fmt: skip
    assert found == ["callcenter/tickets/repeat.py:183",  # a caller's programming error (an unknown field)
                     "callcenter/web/admin/extraction.py:105"]  # a web Conflict (the admin's page), not a case's
