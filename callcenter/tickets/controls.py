"""Control characters: refused in what people type, neutralised in what is written to Excel.

A station name with ``\\u0007`` once made every ``.xlsx`` download fail (openpyxl refuses such
characters). Input paths refuse them with a message naming the field (:func:`refusal`); rows that
are already stored (or that came from a caller ID or a transcript) are made safe when a workbook
is written (:func:`cell_text`). Pure functions.
"""

from __future__ import annotations

import unicodedata

REPLACEMENT = "\ufffd"  # shows where a character was taken out
MULTILINE = "\t\n\r"


def refusal(name: str, value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` of field ``name`` is refused, or ``None``: a control character (newlines and
    tabs are allowed in multi-line text) or a lone surrogate."""
    allowed = MULTILINE if multiline else ""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            return f"{name}: text must be valid Unicode (a lone surrogate was sent)"
        if category == "Cc" and ch not in allowed:
            return f"{name}: control character U+{ord(ch):04X} is not allowed"
    return None


def cell_text(value: str) -> str:
    """``value`` safe for a spreadsheet cell: control characters other than tab and newline and
    lone surrogates replaced by U+FFFD."""
    out = []
    for ch in value:
        category = unicodedata.category(ch)
        bad = category == "Cs" or (category == "Cc" and ch not in "\t\n")
        out.append(REPLACEMENT if bad else ch)
    return "".join(out)


def formula_safe(value: str) -> str:
    """A text a spreadsheet will not run as a formula (CSV opened in Excel): a leading
    ``= + - @`` gets an apostrophe in front."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
