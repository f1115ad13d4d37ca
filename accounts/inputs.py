"""Reading request input that names a row: one rule for every view."""

from __future__ import annotations

# A bigint has at most 19 digits; 18 keeps every value inside it.
MAX_ID_DIGITS = 18


def id_or_none(raw: str | None) -> int | None:
    """A row id from a form or query value, or None: ASCII digits only ("²" and a full-width 1 pass
    str.isdigit() but are no id) and no longer than a bigint's."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None
