"""The catalogue: both languages have the same keys, and every key a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from callcenter.web import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"


def test_languages_have_the_same_keys() -> None:
    assert set(i18n.ZH) == set(i18n.EN)
    assert all(i18n.ZH.values()) and all(i18n.EN.values())


def test_template_keys_exist() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"_\('([a-z_.]+)'", template.read_text()))
    fixed = {k for k in used if not k.endswith(".")}
    assert fixed - set(i18n.ZH) == set()


def test_placeholders_match() -> None:
    for key, text in i18n.ZH.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", i18n.EN[key])), key


def test_fallback_to_chinese_then_key() -> None:
    assert i18n.gettext("fr", "nav.live") == "实时来电"
    assert i18n.gettext("en", "no.such.key") == "no.such.key"
    assert i18n.gettext("en", "login.throttled", seconds=30) == "Too many failed logins; try again in 30 s."
