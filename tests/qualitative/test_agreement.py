"""Tests for qualitative.agreement: NVivo character level by hand, kappa vs sklearn, alpha vs the paper."""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from qualitative.agreement import (
    AgreementInputError,
    char_level,
    cohen_kappa,
    cohen_kappa_table,
    disagreements,
    krippendorff_alpha_nominal,
    krippendorff_band,
    landis_koch_band,
    merge_spans,
    pooled_char_level,
    pooled_kappa,
    unit_agreement,
    unit_presence,
)

# --------------------------------------------------------------------------- character level, by hand


def test_char_level_hand_computed():
    # N = 100. Coder A: (0,30)+(20,40) merge to (0,40) -> A = 40. Coder B: (10,50) -> B = 40.
    # both = 10..40 = 30; union = 40 + 40 - 30 = 50; neither = 100 - 50 = 50.
    # po = (30 + 50) / 100 = 0.80
    # pe = (40*40 + 60*60) / 100^2 = (1600 + 3600) / 10000 = 0.52
    # kappa = (0.80 - 0.52) / (1 - 0.52) = 0.28 / 0.48 = 0.583333...
    # agreement on coded text = 30 / 50 = 0.60
    r = char_level(100, [(0, 30), (20, 40)], [(10, 50)])
    assert (r["n"], r["A"], r["B"], r["both"], r["neither"]) == (100, 40, 40, 30, 50)
    assert r["po"] == pytest.approx(0.80)
    assert r["pe"] == pytest.approx(0.52)
    assert r["kappa"] == pytest.approx(0.28 / 0.48)
    assert r["agreement_on_coded"] == pytest.approx(0.60)


def test_char_level_disjoint_codings_negative_kappa():
    # N = 10, A = (0,5) -> 5, B = (5,10) -> 5, both = 0, neither = 0.
    # po = 0 / 10 = 0; pe = (5*5 + 5*5) / 100 = 0.5; kappa = (0 - 0.5) / 0.5 = -1
    r = char_level(10, [(0, 5)], [(5, 10)])
    assert r["po"] == 0 and r["pe"] == pytest.approx(0.5) and r["kappa"] == pytest.approx(-1.0)
    assert r["agreement_on_coded"] == 0


def test_char_level_na_when_pe_is_one():
    # Neither coder coded anything: A = B = 0 -> pe = (0 + N*N) / N^2 = 1 -> kappa "n/a" (None).
    r = char_level(50, [], [])
    assert r["pe"] == 1 and r["kappa"] is None and r["po"] == 1 and r["agreement_on_coded"] is None
    # Both coded everything: A = B = N -> pe = (N*N + 0) / N^2 = 1.
    assert char_level(50, [(0, 50)], [(0, 50)])["kappa"] is None


def test_char_level_bad_input():
    with pytest.raises(AgreementInputError, match=r"spans_b\[1\].*ends past the document length 20"):
        char_level(20, [(0, 5)], [(0, 5), (10, 25)])
    with pytest.raises(AgreementInputError, match=r"spans_a\[0\].*0 <= start <= end"):
        char_level(20, [(8, 5)], [])
    with pytest.raises(AgreementInputError, match="doc_length"):
        char_level(0, [], [])
    with pytest.raises(AgreementInputError, match=r"spans_a\[0\]: expected a \(start, end\) pair"):
        char_level(20, [("x",)], [])


def test_pooled_char_level_sums_characters():
    # doc 1 as in test_char_level_hand_computed: N=100, A=40, B=40, both=30.
    # doc 2: N=50, A=(0,10) -> 10, B=0, both=0.
    # Sums: N=150, A=50, B=40, both=30; union=60; neither=90.
    # po = (30 + 90) / 150 = 0.8; pe = (50*40 + 100*110) / 150^2 = 13000 / 22500 = 0.5777...
    # kappa = (0.8 - 13/22.5) / (1 - 13/22.5) = (2/9) / (19/45) = 10/19
    r = pooled_char_level([char_level(100, [(0, 40)], [(10, 50)]), char_level(50, [(0, 10)], [])])
    assert (r["n"], r["A"], r["B"], r["both"]) == (150, 50, 40, 30)
    assert r["po"] == pytest.approx(0.8)
    assert r["pe"] == pytest.approx(13000 / 22500)
    assert r["kappa"] == pytest.approx(10 / 19)
    assert r["agreement_on_coded"] == pytest.approx(0.5)
    with pytest.raises(AgreementInputError, match=r"results\[0\]: missing key 'A'"):
        pooled_char_level([{"n": 3}])


def test_merge_spans():
    assert merge_spans([(5, 8), (0, 3), (3, 4), (7, 9), (10, 10)]) == [(0, 4), (5, 9)]


# --------------------------------------------------------------------------- unit level


TURNS = [(0, 10), (10, 20), (20, 30), (30, 40)]


def test_unit_presence_overlap_rule():
    assert unit_presence(TURNS, [(5, 10), (25, 31)]) == [True, False, True, True]
    assert unit_presence(TURNS, [(10, 10)]) == [False] * 4  # empty coding overlaps nothing
    assert unit_presence(TURNS, [(9, 11)]) == [True, True, False, False]
    assert unit_presence(TURNS, []) == [False] * 4
    with pytest.raises(AgreementInputError, match=r"turns\[1\]"):
        unit_presence([(0, 5), (7, 3)], [])


def test_disagreements_lists_differing_units():
    d = disagreements(TURNS, [(0, 5), (22, 24)], [(1, 2), (31, 33)])
    assert d == [
        {"unit": 2, "start": 20, "end": 30, "coder_a": True, "coder_b": False},
        {"unit": 3, "start": 30, "end": 40, "coder_a": False, "coder_b": True},
    ]


def test_unit_agreement_counts_and_kappa():
    # presence A = [T, F, T, F], B = [T, F, F, T]: po = 2/4 = 0.5;
    # p_A(T) = .5, p_B(T) = .5 -> pe = .5*.5 + .5*.5 = .5; kappa = 0
    r = unit_agreement(TURNS, [(0, 5), (22, 24)], [(1, 2), (31, 33)])
    assert (r["both"], r["a_only"], r["b_only"], r["neither"]) == (1, 1, 1, 1)
    assert r["po"] == 0.5 and r["pe"] == 0.5 and r["kappa"] == 0


def test_cohen_kappa_matches_sklearn():
    rng = random.Random(7)
    for _ in range(30):
        n = rng.randint(5, 60)
        x = [rng.choice("abc") for _ in range(n)]
        y = [v if rng.random() < 0.6 else rng.choice("abc") for v in x]
        ours = cohen_kappa(x, y)
        if ours is None:
            continue
        assert ours == pytest.approx(cohen_kappa_score(x, y))  # source: scikit-learn


def test_cohen_kappa_undefined_and_errors():
    assert cohen_kappa([True] * 5, [True] * 5) is None  # pe = 1
    with pytest.raises(AgreementInputError, match="3 labels vs 2"):
        cohen_kappa([1, 2, 3], [1, 2])
    with pytest.raises(AgreementInputError, match=r"y\[1\] is missing"):
        cohen_kappa([1, 2], [1, None])
    with pytest.raises(AgreementInputError, match="empty"):
        cohen_kappa([], [])


def test_pooled_kappa_de_vries():
    # Code 1: po .8, pe .52; code 2: po .9, pe .5. Mean po = .85, mean pe = .51.
    # pooled = (.85 - .51) / (1 - .51) = .34 / .49
    assert pooled_kappa([{"po": 0.8, "pe": 0.52}, {"po": 0.9, "pe": 0.5}]) == pytest.approx(0.34 / 0.49)
    tables = [cohen_kappa_table([1, 0, 1, 1], [1, 0, 0, 1])]
    assert pooled_kappa(tables) == pytest.approx(cohen_kappa([1, 0, 1, 1], [1, 0, 0, 1]))
    assert pooled_kappa([{"po": 1.0, "pe": 1.0}]) is None
    with pytest.raises(AgreementInputError, match="no per-code results"):
        pooled_kappa([])


# --------------------------------------------------------------------------- Krippendorff's alpha (nominal)

# Krippendorff (2011) "Computing Krippendorff's alpha-reliability", section C: 4 observers x 12 units,
# missing values; published nominal alpha = 0.743.
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_alpha_nominal_paper_example():
    assert krippendorff_alpha_nominal(PAPER) == pytest.approx(0.743, abs=5e-4)
    import krippendorff

    data = np.array([[np.nan if v is None else v for v in r] for r in PAPER], dtype=float)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert krippendorff_alpha_nominal(PAPER) == pytest.approx(expected)  # source: krippendorff package


def test_alpha_nominal_random_vs_package():
    import krippendorff

    rng = random.Random(3)
    for _ in range(20):
        coders, units = rng.randint(2, 5), rng.randint(3, 25)
        rows = [[rng.choice([None, 0, 1, 2, 2, 1]) for _ in range(units)] for _ in range(coders)]
        ours = krippendorff_alpha_nominal(rows)
        data = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)
        try:
            theirs = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        except ValueError:  # the package refuses data with fewer than 2 distinct values
            theirs = None
        if ours is None or theirs is None or math.isnan(theirs):
            continue
        assert ours == pytest.approx(theirs)


def test_alpha_nominal_accepts_labels_and_undefined():
    assert krippendorff_alpha_nominal([["x", "y", "x"], ["x", "y", "x"]]) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([["x", "x"], ["x", "x"]]) is None  # one value: D_e = 0
    assert krippendorff_alpha_nominal([["x", None], [None, "y"]]) is None  # nothing pairable


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("kappa", "band"),
    [(None, "n/a"), (-0.1, "poor"), (0.0, "slight"), (0.2, "slight"), (0.21, "fair"), (0.4, "fair"),
     (0.5, "moderate"), (0.61, "substantial"), (0.8, "substantial"), (0.81, "almost perfect"), (1.0, "almost perfect")],
)
def test_landis_koch_band(kappa, band):
    assert landis_koch_band(kappa) == band


@pytest.mark.parametrize(
    ("alpha", "band"),
    [(None, "n/a"), (0.80, "reliable"), (0.95, "reliable"), (0.799, "tentative"), (0.667, "tentative"),
     (0.666, "unreliable"), (-0.2, "unreliable")],
)
def test_krippendorff_band(alpha, band):
    assert krippendorff_band(alpha) == band


# --------------------------------------------------------------------------- properties

labels = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_kappa_properties(data):
    x = data.draw(labels)
    y = data.draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=len(x), max_size=len(x)))
    k = cohen_kappa(x, y)
    assert k == cohen_kappa(y, x) or (k is not None and k == pytest.approx(cohen_kappa(y, x)))
    if k is not None:
        assert -1 - 1e-12 <= k <= 1 + 1e-12
    same = cohen_kappa(x, x)
    assert same is None or same == pytest.approx(1.0)


spans = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)).map(lambda t: (min(t), max(t))), max_size=6)


@settings(max_examples=60, deadline=None)
@given(spans, spans)
def test_char_level_properties(a, b):
    r = char_level(60, a, b)
    s = char_level(60, b, a)
    assert r["po"] == s["po"] and r["pe"] == s["pe"] and r["kappa"] == s["kappa"]
    assert 0 <= r["po"] <= 1 and 0 <= r["pe"] <= 1
    assert r["both"] + r["neither"] <= r["n"]
    if r["kappa"] is not None:
        assert -1 - 1e-12 <= r["kappa"] <= 1 + 1e-12
    same = char_level(60, a, a)
    assert same["kappa"] is None or same["kappa"] == pytest.approx(1.0)
    # a brute-force character count agrees with the sweep
    ca = {i for s0, e0 in a for i in range(s0, e0)}
    cb = {i for s0, e0 in b for i in range(s0, e0)}
    assert (r["A"], r["B"], r["both"]) == (len(ca), len(cb), len(ca & cb))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from([None, 1, 2, 3]), min_size=6, max_size=6), min_size=2, max_size=4))
def test_alpha_properties(rows):
    a = krippendorff_alpha_nominal(rows)
    if a is not None:
        assert a <= 1 + 1e-12
        assert krippendorff_alpha_nominal(rows[::-1]) == pytest.approx(a)  # coder order does not matter


# --- issue 12 item 8: a kappa's CI, and a plain reading where the band would mislead -------------------------------
def _statsmodels_kappa(x, y):
    from statsmodels.stats.inter_rater import cohens_kappa

    labels = sorted(set(x) | set(y))
    table = np.zeros((len(labels), len(labels)))
    for u, v in zip(x, y, strict=True):
        table[labels.index(u), labels.index(v)] += 1
    return cohens_kappa(table)


@pytest.mark.parametrize("seed", range(20))
def test_kappa_ci_against_statsmodels(seed):
    """SE and Wald CI of Cohen's kappa (Fleiss, Cohen & Everitt 1969) equal statsmodels' cohens_kappa to 1e-9 (the
    CI clipped to [-1, 1], kappa's range), on 10-40 units with two or three labels."""
    from qualitative.agreement import cohen_kappa_table

    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(10, 41)), int(rng.integers(2, 4))
    x = rng.integers(0, k, n).tolist()
    y = [v if rng.random() < 0.7 else int(rng.integers(0, k)) for v in x]
    ours = cohen_kappa_table(x, y)
    if ours["kappa"] is None:
        pytest.skip("degenerate draw: one label throughout")
    ref = _statsmodels_kappa(x, y)
    assert ours["kappa"] == pytest.approx(ref.kappa, abs=1e-9)
    assert ours["se"] == pytest.approx(ref.std_kappa, abs=1e-9)
    assert ours["ci_low"] == pytest.approx(max(-1, ref.kappa_low), abs=1e-9)
    assert ours["ci_high"] == pytest.approx(min(1, ref.kappa_upp), abs=1e-9)
    assert ours["few_units"] == (n < 30)


def test_kappa_zero_from_one_coder_marking_one_turn_is_explained():
    from qualitative.agreement import unit_agreement

    turns = [(i * 10, i * 10 + 10) for i in range(12)]
    result = unit_agreement(turns, [(30, 35)], [])  # coder A marks turn 4 only; coder B never applies the code
    # by hand: po = 11/12, pe = (1/12)(0) + (11/12)(1) = 11/12, so kappa = 0
    assert result["kappa"] == pytest.approx(0.0, abs=1e-15)
    assert "only the first coder applied the code (1 of 12 turns)" in result["reading"]
    assert "chance agreement equals observed agreement (92%)" in result["reading"]


def test_few_turns_carry_the_ci_in_their_reading():
    from qualitative.agreement import unit_agreement

    turns = [(i * 10, i * 10 + 10) for i in range(11)]
    result = unit_agreement(turns, [(0, 5), (20, 25), (40, 45), (60, 65)], [(0, 5), (20, 25), (50, 55), (60, 65)])
    assert result["n"] == 11 and result["few_units"]
    assert f"Only 11 turns: 95% CI {result['ci_low']:.2f} to {result['ci_high']:.2f}" in result["reading"]
