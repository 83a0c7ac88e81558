"""Convert text offsets between UTF-16 code units (what browsers count: ``String.length``, DOM ``Range``
offsets, ``selectionStart``) and Unicode code points (what the platform stores, as REFI-QDA plain-text positions
do).

A code point above U+FFFF (emoji, CJK Extension B) is one code point but two UTF-16 code units (a surrogate pair,
Unicode 15 section 3.9); below it, both counts agree. An offset that falls between the two halves of a pair points
inside a character and is refused.
"""

from __future__ import annotations

import bisect
import re

__all__ = ["OffsetError", "Utf16Map", "codepoint_to_utf16", "utf16_length", "utf16_to_codepoint"]

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


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


class Utf16Map:
    """Both conversions for one text, each in O(log a) after one O(n) pass (a = astral code points), for callers
    that convert many offsets of the same long text (a REFI-QDA import converts every selection of a 600 000
    character transcript: walking the text per offset took seconds).

    With astral code points at code-point indices ``a_0 < a_1 < ...``, the k-th starts at UTF-16 unit
    ``a_k + k`` and ends at ``a_k + k + 2``; so ``utf16(cp) = cp + #{a_k < cp}`` and
    ``cp(u) = u - #{a_k + k + 2 <= u}``, refused when ``u = a_k + k + 1`` (inside the pair). Gives the same
    results as :func:`codepoint_to_utf16` and :func:`utf16_to_codepoint` (checked by a property test).
    """

    def __init__(self, text: str) -> None:
        self.codepoints = len(text)
        self.astral = [m.start() for m in _ASTRAL.finditer(text)] if utf16_length(text) != len(text) else []
        self.units = self.codepoints + len(self.astral)
        self._ends = [a + k + 2 for k, a in enumerate(self.astral)]

    def to_utf16(self, cp_offset: int) -> int:
        if not 0 <= cp_offset <= self.codepoints:
            raise OffsetError(f"code-point offset {cp_offset} is outside the text (0..{self.codepoints})")
        return cp_offset + bisect.bisect_left(self.astral, cp_offset)

    def to_codepoint(self, utf16_offset: int) -> int:
        if not 0 <= utf16_offset <= self.units:
            raise OffsetError(f"UTF-16 offset {utf16_offset} is outside the text (0..{self.units})")
        k = bisect.bisect_right(self._ends, utf16_offset)  # pairs wholly before the offset
        if k < len(self.astral) and utf16_offset == self.astral[k] + k + 1:
            raise OffsetError(f"UTF-16 offset {utf16_offset} falls inside the surrogate pair of the character at "
                              f"code point {self.astral[k]}")
        return utf16_offset - k
