"""The distinguishing-construct rule (``qualitative.distinguishing``), pure.

Worked example: "Ratings assigned to CFIR constructs by unit", Table 2 of J Med Internet Res 2015;17(11):e262
(doi:10.2196/jmir.5091): units 1-4 high implementation, unit 5 low, each construct marked Strong, Weak or not
distinguishing, following Damschroder & Lowery (2013). Their "0 (mix)" is a mixed rating, passed here as "X".
Rows the authors settled by judgment about mixed ratings (Relative advantage; Knowledge and beliefs) are left out.
"""

from __future__ import annotations

import pytest

from qualitative.distinguishing import DistinguishingInputError, distinguishes

GROUPS = {1: "high", 2: "high", 3: "high", 4: "high", 5: "low"}
M = None  # missing (not discussed)
TABLE_2 = [  # construct, units 1..5, the paper's verdict
    ("Trialability", (2, 2, 2, 2, -1), "strong"),
    ("Patient needs & resources", (0, 1, 0, 0, -1), "weak"),
    ("Structural characteristics", (0, 0, 0, 0, -1), "weak"),
    ("Culture", (-1, -1, 1, -1, -2), "weak"),
    ("Tension for change", (1, 1, "X", 1, -2), "strong"),
    ("Compatibility", (M, 1, "X", 2, -2), "strong"),
    ("Relative priority", (0, M, 0, 1, -2), "strong"),
    ("Available resources", (2, 2, 2, 2, -1), "strong"),
    ("Design quality and packaging", (1, 1, 1, -1, 0), "none"),
    ("Adaptability", (1, 2, 1, 1, 1), "none"),
    ("Leadership engagement", (1, 0, 1, 0, 1), "none"),
    ("Learning climate", (1, 1, M, M, 1), "none"),
    ("Cost", ("X", 0, -1, -2, M), "insufficient"),
]


@pytest.mark.parametrize("construct,ratings,verdict", TABLE_2, ids=[row[0] for row in TABLE_2])
def test_published_example(construct, ratings, verdict):
    result = distinguishes(dict(enumerate(ratings, start=1)), GROUPS)
    assert result.strength == verdict, construct


def test_gap_direction_and_what_was_left_out():
    result = distinguishes({1: 1, 2: "X", 3: -2, 4: None}, {1: "high", 2: "high", 3: "low", 4: "low"})
    assert (result.strength, result.gap, result.direction) == ("strong", 3, "high")
    assert result.high == (1,) and result.low == (-2,) and result.left_out == 2
    reverse = distinguishes({"a": -2, "b": -1, "c": 0}, {"a": "high", "b": "high", "c": "low"})
    assert (reverse.strength, reverse.gap, reverse.direction) == ("weak", 1, "low")
    overlap = distinguishes({"a": 2, "b": -1, "c": 0}, {"a": "high", "b": "high", "c": "low"})
    assert (overlap.strength, overlap.gap, overlap.direction) == ("none", 0, None)


def test_clinics_outside_the_groups_are_ignored():
    result = distinguishes({"a": 2, "b": -2, "c": 2}, {"a": "high", "b": "low"})
    assert result.strength == "strong" and result.gap == 4


@pytest.mark.parametrize("ratings,groups,message", [
    ({"a": 3}, {"a": "high"}, "rating 3"),
    ({"a": "1"}, {"a": "high"}, "rating '1'"),
    ({"a": True}, {"a": "high"}, "rating True"),
    ({"a": 1}, {"a": "medium"}, "group 'medium'"),
])
def test_bad_input_names_the_clinic(ratings, groups, message):
    with pytest.raises(DistinguishingInputError, match=message):
        distinguishes(ratings, groups)


def test_a_distinction_resting_on_one_clinic_says_so():
    """Issue 12 item 9: the published Table 2 has one low-implementation unit, so each of its "strong" verdicts rests
    on that one unit and is labelled so; with two clinics in each group it is plainly "strongly distinguishing"."""
    one_low = distinguishes(dict(enumerate((2, 2, 2, 2, -1), start=1)), GROUPS)
    assert one_low.strength == "strong" and one_low.rests_on_one
    assert one_low.label == ("strongly distinguishing, rests on one low-implementation clinic: needs at least two "
                             "clinics in each group to show a consistent difference")
    two_each = distinguishes({"a": 2, "b": 2, "c": -1, "d": 0}, {"a": "high", "b": "high", "c": "low", "d": "low"})
    assert two_each.strength == "strong" and not two_each.rests_on_one and two_each.label == "strongly distinguishing"
    # a mixed rating leaves one numeric rating in a group of two: it rests on one again
    mixed = distinguishes({"a": 2, "b": "X", "c": -1, "d": 0}, {"a": "high", "b": "high", "c": "low", "d": "low"})
    assert mixed.rests_on_one and "one high-implementation clinic" in mixed.caveat
    none = distinguishes({"a": 1, "c": 1}, {"a": "high", "c": "low"})
    assert not none.rests_on_one and none.caveat is None and none.label == "does not distinguish"
