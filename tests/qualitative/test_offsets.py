"""UTF-16 <-> code-point offsets, checked against Python's own UTF-16 encoder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitative.offsets import OffsetError, codepoint_to_utf16, utf16_length, utf16_to_codepoint

# "Mamá 👶 ok": M a m á(U+00E1, one unit) space 👶(U+1F476, two units) space o k
TEXT = "Mamá \U0001f476 ok"


def test_accented_text_counts_agree():
    text = "Renée café e\u0301"  # the decomposed é is two code points and two units
    for i in range(len(text) + 1):
        assert codepoint_to_utf16(text, i) == i
        assert utf16_to_codepoint(text, i) == i


def test_emoji_counts_two_units():
    # code points: M0 a1 m2 á3 ' '4 👶5 ' '6 o7 k8 -> len 9; UTF-16 length 10 (JavaScript "Mamá 👶 ok".length === 10)
    assert len(TEXT) == 9
    assert utf16_length(TEXT) == 10
    assert codepoint_to_utf16(TEXT, 5) == 5  # before the emoji
    assert codepoint_to_utf16(TEXT, 6) == 7  # after the emoji
    assert codepoint_to_utf16(TEXT, 9) == 10
    assert utf16_to_codepoint(TEXT, 7) == 6
    assert utf16_to_codepoint(TEXT, 10) == 9


def test_offset_inside_surrogate_pair_is_refused():
    with pytest.raises(OffsetError, match="inside the surrogate pair of the character at code point 5"):
        utf16_to_codepoint(TEXT, 6)


@pytest.mark.parametrize("bad", [-1, 11])
def test_out_of_range_utf16(bad):
    with pytest.raises(OffsetError, match="outside the text"):
        utf16_to_codepoint(TEXT, bad)


@pytest.mark.parametrize("bad", [-1, 10])
def test_out_of_range_codepoint(bad):
    with pytest.raises(OffsetError, match="outside the text"):
        codepoint_to_utf16(TEXT, bad)


@given(st.text(st.characters(blacklist_categories=("Cs",))), st.data())
def test_round_trip_against_python_utf16_encoder(text, data):
    cp = data.draw(st.integers(0, len(text)))
    units = codepoint_to_utf16(text, cp)
    assert units == len(text[:cp].encode("utf-16-le")) // 2  # independent count: bytes / 2
    assert utf16_to_codepoint(text, units) == cp
