"""Detectors for personal identifiers that must never appear in synthetic finance data."""

from __future__ import annotations

import re

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# international (+CC ...) or grouped national numbers with 9-15 digits in total
_PHONE = re.compile(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){2,4}\b")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1
    except ValueError:
        return False


def find_pii(text: str) -> str | None:
    """Name of the first identifier kind found in ``text`` (card, IBAN, e-mail, phone), else None."""
    if not text:
        return None
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return "payment card number (Luhn-valid)"
    for m in _IBAN.finditer(text.upper()):
        if iban_valid(m.group()):
            return "IBAN (checksum-valid)"
    if _EMAIL.search(text):
        return "e-mail address"
    for m in _PHONE.finditer(text):
        if 9 <= len(re.sub(r"\D", "", m.group())) <= 15:
            return "phone number"
    return None
