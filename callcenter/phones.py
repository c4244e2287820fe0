"""Telephone numbers of mainland China: one stored form, the forms clerks read and dial; pure.

A :class:`Phone` is a national significant number (no trunk ``0``, no country code) and an
optional extension. Stored as E.164 (``+869516085708``; an extension as RFC 3966's
``;ext=8001``), shown as clerks write it (:attr:`Phone.display`), dialled as the hotline's
phones in Yinchuan dial it (:attr:`Phone.dialled`: a 0951 number without its area code).

The numbering plan as this module reads it (GB/T and MIIT plan, simplified):

- mobiles: 11 digits ``1[3-9]…``; callers add ``+86`` / ``0086`` or a trunk ``0``;
- landlines: trunk ``0``, an area code (2 digits ``10`` / ``2x``, else 3 digits ``3xx``–``9xx``)
  and a 7- or 8-digit subscriber number starting with 2–9 (8 after a 2-digit code);
- a 7-digit number without area code is local to :data:`HOME_AREA` (0951, Yinchuan);
- ``400`` / ``800`` service numbers: 10 digits, dialled as they are.

Why not Google's ``phonenumbers``: it finds numbers in written digits, not in speech
(三九零幺…, 洞, 两, words between groups), so the spoken reading is ours anyway; what is left
is the plan above, a dozen lines that also run in the ledger's hot path and in SQL patterns
(:func:`search_digits`), without a 40 MB metadata package whose China data would only tell
us the same rules (and would reject area codes it does not list, which a caller may say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COUNTRY = "86"
HOME_AREA = "951"  # Yinchuan: a 7-digit number said without area code is here
MIN_SEARCH_DIGITS = 4
MAX_EXTENSION_DIGITS = 6

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SERVICE = re.compile(r"[48]00\d{7}")
_LANDLINE = re.compile(r"(?:(10|2\d)([2-9]\d{7})|([3-9]\d\d)([2-9]\d{6,7}))")
_LOCAL = re.compile(r"[2-9]\d{6}")
_LENGTHS = frozenset((7, 10, 11, 12, 13, 14, 15))  # local … 0086 + an 11-digit national number
_EXT_TEXT = re.compile(r"\s*(?:;\s*ext=|转分机|分机号?|转|ext\.?|x)\s*(\d{1,6})\s*$", re.IGNORECASE)
_TYPED = re.compile(r"[\d\s\-–—.()+/]*")  # what a typed number may hold besides an extension


@dataclass(frozen=True)
class Phone:
    national: str  # 13909511234, 9516085708, 1062551234, 4008105888
    ext: str = ""

    @property
    def kind(self) -> str:
        """``mobile``, ``service`` (400/800) or ``landline``."""
        if _MOBILE.fullmatch(self.national):
            return "mobile"
        return "service" if _SERVICE.fullmatch(self.national) else "landline"

    @property
    def area(self) -> str:
        """A landline's area code without the trunk 0 (``951``, ``10``); '' otherwise."""
        m = _LANDLINE.fullmatch(self.national) if self.kind == "landline" else None
        return (m[1] or m[3]) if m else ""

    @property
    def subscriber(self) -> str:
        return self.national[len(self.area) :]

    @property
    def e164(self) -> str:
        """The stored form: ``+8613909511234``, ``+869516085708;ext=8001``."""
        return f"+{COUNTRY}{self.national}" + (f";ext={self.ext}" if self.ext else "")

    @property
    def dialled(self) -> str:
        """What a hotline phone in Yinchuan dials (no extension): a 0951 number without its
        area code, another area's with its trunk 0, mobiles and 400/800 numbers as they are."""
        if self.kind != "landline":
            return self.national
        return self.subscriber if self.area == HOME_AREA else "0" + self.national

    @property
    def display(self) -> str:
        """As clerks write it: ``139 0951 1234``, ``0951-6085708``, ``400-810-5888 转 8001``."""
        n = self.national
        if self.kind == "mobile":
            shown = f"{n[:3]} {n[3:7]} {n[7:]}"
        elif self.kind == "service":
            shown = f"{n[:3]}-{n[3:6]}-{n[6:]}"
        else:
            shown = f"0{self.area}-{self.subscriber}"
        return shown + (f" 转 {self.ext}" if self.ext else "")


def _national(digits: str) -> str | None:
    """The national significant number of a digit string without country code, or None."""
    if _MOBILE.fullmatch(digits) or _SERVICE.fullmatch(digits):
        return digits
    if digits.startswith("0") and (_MOBILE.fullmatch(digits[1:]) or _LANDLINE.fullmatch(digits[1:])):
        return digits[1:]
    if _LOCAL.fullmatch(digits):
        return HOME_AREA + digits
    return None


def from_digits(digits: str, ext: str = "") -> Phone | None:
    """The number a string of digits (as said or dialled) is, or None: ``13909511234``,
    ``013909511234``, ``8613909511234``, ``008613909511234``, ``09536085708``, ``6085708``…"""
    if len(digits) not in _LENGTHS or not digits.isascii() or not digits.isdigit():
        return None
    national = _national(digits)
    for prefix in ("0086", "86"):
        if national is None and digits.startswith(prefix):
            rest = digits[len(prefix) :]
            if _MOBILE.fullmatch(rest) or _SERVICE.fullmatch(rest) or _LANDLINE.fullmatch(rest):
                national = rest
    return Phone(national, ext) if national else None


def parse(text: str | None) -> Phone | None:
    """A number as typed or stored: ``+86 139 0951 1234``, ``0951-6085708 转 8001``,
    ``+869516085708;ext=8001``, ``(0951) 6085708``; None for anything else."""
    text = (text or "").strip()[:64]
    ext = ""
    if m := _EXT_TEXT.search(text):
        text, ext = text[: m.start()], m[1]
    if not text or not _TYPED.fullmatch(text) or "+" in text.lstrip()[1:]:
        return None
    return from_digits(_international(text, re.sub(r"\D", "", text)), ext)


def _international(text: str, digits: str) -> str:
    """A number written with ``+`` is dialled with ``00`` (+86… is 0086…, +1… no number here)."""
    return "00" + digits if text.lstrip().startswith("+") else digits


def stored(text: str | None) -> str | None:
    """The E.164 form of a number in any form :func:`parse` reads, or None."""
    phone = parse(text)
    return phone.e164 if phone else None


def search_digits(text: str) -> str:
    """The digits to look for inside stored caller numbers (which hold them whatever prefix
    the carrier added): a whole number's core (mobile, 0951 subscriber, other area's
    national number), else the typed digits without ``+86``/``0086`` and trunk ``0``.
    An extension (转 8001) is left out. Raises ValueError for anything but digits and separators,
    or fewer than 4 digits."""
    text = text.strip()
    if len(text) <= 64 and (m := _EXT_TEXT.search(text)):  # the extension is not in the caller number
        text = text[: m.start()].strip()
    if len(text) > 64 or not _TYPED.fullmatch(text):
        raise ValueError("a number holds only digits, spaces, dashes, dots, brackets and a leading +")
    digits = re.sub(r"\D", "", text)
    phone = from_digits(_international(text, digits))
    if phone is not None:
        return phone.subscriber if phone.area == HOME_AREA else phone.national
    # A prefix goes only when enough digits remain (0951 alone, 0086 alone: as typed).
    for prefix in ("00" + COUNTRY, COUNTRY if text.startswith("+") else "", "0"):
        if prefix and digits.startswith(prefix) and len(digits) - len(prefix) >= MIN_SEARCH_DIGITS:
            digits = digits[len(prefix) :]
    if len(digits) < MIN_SEARCH_DIGITS:
        raise ValueError(f"at least {MIN_SEARCH_DIGITS} digits of the number")
    return digits


def shown(value: str | None) -> str:
    """How a stored number (E.164, or an older digits-only form) is shown to clerks; text
    that is no number as it is."""
    phone = parse(value)
    return phone.display if phone else (value or "")


# What Asterisk and SIP trunks put in CallerIDNum / CallerIDName when the caller withholds the
# number (the recorded anonymous_caller trace: "anonymous" / "Anonymous"). The call log stores
# it as received; a case never takes it as a phone or a name; the panel shows 未显示号码.
# Mirrored in web/live/static/live.js and web/wallboard/static/wallboard.js (WITHHELD).
WITHHELD = frozenset({"anonymous", "restricted", "private", "unavailable", "unknown", "<unknown>"})


def known_caller(value: str | None) -> str:
    """A caller number or name as the panel shows it: "" when it only says the number is
    withheld (the templates then show 未显示号码), else the value itself."""
    if not value or value.strip().lower() in WITHHELD:
        return ""
    return value
