"""Hypothesis strategies for a member ID as another clinic might type or paste it: case,
full-width letters, zero-width characters, other dashes and spaces, padding."""

from __future__ import annotations

from hypothesis import strategies as st

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
SPACES = [" ", "\t", "\u00a0", "\u3000", "\u2009"]
DASHES = ["-", "\u2010", "\u2011", "\u2013", "\u2212", "\ufe63", "\uff0d"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def spellings(draw: st.DrawFn, member_id: str) -> str:
    """member_id as another clinic might type or paste it (the same member to the payer)."""
    chars = []
    for char in member_id:
        if char == "-":
            char = draw(st.sampled_from([*DASHES, *SPACES, ""]))
        elif char.isalpha():
            char = draw(st.sampled_from([char, char.lower()]))
        if draw(st.booleans()):
            char = full_width(char)
        chars.append(char + draw(st.sampled_from(["", *INVISIBLE])))
    pad = st.text(st.sampled_from(SPACES), max_size=3)
    return draw(pad) + "".join(chars) + draw(pad)
