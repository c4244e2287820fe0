"""The editable tables (callcenter.transcribe.tables): what each keyword category pre-sets on
the voicemail's draft case, and the errors of a bad ``case`` entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.tickets.workflow import KINDS
from callcenter.transcribe.tables import CaseHint, TableError, default_keywords, load_keywords

# The category → case mapping of the packaged keywords.toml, decided one by one:
# a leak or burst pipe is a repair that cannot wait (D2, "immediately"); a cold flat is a
# temperature case (测温, D3 same day); fees and invoices are questions answered by the
# hotline (a billing dispute becomes a complaint when the clerk says so).
PACKAGED = {
    "urgent_repair": CaseHint("repair", urgent=True),
    "temperature": CaseHint("temperature"),
    "repair": CaseHint("repair"),
    "complaint": CaseHint("complaint"),
    "billing": CaseHint("consultation"),
    "application": CaseHint("application"),
    "consultation": CaseHint("consultation"),
}


def test_every_packaged_category_names_a_kind_deliberately() -> None:
    table = default_keywords()
    assert {c.name: c.case for c in table.categories} == PACKAGED
    assert all(c.case.kind in KINDS for c in table.categories)
    assert table.hint("urgent_repair") == CaseHint("repair", urgent=True, severity=None, label="紧急抢修（爆管、漏水）")
    assert table.hint("no_such_category") == CaseHint() and table.hint(None) == CaseHint()


def test_the_panels_suggestion_agrees_with_the_table() -> None:
    """The draft inbox pre-selects a kind from its own copy of the mapping."""
    from callcenter.web.drafts.pages import CATEGORY_KIND

    assert CATEGORY_KIND == {name: hint.kind for name, hint in PACKAGED.items()}


def test_a_case_entry_is_optional_and_may_set_urgency_and_severity(tmp_path: Path) -> None:
    path = tmp_path / "keywords.toml"
    plain = "[[category]]\nname = 'plain'\nkeywords = ['甲']\n"
    big = "[[category]]\nname = 'big'\nkeywords = ['乙']\ncase = { kind = 'repair', urgent = true, severity = 'major' }"
    path.write_text(f"{plain}{big}\n", encoding="utf-8")
    table = load_keywords(path)
    assert table.hint("plain") == CaseHint()
    assert table.hint("big") == CaseHint("repair", urgent=True, severity="major")


@pytest.mark.parametrize(("case", "message"), [
    ("{ kind = 'leak' }", r"category\[0\] \('a'\): case: kind must be one of complaint, .*got 'leak'"),
    ("{ urgent = 'yes' }", r"category\[0\] \('a'\): case: urgent must be true or false"),
    ("{ severity = 'huge' }", r"category\[0\] \('a'\): case: severity must be one of minor, medium, major"),
    ("{ kind = 'repair', deadline = 1 }", r"category\[0\] \('a'\): case: unknown key\(s\) \['deadline'\]"),
    ("'repair'", r"category\[0\] \('a'\): case: must be a table"),
])  # fmt: skip
def test_a_bad_case_entry_names_file_and_category(tmp_path: Path, case: str, message: str) -> None:
    path = tmp_path / "keywords.toml"
    path.write_text(f"[[category]]\nname = 'a'\nkeywords = ['x']\ncase = {case}\n", encoding="utf-8")
    with pytest.raises(TableError, match=rf"keywords\.toml: {message}"):
        load_keywords(path)
