import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from implementation_outcomes.errors import ICCInputError
from implementation_outcomes.icc import icc, koo_li_band

# Shrout & Fleiss (1979) Table 2: 6 targets x 4 judges
SF = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


@pytest.mark.parametrize(
    ("form", "published"),
    [("ICC(1,1)", 0.17), ("ICC(2,1)", 0.29), ("ICC(3,1)", 0.71),
     ("ICC(1,k)", 0.44), ("ICC(2,k)", 0.62), ("ICC(3,k)", 0.91)],
)
def test_shrout_fleiss_table(form, published):
    # Shrout & Fleiss 1979, Table 4 (values for the Table 2 data)
    assert round(icc(SF, form)["value"], 2) == published


def test_nag_example_ci_and_f_test():
    # NAG Library g04gac example results (Shrout & Fleiss data, one-way model):
    # ICC .17, 95% CI -0.13 .. 0.72, F 1.79, df 5 and 18, p .165
    r = icc(SF, "ICC(1,1)")
    assert (round(r["ci_low"], 2), round(r["ci_high"], 2)) == (-0.13, 0.72)
    assert round(r["F"], 2) == 1.79 and (r["df1"], r["df2"]) == (5, 18) and round(r["p"], 3) == 0.165


def test_names_and_bands():
    r = icc(SF, "ICC(A,1)")
    assert r["form"] == "ICC(2,1)" and r["model"] == "two-way random" and r["type"] == "absolute agreement"
    assert icc(SF, "ICC(C,1)")["mcgraw_wong"] == "ICC(C,1)"
    assert icc(SF, "ICC(3,k)")["band"] == "excellent"
    assert [koo_li_band(v) for v in (0.49, 0.5, 0.75, 0.9, 0.91)] == ["poor", "moderate", "good", "good", "excellent"]
    with pytest.raises(ICCInputError, match="form"):
        icc(SF, "ICC(4,1)")


def test_against_statsmodels_anova():
    rng = np.random.default_rng(3)
    true = rng.normal(3, 1, 15)
    matrix = np.column_stack([true + rng.normal(0, 0.5, 15) + bias for bias in (0, 0.4, -0.2)])
    n, k = matrix.shape
    long = pd.DataFrame([(i, j, matrix[i, j]) for i in range(n) for j in range(k)], columns=["t", "r", "y"])
    table = anova_lm(smf.ols("y ~ C(t) + C(r)", data=long).fit())
    ms = table["sum_sq"] / table["df"]
    msr, msc, mse = ms["C(t)"], ms["C(r)"], ms["Residual"]
    oneway = anova_lm(smf.ols("y ~ C(t)", data=long).fit())
    msw = oneway.loc["Residual", "sum_sq"] / oneway.loc["Residual", "df"]
    assert icc(matrix, "ICC(1,1)")["value"] == pytest.approx((msr - msw) / (msr + (k - 1) * msw))
    assert icc(matrix, "ICC(2,1)")["value"] == pytest.approx(
        (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n))
    assert icc(matrix, "ICC(3,1)")["value"] == pytest.approx((msr - mse) / (msr + (k - 1) * mse))


def test_ci_contains_estimate_and_bad_input():
    for form in ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(2,k)"):
        r = icc(SF, form)
        assert r["ci_low"] < r["value"] < r["ci_high"]
    with pytest.raises(ICCInputError, match="row 1, column 2: missing"):
        icc([[1, 2, 3], [2, 3, float("nan")]])
    with pytest.raises(ICCInputError, match="at least 2 sessions"):
        icc([[1, 2]])


def _pingouin_icc(matrix):
    """pingouin.intraclass_corr (Vallat 2018) at full precision: its CIs are rounded to 2 decimals by default."""
    pg = pytest.importorskip("pingouin", reason="pingouin (dev dependency) is the independent ICC reference")
    n, k = matrix.shape
    long = pd.DataFrame([(i, j, matrix[i, j]) for i in range(n) for j in range(k)], columns=["t", "r", "y"])
    saved = pg.options.get("round.column.CI95%")
    pg.options["round.column.CI95%"] = None
    try:
        return pg.intraclass_corr(long, "t", "r", "y").set_index("Type")
    finally:
        pg.options["round.column.CI95%"] = saved


@pytest.mark.parametrize("seed", range(8))
def test_every_form_and_its_ci_against_pingouin(seed):
    """McGraw & Wong 1996 CIs (F-based; Satterthwaite df for ICC(A,1)) equal pingouin's to 1e-9."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 40)), int(rng.integers(2, 5))
    true = rng.normal(3, 1, n)
    matrix = np.column_stack([true + rng.normal(0, rng.uniform(0.2, 1.5), n) + rng.normal(0, 0.4) for _ in range(k)])
    reference = _pingouin_icc(matrix)
    for form, name in (("ICC(1,1)", "ICC1"), ("ICC(2,1)", "ICC2"), ("ICC(3,1)", "ICC3"), ("ICC(1,k)", "ICC1k"),
                       ("ICC(2,k)", "ICC2k"), ("ICC(3,k)", "ICC3k")):
        ours = icc(matrix, form)
        low, high = reference.loc[name, "CI95%"]
        assert ours["value"] == pytest.approx(reference.loc[name, "ICC"], abs=1e-9), form
        assert (ours["ci_low"], ours["ci_high"]) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9)), form


def test_band_read_from_the_ci():
    # Koo & Li 2016: report the bands the 95 % CI spans; by hand from the cut points .50 / .75 / .90
    from implementation_outcomes.icc import koo_li_ci_band

    assert koo_li_ci_band(0.42, 0.71) == "poor to moderate"
    assert koo_li_ci_band(0.76, 0.88) == "good"
    assert koo_li_ci_band(0.2, 0.95) == "poor to excellent"
    assert koo_li_ci_band(None, 0.8) is None
