"""How a name reads, not how it was typed: two spellings a person cannot tell apart get one key.

Used for usernames here (accounts.models.User.username_key) and for patients' last names
(reviews.members.name_key): case is folded, and a letter of another script that looks like a
Latin one (Cyrillic er, U+0440, or Greek omicron, U+03BF) is read as that letter.
"""

from __future__ import annotations

import functools
import unicodedata

# The punctuation a username may hold (Django's UnicodeUsernameValidator); it tells names apart.
USERNAME_PUNCTUATION = frozenset("@.+-_")


def fold(text: str) -> str:
    """text without case, compatibility forms or accents, look-alike letters read as Latin.

    Case is folded by way of the capitals, as some small letters fold to no other (Turkish
    dotless i, U+0131, is I, then i)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return decomposed.upper().casefold().translate(look_alikes())


def username_key(username: str) -> str:
    """The username as it reads: "Phil", "PHIL", and "phil" with a dotless i (U+0131) or with a
    Cyrillic er (U+0440) for its p are all "phil", so no two accounts can go by names an auditor
    reading the log cannot tell apart."""
    return "".join(c for c in fold(username) if c.isalnum() or c in USERNAME_PUNCTUATION)


@functools.cache
def look_alikes() -> dict[int, str]:
    """Each letter of a script other than Latin that Unicode's confusables list as looking like
    a Latin letter, mapped to that letter in small (once per process, from confusable-homoglyphs).
    A capital's small form reads as the capital's letter where it has no look-alike of its own
    (Cyrillic capital Ka, U+041A, is K, so small ka is k), as fold() folds case before it looks
    letters up."""
    from confusable_homoglyphs.categories import alias
    from confusable_homoglyphs.confusables import confusables_data

    look_alike: dict[str, str] = {}  # every such letter, capital or not, as a small Latin one
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or not unicodedata.category(char).startswith("L"):
            continue
        if unicodedata.normalize("NFKD", char).isascii() or alias(char) == "LATIN":
            continue  # NFKD reads it already, or it is a Latin letter in its own right
        latin = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii()]
        if latin and latin[0].isalpha():
            look_alike[char] = latin[0].lower()
    table = {ord(char): letter for char, letter in look_alike.items() if char.islower()}
    for char, letter in look_alike.items():
        small = char.casefold()
        if len(small) == 1:
            table.setdefault(ord(small), letter)
    return table
