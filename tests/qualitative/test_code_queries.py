"""qualitative.code_queries: Boolean and proximity code queries, text search, same-turn co-occurrence and the
network SVG, each against results worked out by hand on a small fixture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from qualitative.code_queries import (
    QueryInputError,
    Unit,
    code_query,
    codes_per_turn,
    cooccurrence,
    network_svg,
    text_hits,
)

# two documents; document 1 has five turns of 10 characters, document 2 three
UNITS = [Unit(1, i, 10 * i, 10 * i + 9) for i in range(5)] + [Unit(2, i, 10 * i, 10 * i + 9) for i in range(3)]
A, B, C = 100, 200, 300
CODINGS = [
    (1, A, 0, 5),  # turn 1/0: A
    (1, B, 3, 9),  # turn 1/0: B as well
    (1, A, 20, 25),  # turn 1/2: A
    (1, B, 40, 45),  # turn 1/4: B
    (1, C, 12, 35),  # turns 1/1, 1/2, 1/3: C (spans three turns)
    (2, A, 0, 3),  # turn 2/0: A
    (2, B, 9, 11),  # the gap after turn 2/0 (9) and two characters of turn 2/1: B only in 2/1
]


@pytest.fixture
def per_turn():
    return codes_per_turn(UNITS, CODINGS)


def test_codes_per_turn_by_overlap(per_turn):
    assert per_turn == {(1, 0): {A, B}, (1, 1): {C}, (1, 2): {A, C}, (1, 3): {C}, (1, 4): {B},
                        (2, 0): {A}, (2, 1): {B}, (2, 2): set()}


def test_boolean_operators(per_turn):
    assert code_query(per_turn, "AND", A, B) == [(1, 0)]
    assert code_query(per_turn, "NOT", A, B) == [(1, 2), (2, 0)]
    assert code_query(per_turn, "OR", A, B) == [(1, 0), (1, 2), (1, 4), (2, 0), (2, 1)]
    assert code_query(per_turn, "AND", A, C) == [(1, 2)]


def test_near_counts_turns_within_one_document(per_turn):
    # A in 1/0, 1/2, 2/0; B in 1/0, 1/4, 2/1
    assert code_query(per_turn, "NEAR", A, B, 0) == code_query(per_turn, "AND", A, B) == [(1, 0)]
    assert code_query(per_turn, "NEAR", A, B, 1) == [(1, 0), (2, 0)]  # 2/0 has B in 2/1; 1/2 is 2 from 1/0 and 1/4
    assert code_query(per_turn, "NEAR", A, B, 2) == [(1, 0), (1, 2), (2, 0)]
    # never across documents: B of document 2 is not near A of document 1's last turns
    assert code_query(per_turn, "NEAR", B, A, 1) == [(1, 0), (2, 1)]


def test_bad_queries_name_the_field(per_turn):
    with pytest.raises(QueryInputError, match="operator must be one of AND, NOT, OR, NEAR") as e:
        code_query(per_turn, "XOR", A, B)
    assert e.value.field == "op"
    with pytest.raises(QueryInputError, match="near must be between 0 and 50 turns, got 51"):
        code_query(per_turn, "NEAR", A, B, 51)
    with pytest.raises(QueryInputError, match="second code") as e:
        code_query(per_turn, "AND", A, None)
    assert e.value.field == "code_b"


def test_text_hits_case_insensitive_with_offsets():
    text = "Intro. Childcare helps; CHILDCARE again. İstanbul childcare"
    hits = text_hits(text, 7, 40, "childcare")
    assert [text[a:b] for a, b in hits] == ["Childcare", "CHILDCARE"]
    # a character whose lowercase is longer (İ -> i + dot) keeps offsets aligned
    assert [text[a:b] for a, b in text_hits(text, 41, len(text), "istanbul childcare")] == ["İstanbul childcare"]
    assert text_hits(text, 0, len(text), "   ") == []


def test_cooccurrence_same_turn_by_hand(per_turn):
    result = cooccurrence(per_turn, [A, B, C])
    # n = 8 turns; A in 3 turns, B in 3, C in 3; A&B: 1/0; A&C: 1/2; B&C: none
    assert result["n"] == 8
    counts = result["counts"]
    assert (counts[(A, A)], counts[(B, B)], counts[(C, C)]) == (3, 3, 3)
    assert counts[(A, B)] == counts[(B, A)] == 1 and counts[(A, C)] == counts[(C, A)] == 1
    assert (B, C) not in counts


def test_network_svg_is_wellformed_and_escapes_labels(per_turn):
    counts = cooccurrence(per_turn, [A, B, C])["counts"]
    svg = network_svg({A: "A <script>", B: "B & co", C: "C"}, counts, title="Net")
    root = ET.fromstring(svg)  # well-formed XML: labels escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}circle")) == 3 and len(root.findall(f"{ns}line")) == 2  # A-B, A-C
    assert "<script>" not in svg and "A &lt;script&gt; (3)" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no external resource
