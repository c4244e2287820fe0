"""The panel's languages: gettext catalogs (Babel) with English msgids, Simplified Chinese by default.

The catalogs are ``callcenter/locale/{zh_CN,en}/LC_MESSAGES/messages.po`` (compiled to ``.mo``);
a translator works on them with Poedit or Lokalize and the commands of ``scripts/i18n.sh``
(``callcenter/web/README.md``, *Translating*). Code marks a message with ``_("English")`` (or
``pgettext(context, "English")`` when one English text needs two Chinese ones); ``%(name)s``
placeholders are filled from keyword arguments. A stored value shown as a word (a disposition, a
case state, a role …) goes through a vocabulary: a table in its feature's ``words.py`` mapping the
value to ``N_("English")``, translated at render time by ``word(vocabulary, value)``.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path
from typing import Any, Union

from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

DEFAULT = "zh"
LANGUAGES = ("zh", "en")
COOKIE = "lang"
LOCALES = {"zh": "zh_CN", "en": "en"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
# Babel keywords beyond its defaults (_, gettext, pgettext …): the same as scripts/i18n.sh.
KEYWORDS: dict[str, Any] = {"N_": None, "pN_": ((1, "c"), 2)}

# A vocabulary word: a msgid, or (context, msgid).
Word = Union[str, tuple[str, str]]
Words = dict[str, Word]

# The feature modules holding vocabularies (``VOCABULARIES``) and page-script tables (``JS_STRINGS``).
VOCABULARY_MODULES = (
    "callcenter.web.words", "callcenter.web.admin.words", "callcenter.web.audit.words", "callcenter.web.auth.words",
    "callcenter.web.calls.words", "callcenter.web.cases.words", "callcenter.web.drafts.words",
    "callcenter.web.live.words", "callcenter.web.notices.words", "callcenter.web.wallboard.words",
)  # fmt: skip


def N_(msgid: str) -> str:
    """Marks a msgid for extraction without translating it (translated where it is shown)."""
    return msgid


def pN_(context: str, msgid: str) -> tuple[str, str]:
    """``N_`` with a message context."""
    return (context, msgid)


def language(lang: str | None) -> str:
    """``lang`` if the panel speaks it, else the default (Chinese)."""
    return lang if lang in LANGUAGES else DEFAULT


@functools.cache
def translations(lang: str | None) -> NullTranslations:
    """The compiled catalog of a panel language (loaded once)."""
    return Translations.load(str(LOCALE_DIR), [LOCALES[language(lang)]], DOMAIN)


def _fill(text: str, values: dict[str, Any]) -> str:
    """``%(name)s`` placeholders filled; a text without any is left alone (a literal % stays)."""
    return text % values if values and "%(" in text else text


@functools.cache
def vocabularies() -> dict[str, Words]:
    """Every vocabulary by name (``disp``, ``kind``, ``tl.call`` …), read from the feature modules."""
    out: dict[str, Words] = {}
    for name in VOCABULARY_MODULES:
        for vocab, table in importlib.import_module(name).VOCABULARIES.items():
            if vocab in out:
                raise ValueError(f"vocabulary {vocab!r} is defined twice")
            out[vocab] = table
    return out


class Translator:
    """One language's messages for Python code: ``_ = translator(lang)``; ``_("Saved.")``."""

    def __init__(self, lang: str | None) -> None:
        self.lang = language(lang)
        self.translations = translations(self.lang)

    def gettext(self, msgid: str, **values: Any) -> str:
        return _fill(self.translations.gettext(msgid), values)

    __call__ = gettext

    def pgettext(self, context: str, msgid: str, **values: Any) -> str:
        return _fill(self.translations.pgettext(context, msgid), values)

    def message(self, word: Word, **values: Any) -> str:
        """A marked message (an ``N_``/``pN_`` value) in this language."""
        if isinstance(word, tuple):
            return self.pgettext(word[0], word[1], **values)
        return self.gettext(word, **values)

    def word(self, vocabulary: str, value: Any, default: str | None = None, **values: Any) -> str:
        """The word ``value`` is shown as (``values`` fill its placeholders); ``default`` (or
        ``vocabulary.value``) if it has none."""
        found = vocabularies()[vocabulary].get("" if value is None else str(value))
        if found is None:
            return default if default is not None else f"{vocabulary}.{value}"
        return self.message(found, **values)


@functools.cache
def translator(lang: str | None) -> Translator:
    return Translator(lang)


# The placeholders of a workflow error (callcenter.tickets.errors.CaseError) that name stored
# values, and the vocabulary they are shown from; a list is shown word by word.
ERROR_WORDS = {"field": "field", "fields": "field", "state": "state", "states": "state", "action": "action",
               "kind": "kind", "kinds": "kind", "role": "role", "roles": "role", "severities": "severity"}  # fmt: skip


def error_text(tr: Translator, error: Any) -> str:
    """A workflow error (``CaseError``) in the reader's language: its template through the
    catalog, the values of :data:`ERROR_WORDS` placeholders as words, ``why`` (a marked reason)
    translated. An English reader gets the English sentence with the same words, quoted
    (“Feedback received”, not ``feedback_received``). A message not in the catalog is not shown to
    a reader of another language (its code's general sentence instead: the English stays in the
    log and the API)."""
    template, values = getattr(error, "template", None) or error.message, getattr(error, "values", {})
    translated = tr.translations.gettext(template)
    if tr.lang == "en" and not values:
        return str(error.message)
    if translated == template and tr.lang != "en":
        return tr.word("error", getattr(error, "code", ""), default=tr.word("error", "title"))

    def word(vocab: str, value: Any) -> str:
        shown = tr.word(vocab, value, default=str(value))
        return f"“{shown}”" if tr.lang == "en" else shown  # a label inside an English sentence: quoted

    shown: dict[str, Any] = {}
    for key, value in values.items():
        vocab = ERROR_WORDS.get(key)
        if key == "why":
            shown[key] = tr.gettext(str(value))
        elif vocab and isinstance(value, (list, tuple)):
            shown[key] = tr.pgettext("list", ", ").join(word(vocab, v) for v in value)
        elif vocab:
            shown[key] = word(vocab, value)
        else:
            shown[key] = value
    try:
        return translated % shown if shown else translated
    except (KeyError, TypeError, ValueError):  # a catalog entry that does not fit its template
        return str(error.message)


def for_js(lang: str, table: Words) -> dict[str, str]:
    """A page script's strings (key → text in ``lang``), passed as JSON, never as code. The scripts
    fill ``{name}`` placeholders, so ``%(name)s`` is handed over as ``{name}``."""
    tr = translator(lang)
    return {key: re.sub(r"%\((\w+)\)s", r"{\1}", tr.message(word)).replace("%%", "%") for key, word in table.items()}


# Jinja: the i18n extension's gettext/pgettext and a ``word`` global, all reading the language of
# the page being rendered (``lang`` in its context, set per request by render.base_context).
def _translator_of(context: Context) -> Translator:
    return translator(context.get("lang"))


@pass_context
def _j_gettext(context: Context, msgid: str, **values: Any) -> str:
    return _translator_of(context).gettext(msgid, **values)


@pass_context
def _j_pgettext(context: Context, ctx: str, msgid: str, **values: Any) -> str:
    return _translator_of(context).pgettext(ctx, msgid, **values)


@pass_context
def _j_ngettext(context: Context, singular: str, plural: str, n: int, **values: Any) -> str:
    return _fill(_translator_of(context).translations.ngettext(singular, plural, n), {"num": n, **values})


@pass_context
def _j_word(context: Context, vocabulary: str, value: Any, default: str | None = None, **values: Any) -> str:
    return _translator_of(context).word(vocabulary, value, default, **values)


def install(env: Environment) -> None:
    """Adds ``jinja2.ext.i18n`` to the panel's environment with per-request translations."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_j_gettext, _j_ngettext, newstyle=False, pgettext=_j_pgettext)  # type: ignore[attr-defined]
    env.globals["word"] = _j_word
