"""Member identity: the payer's member ID as a clinic typed it, and the one canonical key that
every match, count and constraint uses.

A clinic may type ``fep-200101``, ``FEP 200101``, the same in full-width letters or paste it with a
zero-width space; all are one member. The key is the ID in Unicode NFKC, without format
characters (zero-width spaces, joiners, BOM), white space or dashes, upper-cased; anything else
left over must be an ASCII letter or digit, or the ID is refused with a message saying why.
PostgreSQL checks every stored key against the ID it came from (migration 0007), so a row
written past this module cannot carry a key of its own.

Names are matched the same way for the "possible same person" warning: last name without case,
accents, spaces or punctuation.
"""

from __future__ import annotations

import unicodedata

from accounts.spelling import fold

from .errors import ServiceError

MAX_MEMBER_ID = 30
MAX_TYPED_MEMBER_ID = 60  # Patient.member_id: the ID as typed, spaces and dashes included
# Dashes are separators: payers print member IDs with and without them.
_SEPARATOR_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp", "Pd"})
_MINUS_SIGNS = frozenset("\u2212\u207b\u208b")  # typed for a dash by word processors


class MemberIdInvalid(ServiceError):
    """The member ID is empty or has characters no payer member ID has."""


def member_key(raw: str) -> str:
    """The canonical key of a member ID, or MemberIdInvalid with a message for the user."""
    text = unicodedata.normalize("NFKC", raw or "")
    kept = [c for c in text if not _is_separator(c)]
    if bad := sorted({c for c in kept if not (c.isascii() and c.isalnum())}):
        shown = ", ".join(_describe(c) for c in bad[:5])
        raise MemberIdInvalid(
            f"The member ID may contain only letters A-Z, digits, spaces and dashes; it has {shown}."
        )
    key = "".join(kept).upper()
    if not key:
        raise MemberIdInvalid("Enter the member ID from the patient's health plan card.")
    if len(key) > MAX_MEMBER_ID:
        raise MemberIdInvalid(f"A member ID has at most {MAX_MEMBER_ID} letters and digits.")
    return key


def member_id_as_shown(raw: str) -> str:
    """The member ID as typed, for every page and letter, without the blanks around it and
    without format characters (zero-width spaces, joiners, BOM, soft hyphens, bidirectional
    marks and overrides): they show nothing, or reorder what follows them, so FEP-<U+202E>3421
    read as FEP-1243 while its key was FEP3421. The key drops them too, so it is unchanged.
    MemberIdInvalid when even so it is longer than the column that keeps it."""
    shown = "".join(c for c in raw if unicodedata.category(c) != "Cf").strip()
    if len(shown) > MAX_TYPED_MEMBER_ID:
        raise MemberIdInvalid(
            f"A member ID is at most {MAX_TYPED_MEMBER_ID} characters as typed, spaces and "
            "dashes included."
        )
    return shown


def _is_separator(char: str) -> bool:
    return (
        char.isspace()
        or char in _MINUS_SIGNS
        or unicodedata.category(char) in _SEPARATOR_CATEGORIES
    )


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"'{char}' ({name.title()})" if name and char.isprintable() else f"U+{ord(char):04X}"


def name_key(last_name: str) -> str:
    """A last name for matching: no case, accents, spaces or punctuation (Müller = MULLER), and
    a letter of another script that looks like a Latin one read as that letter: "Example" spelled
    with a Cyrillic capital Ie (U+0415) is Example, so look-alike letters cannot hide a possible
    same person."""
    return "".join(c for c in fold(last_name) if c.isalnum())[:100]


def search_key(text: str) -> str:
    """A search box's text as a member key, or "" if it cannot be one (then only names match)."""
    try:
        return member_key(text)
    except MemberIdInvalid:
        return ""
