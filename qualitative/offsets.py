"""Convert text offsets between UTF-16 code units (what browsers count: ``String.length``, DOM ``Range``
offsets, ``selectionStart``) and Unicode code points (what the platform stores, as REFI-QDA plain-text positions
do).

A code point above U+FFFF (emoji, CJK Extension B) is one code point but two UTF-16 code units (a surrogate pair,
Unicode 15 section 3.9); below it, both counts agree. An offset that falls between the two halves of a pair points
inside a character and is refused.
"""

from __future__ import annotations

__all__ = ["OffsetError", "codepoint_to_utf16", "utf16_length", "utf16_to_codepoint"]


class OffsetError(ValueError):
    """An offset outside the text or in the middle of a surrogate pair."""


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (JavaScript ``text.length``): the code points plus one more for each
    code point above U+FFFF. Counted by the codec in C (two bytes per unit; ``surrogatepass`` lets a lone surrogate
    count as the one unit it is), which matters when a page converts thousands of offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def codepoint_to_utf16(text: str, cp_offset: int) -> int:
    """UTF-16 offset of code-point offset ``cp_offset`` (0 <= cp_offset <= len(text)).

    utf16 = cp_offset + number of astral code points in ``text[:cp_offset]``.
    """
    if not 0 <= cp_offset <= len(text):
        raise OffsetError(f"code-point offset {cp_offset} is outside the text (0..{len(text)})")
    return utf16_length(text[:cp_offset])


def utf16_to_codepoint(text: str, utf16_offset: int) -> int:
    """Code-point offset of UTF-16 offset ``utf16_offset``; OffsetError if it splits a surrogate pair.

    Walks the text counting 2 units for each astral code point and 1 for the others.
    """
    total = utf16_length(text)
    if not 0 <= utf16_offset <= total:
        raise OffsetError(f"UTF-16 offset {utf16_offset} is outside the text (0..{total})")
    if total == len(text):  # no astral characters: the counts agree
        return utf16_offset
    units = index = 0
    while units < utf16_offset:
        units += 2 if ord(text[index]) > 0xFFFF else 1
        index += 1
    if units != utf16_offset:
        raise OffsetError(
            f"UTF-16 offset {utf16_offset} falls inside the surrogate pair of the character at code point {index - 1}"
        )
    return index
