"""Tests for qualitative.rating_agreement: weighted kappa vs sklearn, ordinal/interval alpha vs Krippendorff (2011)."""

import random

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from qualitative.rating_agreement import (
    AlphaInputError,
    RatingInputError,
    krippendorff_alpha,
    quadratic_weighted_kappa,
)

# Krippendorff (2011), section C: 4 observers x 12 units with missing values.
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _as_array(rows):
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_alpha_paper_example(level, published):
    ours = krippendorff_alpha(PAPER, level=level)
    assert ours == pytest.approx(published, abs=5e-4)  # source: Krippendorff (2011)
    assert ours == pytest.approx(
        krippendorff.alpha(reliability_data=_as_array(PAPER), level_of_measurement=level)
    )  # source: krippendorff package


def test_alpha_random_ratings_vs_package():
    rng = random.Random(11)
    for _ in range(25):
        rows = [[rng.choice([None, -2, -1, 0, 1, 2]) for _ in range(rng.randint(4, 20))]]
        rows += [[v if (v is None or rng.random() < 0.7) else rng.choice([-2, -1, 0, 1, 2]) for v in rows[0]]
                 for _ in range(rng.randint(1, 3))]
        for level in ("ordinal", "interval"):
            ours = krippendorff_alpha(rows, level=level)
            try:
                theirs = krippendorff.alpha(reliability_data=_as_array(rows), level_of_measurement=level)
            except ValueError:
                continue
            if ours is None or np.isnan(theirs):
                continue
            assert ours == pytest.approx(theirs)


def test_alpha_bad_input():
    with pytest.raises(AlphaInputError, match="at least 2 coders"):
        krippendorff_alpha([[1, 2]], level="ordinal")
    with pytest.raises(AlphaInputError, match="coder 1 has 1 units"):
        krippendorff_alpha([[1, 2], [1]], level="ordinal")
    with pytest.raises(AlphaInputError, match=r"coder 0, unit 1: ordinal alpha needs numbers"):
        krippendorff_alpha([[1, "X"], [1, 2]], level="ordinal")
    with pytest.raises(AlphaInputError, match="level must be one of"):
        krippendorff_alpha([[1], [1]], level="ratio")


def test_quadratic_weighted_kappa_vs_sklearn():
    rng = random.Random(5)
    cats = [-2, -1, 0, 1, 2]
    for _ in range(30):
        n = rng.randint(3, 40)
        a = [rng.choice(cats) for _ in range(n)]
        b = [max(-2, min(2, v + rng.choice([-1, 0, 0, 1]))) for v in a]
        ours = quadratic_weighted_kappa(a, b)
        if ours is None:
            continue
        theirs = cohen_kappa_score(a, b, labels=cats, weights="quadratic")  # source: scikit-learn
        assert ours == pytest.approx(theirs)


def test_quadratic_weighted_kappa_hand():
    # a = [-2, 0, 2], b = [-1, 0, 2]; ranks a = [0, 2, 4], b = [1, 2, 4]; w = (i-j)^2 / 16.
    # observed: sum w*O = (1/16) * (1/3) = 1/48 (only the first pair differs, by one step)
    # expected: marginals 1/3 each; sum w*E = (1/9) * sum_{i in {0,2,4}, j in {1,2,4}} (i-j)^2 / 16
    #   (i-j)^2: i=0 -> 1, 4, 16; i=2 -> 1, 0, 4; i=4 -> 9, 4, 0; total 39 -> 39 / 144
    # kappa = 1 - (1/48) / (39/144) = 1 - 3/39 = 12/13
    assert quadratic_weighted_kappa([-2, 0, 2], [-1, 0, 2]) == pytest.approx(12 / 13)


def test_quadratic_weighted_kappa_edges():
    assert quadratic_weighted_kappa([1, 1], [1, 1]) is None
    assert quadratic_weighted_kappa([-2, 2, 0], [-2, 2, 0]) == pytest.approx(1.0)
    with pytest.raises(RatingInputError, match=r"b\[1\] = 3 is not one of the categories"):
        quadratic_weighted_kappa([0, 1], [0, 3])
    with pytest.raises(RatingInputError, match="2 ratings vs 1"):
        quadratic_weighted_kappa([0, 1], [0])
    assert quadratic_weighted_kappa(["low", "high"], ["low", "high"], categories=["low", "mid", "high"]) == 1


def test_weighted_kappa_bootstrap_ci_against_sklearn_on_the_same_resamples():
    """Issue 12 item 5: the bootstrap CI of the quadratic-weighted kappa equals the percentiles of sklearn's
    cohen_kappa_score(weights="quadratic") over the same seeded resamples (numpy default_rng(seed).integers), to
    1e-9; resamples with one category throughout are left out and counted."""
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    from qualitative.rating_agreement import weighted_kappa_bootstrap_ci

    a = [2, 1, 0, -1, 1, 2, 0, 0, -2, 1, 1, 2]
    b = [2, 1, 1, -1, 0, 2, 0, -1, -2, 1, 2, 1]
    result = weighted_kappa_bootstrap_ci(a, b, resamples=500, seed=7)
    draws = np.random.default_rng(7).integers(0, len(a), size=(500, len(a)))
    values = []
    for idx in draws:
        x, y = [a[i] for i in idx], [b[i] for i in idx]
        if len(set(x) | set(y)) > 1:
            values.append(cohen_kappa_score(x, y, labels=[-2, -1, 0, 1, 2], weights="quadratic"))
    low, high = np.quantile(values, [0.025, 0.975])
    assert result["ci_low"] == pytest.approx(low, abs=1e-9) and result["ci_high"] == pytest.approx(high, abs=1e-9)
    assert result["undefined"] == 500 - len(values)
    assert weighted_kappa_bootstrap_ci(a, b, resamples=500, seed=7) == result  # seeded: reproducible
