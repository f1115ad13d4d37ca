"""Free text a person must write (a reason, a note, a statement, a name): one rule for "blank".

str.strip() removes white space only. A reason typed as a zero-width space, a byte-order mark or a
right-to-left override is not white space to Python, yet shows nothing: a denial letter would
carry an empty-looking reason and a note would be a blank line in the history. Every door's
checks and the services use is_blank() so that such text is refused as if it were empty.
"""

from __future__ import annotations

import unicodedata

# Control, format (zero-width space and joiners, BOM, bidirectional controls) and separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Letters and symbols that fonts draw as nothing: the Hangul fillers and the blank Braille cell.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_blank(text: object) -> bool:
    """True for anything but a string with at least one character a reader can see."""
    if not isinstance(text, str):
        return True
    return all(_shows_nothing(char) for char in text)


def _shows_nothing(char: str) -> bool:
    return (
        char.isspace()
        or char in _BLANK_GLYPHS
        or unicodedata.category(char) in _INVISIBLE_CATEGORIES
    )
