"""``qualitative.offsets.utf16_length`` counts with the codec (the workspace converts thousands of offsets per page);
it must equal the definition: code points plus one per code point above U+FFFF."""

import pytest

from qualitative.offsets import codepoint_to_utf16, utf16_length


@pytest.mark.parametrize("text", ["", "abc", "e\u0301", "👶", "a👶b🙂c", "\ud800", "x\udfffy", "𠀀中文", "🙂" * 1000 + "z"])
def test_utf16_length_matches_counting_astral_code_points(text):
    assert utf16_length(text) == len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def test_javascript_lengths():
    # "a👶b".length === 4 in JavaScript; the offset after the emoji is 3
    assert utf16_length("a👶b") == 4 and codepoint_to_utf16("a👶b", 2) == 3
