"""rwg, rwg(j), ICC(1), ICC(2) and clinic summaries (readiness/aggregation.py), against hand arithmetic and
independent implementations (statsmodels OLS ANOVA, scipy f_oneway, numpy variances)."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from readiness.aggregation import (
    AggregationError,
    clinic_summary,
    icc1,
    icc2,
    iccs,
    one_way_anova,
    rwg,
    rwg_j,
    summarise_groups,
    uniform_null_variance,
)

# one clinic, 4 respondents x 3 items on a 5-point scale
CLINIC = [[4, 5, 3], [5, 5, 4], [4, 4, 4], [3, 4, 5]]


def test_uniform_null_variance():
    # (A^2 - 1) / 12: 5 options -> 24/12 = 2.0 (R multilevel ranvar=2); 7 options -> 48/12 = 4.0
    assert uniform_null_variance(5) == 2.0
    assert uniform_null_variance(7) == 4.0
    with pytest.raises(AggregationError, match="at least 2"):
        uniform_null_variance(1)


def test_rwg_single_item_by_hand():
    # item 1 = 4,5,4,3: mean 4, squared deviations 0+1+0+1 = 2, s^2 = 2/3; rwg = 1 - (2/3)/2 = 2/3
    assert rwg([4, 5, 4, 3], 5) == pytest.approx(2 / 3)
    # None is missing: same as above
    assert rwg([4, 5, None, 4, 3], 5) == pytest.approx(2 / 3)
    # 1,5,1,5: s^2 = 16/3 > 2 -> truncated to 0 (James, Demaree & Wolf 1984)
    assert rwg([1, 5, 1, 5], 5) == 0.0
    assert math.isnan(rwg([4], 5))


def test_rwg_j_by_hand():
    # item variances: [4,5,4,3] 2/3; [5,5,4,4] 1/3; [3,4,4,5] 2/3 -> mean_s2 = 5/9; ratio = (5/9)/2 = 5/18
    # rwg(j) = 3(1 - 5/18) / (3(1 - 5/18) + 5/18) = (39/18) / (44/18) = 39/44
    assert rwg_j(CLINIC, 5) == pytest.approx(39 / 44)
    # same figure from numpy's own variance (independent of our two-pass group moments)
    mean_s2 = np.var(np.array(CLINIC, float), axis=0, ddof=1).mean()
    assert mean_s2 == pytest.approx(5 / 9)


def test_rwg_j_truncation_and_listwise_deletion():
    # item variances 16/3 and 0 -> mean_s2 = 8/3 > 2 -> 0, as R multilevel::rwg.j (ranvar=2) does
    assert rwg_j([[1, 3], [5, 3], [1, 3], [5, 3]], 5) == 0.0
    # a respondent with a missing item is dropped entirely (R: na.exclude on the item matrix)
    assert rwg_j([*CLINIC, [1, None, 1]], 5) == pytest.approx(39 / 44)
    assert math.isnan(rwg_j([[4, 4], [None, 3]], 5))


# three clinics, unequal sizes
SCORES = [1, 2, 3, 4, 5, 6, 7]
GROUPS = ["a", "a", "a", "b", "b", "c", "c"]


def test_one_way_anova_by_hand():
    # means a 2, b 4.5, c 6.5; grand mean 28/7 = 4
    # SSB = 3(2-4)^2 + 2(4.5-4)^2 + 2(6.5-4)^2 = 12 + 0.5 + 12.5 = 25 -> MSB = 25/2 = 12.5
    # SSW = (1+0+1) + (0.25+0.25) + (0.25+0.25) = 3 -> MSW = 3/4 = 0.75
    # k = (7 - (9+4+4)/7) / 2 = (32/7)/2 = 16/7
    a = one_way_anova(SCORES, GROUPS)
    assert a["msb"] == pytest.approx(12.5) and a["msw"] == pytest.approx(0.75)
    assert a["k"] == pytest.approx(16 / 7)
    # ICC(1) = (12.5 - .75) / (12.5 + (16/7 - 1) .75) = 11.75 / 13.4642857...
    assert icc1(SCORES, GROUPS) == pytest.approx(11.75 / (12.5 + (9 / 7) * 0.75))
    # ICC(2) = 11.75 / 12.5 = 0.94
    assert icc2(SCORES, GROUPS) == pytest.approx(0.94)


def test_anova_against_statsmodels_and_scipy():
    rng = np.random.default_rng(11)
    sizes = [3, 8, 5, 12, 6]
    groups = np.repeat([f"c{i}" for i in range(5)], sizes)
    scores = rng.normal(3.5, 0.6, groups.size) + np.repeat(rng.normal(0, 0.4, 5), sizes)
    ours = one_way_anova(scores, groups)
    table = sm.stats.anova_lm(smf.ols("y ~ C(g)", data=pd.DataFrame({"y": scores, "g": groups})).fit())
    assert ours["msb"] == pytest.approx(table["mean_sq"].iloc[0])
    assert ours["msw"] == pytest.approx(table["mean_sq"].iloc[1])
    f_stat = stats.f_oneway(*[scores[groups == g] for g in np.unique(groups)]).statistic
    assert ours["msb"] / ours["msw"] == pytest.approx(f_stat)
    # NaN scores are dropped before the ANOVA
    with_nan = np.append(scores, np.nan)
    assert one_way_anova(with_nan, np.append(groups, "c0"))["msb"] == pytest.approx(ours["msb"])


def test_icc1_group_size_conventions():
    # R multilevel::ICC1 uses mean group size N/G; equal to k0 for balanced groups, different otherwise
    balanced_scores, balanced_groups = [1, 2, 3, 3, 4, 5], ["a"] * 3 + ["b"] * 3
    assert icc1(balanced_scores, balanced_groups) == pytest.approx(icc1(balanced_scores, balanced_groups, "mean"))
    # unequal: N/G = 7/3 vs k0 = 16/7 -> ICC(1) = 11.75 / (12.5 + (4/3) .75) with the R convention
    assert icc1(SCORES, GROUPS, "mean") == pytest.approx(11.75 / (12.5 + (4 / 3) * 0.75))
    assert icc1(SCORES, GROUPS, "mean") != pytest.approx(icc1(SCORES, GROUPS))
    assert math.isnan(icc1([1, 2, 3], ["a", "a", "a"]))


def test_summarise_groups_matches_per_group_functions():
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 6, 90)
    items = rng.integers(1, 6, (90, 4)).astype(float)
    items[rng.random(items.shape) < 0.05] = np.nan
    scores = np.nanmean(items, axis=1)
    s = summarise_groups(scores, groups, items, 5)
    for i, g in enumerate(s["labels"]):
        mine = groups == g
        assert s["n"][i] == mine.sum()
        assert s["mean"][i] == pytest.approx(scores[mine].mean())
        assert s["sd"][i] == pytest.approx(np.std(scores[mine], ddof=1))
        assert s["rwg_j"][i] == pytest.approx(rwg_j(items[mine], 5))


def test_clinic_summary_flags_and_suppression():
    out = clinic_summary(
        {"A": [4.0, 4.75, 4.0, 4.0], "B": [3.0, None], "C": [1.0, 5.0, 1.0, 5.0]},
        {"A": CLINIC, "B": [[3, 3, 3], [2, 2, None]], "C": [[1, 1, 1], [5, 5, 5], [1, 1, 1], [5, 5, 5]]}, 5)
    # A: mean (4 + 4.75 + 4 + 4)/4 = 4.1875; rwg(j) 39/44 as above
    assert out["A"]["n"] == 4 and out["A"]["mean"] == pytest.approx(4.1875)
    assert out["A"]["sd"] == pytest.approx(np.std([4, 4.75, 4, 4], ddof=1))
    assert out["A"]["rwg_j"] == pytest.approx(39 / 44) and out["A"]["flags"] == []
    # B: one scored respondent -> mean not reported
    assert out["B"]["n"] == 1 and out["B"]["mean"] is None and out["B"]["suppressed"]
    assert "n_below_3" in out["B"]["flags"]
    # C: every item variance 16/3 > 2 -> rwg(j) 0 -> flagged, mean still shown
    assert out["C"]["mean"] == pytest.approx(3.0) and out["C"]["rwg_j"] == 0.0
    assert out["C"]["low_agreement"] and out["C"]["flags"] == ["low_agreement"]
    with pytest.raises(AggregationError, match="clinic A: 4 scores but 3 item rows"):
        clinic_summary({"A": [4.0, 4.75, 4.0, 4.0]}, {"A": CLINIC[:3]}, 5)


def test_iccs_in_one_pass_and_degenerate_cases():
    both = iccs(SCORES, GROUPS)
    assert both["icc1"] == pytest.approx(icc1(SCORES, GROUPS)) and both["icc2"] == pytest.approx(0.94)
    assert both["msb"] == pytest.approx(12.5)
    # identical group means: MSB = 0 -> ICC(2) undefined (nan), no ZeroDivisionError
    flat = iccs([1, 1, 1, 1], ["a", "a", "b", "b"])
    assert math.isnan(flat["icc2"]) and math.isnan(flat["icc1"])


# --- issue 12 item 5: ICC(1)/ICC(2) of readiness carry a CI ---------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_icc_intervals_against_pingouin_on_equal_groups(seed):
    """With equal group sizes, ICC(1) and ICC(2) (Bliese 2000) are pingouin's one-way ICC1 and ICC1k (groups as
    targets, members as raters), and their F-based 95% CIs equal pingouin's (full precision) to 1e-9."""
    pg = pytest.importorskip("pingouin", reason="pingouin (dev dependency) is the independent ICC reference")
    import pandas as pd

    from readiness.aggregation import icc_intervals, iccs

    rng = np.random.default_rng(seed)
    n_groups, size = int(rng.integers(3, 12)), int(rng.integers(3, 8))
    effects = rng.normal(0, 0.6, n_groups)
    scores = [3 + effects[g] + rng.normal(0, 0.8) for g in range(n_groups) for _ in range(size)]
    groups = [g for g in range(n_groups) for _ in range(size)]
    result = iccs(scores, groups)
    ci = icc_intervals(result, result["k"])
    long = pd.DataFrame({"target": groups, "rater": [i % size for i in range(len(scores))], "y": scores})
    saved = pg.options.get("round.column.CI95%")
    pg.options["round.column.CI95%"] = None
    try:
        ref = pg.intraclass_corr(long, "target", "rater", "y").set_index("Type")
    finally:
        pg.options["round.column.CI95%"] = saved
    assert result["icc1"] == pytest.approx(ref.loc["ICC1", "ICC"], abs=1e-9)
    assert result["icc2"] == pytest.approx(ref.loc["ICC1k", "ICC"], abs=1e-9)
    assert (ci["icc1_ci_low"], ci["icc1_ci_high"]) == (pytest.approx(ref.loc["ICC1", "CI95%"][0], abs=1e-9),
                                                       pytest.approx(ref.loc["ICC1", "CI95%"][1], abs=1e-9))
    assert (ci["icc2_ci_low"], ci["icc2_ci_high"]) == (pytest.approx(ref.loc["ICC1k", "CI95%"][0], abs=1e-9),
                                                       pytest.approx(ref.loc["ICC1k", "CI95%"][1], abs=1e-9))


def test_icc_intervals_unequal_groups_f_test_against_statsmodels():
    """Unequal groups: the F and its degrees of freedom behind the CI equal statsmodels' one-way ANOVA, and the CI
    brackets the estimate; fewer than 5 clinics carry a plain warning."""
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    from readiness.aggregation import icc_intervals, iccs
    from readiness.surveys.results import Observation, across_groups

    rng = np.random.default_rng(4)
    sizes = [3, 5, 8, 4]
    groups = [g for g, n in enumerate(sizes) for _ in range(n)]
    scores = [3 + 0.5 * g + rng.normal(0, 0.7) for g in groups]
    result = iccs(scores, groups)
    table = anova_lm(smf.ols("y ~ C(g)", data=pd.DataFrame({"y": scores, "g": groups})).fit())
    assert result["msb"] / result["msw"] == pytest.approx(table.loc["C(g)", "F"], abs=1e-9)
    assert (result["df_between"], result["df_within"]) == (table.loc["C(g)", "df"], table.loc["Residual", "df"])
    ci = icc_intervals(result, result["k"])
    assert ci["icc1_ci_low"] < result["icc1"] < ci["icc1_ci_high"]
    assert ci["icc2_ci_low"] < result["icc2"] < ci["icc2_ci_high"]
    summary = across_groups([Observation(group=str(g), score=s, items=()) for g, s in zip(groups, scores, strict=True)])
    assert summary["icc1_ci_low"] == pytest.approx(ci["icc1_ci_low"], abs=1e-12)
    assert summary["warning"].startswith("from 4 clinics only")
