"""Aim 1 and Aim 3b analyses against independent computations.

- Mixed model: on balanced data (every mother at every time point) the random-intercept model has closed forms:
  the GLS fixed effects equal OLS (the design's column space is invariant under the compound-symmetry covariance),
  REML variance components equal the ANOVA estimators (s2_e = within-mother residual mean square of a model with a
  fixed effect per mother; s2_u = (between-mother residual mean square - s2_e) / T; Searle, Casella & McCulloch
  1992, Variance Components, ch. 4), and Cov(beta) = (X' V^-1 X)^-1. statsmodels' REML fit must agree to 1e-6.
- GEE: with one clinic and complete data the mean model is saturated in arm x time, so the fitted probabilities are
  the observed proportions whatever the working correlation, and the odds ratio is computed by hand.
- Mediation: a, b, c', c by the covariance formulas (not least squares) and by statsmodels OLS.
- R lme4: the same model fitted by lme4::lmer (REML) where Rscript and lme4 exist.
"""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pytest

from implementation_outcomes.effectiveness import aim1, mediation

TPS = ["baseline", "end_of_treatment", "follow_up_3m"]


def balanced(n_mothers=40, seed=1, missing=0.0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_mothers):
        arm = "mio_tau" if i % 2 == 0 else "tau"
        clinic = "A" if (i // 2) % 2 == 0 else "B"
        u = rng.normal(0, 2)
        for j, t in enumerate(TPS):
            if j and rng.random() < missing:
                continue
            mu = 5 + (1.5 * j if arm == "mio_tau" else 0.5 * j) + (1 if clinic == "B" else 0)
            rows.append({"mother": i, "clinic": clinic, "arm": arm, "time_point": t, "value": mu + u + rng.normal(0, 1)})
    return rows


def closed_form(rows):
    exog, y, groups = aim1.design(rows, TPS)
    x = exog.to_numpy()
    mothers = sorted(set(groups))
    m, t = len(mothers), len(TPS)
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    subject = np.array([mothers.index(g) for g in groups])
    s = np.zeros((len(y), m))
    s[np.arange(len(y)), subject] = 1.0
    within = np.column_stack([s, exog[[c for c in exog.columns if "time" in c]].to_numpy()])
    resid = y - within @ np.linalg.lstsq(within, y, rcond=None)[0]
    s2e = resid @ resid / (len(y) - np.linalg.matrix_rank(within))
    means = np.array([y[subject == i].mean() for i in range(m)])
    between = np.column_stack([np.ones(m), [x[subject == i][0, 1] for i in range(m)],
                               [x[subject == i][0, -1] for i in range(m)]])
    rb = means - between @ np.linalg.lstsq(between, means, rcond=None)[0]
    s2u = rb @ rb / (m - between.shape[1]) - s2e / t
    v = np.kron(np.eye(m), s2e * np.eye(t) + s2u * np.ones((t, t)))
    cov = np.linalg.inv(x.T @ np.linalg.inv(v) @ x)
    return beta, cov, s2e, s2u


def test_mixed_model_equals_the_closed_form_on_balanced_data():
    rows = balanced()
    fit = aim1.fit_mixed(rows, TPS)
    beta, cov, s2e, s2u = closed_form(rows)
    assert fit["converged"]
    assert np.allclose(fit["params"], beta, atol=1e-6, rtol=0)
    assert fit["s2_residual"] == pytest.approx(s2e, abs=1e-6)
    assert fit["s2_mother"] == pytest.approx(s2u, abs=1e-6)
    assert np.allclose(fit["cov"], cov, atol=1e-6, rtol=0)
    # the reported contrast at end of treatment: b_mio + d_eot, SE sqrt(c' V c), Wald z, two-sided p
    result = aim1.analyse_continuous(rows, TPS)
    names = fit["names"]
    c = np.zeros(len(names))
    c[names.index("mio")] = c[names.index("mio:time[end_of_treatment]")] = 1
    eot = next(e for e in result["effects"] if e["time_point"] == "end_of_treatment")
    assert eot["estimate"] == pytest.approx(c @ beta, abs=1e-6)
    se = math.sqrt(c @ cov @ c)
    assert eot["se"] == pytest.approx(se, abs=1e-6)
    assert eot["ci_low"] == pytest.approx(c @ beta - 1.959963984540054 * se, abs=1e-6)
    from scipy import stats

    assert eot["p"] == pytest.approx(2 * stats.norm.sf(abs(c @ beta) / se), abs=1e-6)


def test_standardized_effect_n_and_means_by_hand():
    rows = balanced(n_mothers=20)
    result = aim1.analyse_continuous(rows, TPS)
    base = {a: np.array([r["value"] for r in rows if r["arm"] == a and r["time_point"] == "baseline"])
            for a in ("mio_tau", "tau")}
    pooled = math.sqrt(((len(base["mio_tau"]) - 1) * base["mio_tau"].var(ddof=1)
                        + (len(base["tau"]) - 1) * base["tau"].var(ddof=1)) / (len(base["mio_tau"]) + len(base["tau"]) - 2))
    assert result["baseline_sd"] == pytest.approx(pooled, rel=1e-12)
    fu = next(e for e in result["effects"] if e["time_point"] == "follow_up_3m")
    assert fu["standardized"] == pytest.approx(fu["estimate"] / pooled, rel=1e-12)
    d = result["describe"]["mio_tau"]["baseline"]
    assert d["n"] == 10 and d["mean"] == pytest.approx(base["mio_tau"].mean())
    from scipy import stats

    half = stats.t.ppf(0.975, 9) * base["mio_tau"].std(ddof=1) / math.sqrt(10)
    assert d["ci_high"] - d["mean"] == pytest.approx(half)
    assert result["n_mothers"] == 20 and result["n_obs"] == 60


def test_complete_case_sensitivity_uses_only_complete_mothers():
    rows = balanced(n_mothers=60, missing=0.25)
    result = aim1.analyse_continuous(rows, TPS)
    complete = aim1.complete_cases(rows, TPS)
    assert result["complete_case"]["n_mothers"] == len({r["mother"] for r in complete}) < 60
    assert result["complete_case"]["n_obs"] == len(complete) == 3 * result["complete_case"]["n_mothers"]
    assert result["n_obs"] == len(rows)
    # the complete-case data are balanced again: the closed form holds for them
    beta, cov, _s2e, _s2u = closed_form(complete)
    fit = aim1.fit_mixed(complete, TPS)
    assert np.allclose(fit["params"], beta, atol=1e-6, rtol=0)
    # the refit inside analyse_continuous starts from the ITT fit: same optimum
    names = fit["names"]
    c = np.zeros(len(names))
    c[names.index("mio")] = c[names.index("mio:time[follow_up_3m]")] = 1
    cc_fu = next(e for e in result["complete_case"]["effects"] if e["time_point"] == "follow_up_3m")
    assert cc_fu["estimate"] == pytest.approx(c @ beta, abs=1e-6)
    assert cc_fu["se"] == pytest.approx(math.sqrt(c @ cov @ c), abs=1e-6)


def test_too_little_data_says_so():
    rows = [r for r in balanced(n_mothers=4) if r["arm"] == "mio_tau"]
    assert aim1.analyse_continuous(rows, TPS)["error"].startswith("too few observations")


def test_gee_odds_ratio_equals_the_hand_computed_one_when_saturated():
    rng = np.random.default_rng(5)
    rows = []
    for i in range(120):
        arm = "mio_tau" if i < 80 else "tau"
        for j, t in enumerate(TPS):
            p = 0.5 - (0.15 * j if arm == "mio_tau" else 0.05 * j)
            rows.append({"mother": i, "clinic": "A", "arm": arm, "time_point": t, "value": float(rng.random() < p)})
    result = aim1.analyse_binary(rows, TPS)

    def odds(arm, t):
        v = np.array([r["value"] for r in rows if r["arm"] == arm and r["time_point"] == t])
        return v.mean() / (1 - v.mean())

    for e in result["effects"]:
        assert e["odds_ratio"] == pytest.approx(odds("mio_tau", e["time_point"]) / odds("tau", e["time_point"]),
                                                rel=1e-6)
        assert e["or_ci_low"] < e["odds_ratio"] < e["or_ci_high"]
    assert result["describe"]["tau"]["end_of_treatment"]["n"] == 40


def _mediation_rows(n=120, clusters=12, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        c = i % clusters
        x = rng.normal(3, 0.6) + 0.2 * (c % 3)
        m = 0.8 * x + rng.normal(0, 1)
        y = -0.5 * m - 0.4 * x + rng.normal(0, 1)
        rows.append({"cluster": f"C{c}", "x": x, "m": m, "y": y})
    return rows


def test_mediation_paths_by_covariance_formulas_and_statsmodels():
    rows = _mediation_rows()
    x, m, y = (np.array([r[k] for r in rows]) for k in ("x", "m", "y"))
    s = np.cov(np.vstack([x, m, y]))
    a = s[0, 1] / s[0, 0]
    det = s[0, 0] * s[1, 1] - s[0, 1] ** 2
    b = (s[0, 0] * s[1, 2] - s[0, 1] * s[0, 2]) / det
    direct = (s[1, 1] * s[0, 2] - s[0, 1] * s[1, 2]) / det
    result = mediation.mediation(rows, n_boot=200, seed=7)
    assert result["a"] == pytest.approx(a, rel=1e-9) and result["b"] == pytest.approx(b, rel=1e-9)
    assert result["direct"] == pytest.approx(direct, rel=1e-9)
    assert result["indirect"] == pytest.approx(a * b, rel=1e-9)
    assert result["total"] == pytest.approx(direct + a * b, rel=1e-9)  # c = c' + ab for OLS
    import statsmodels.api as sm

    ols = sm.OLS(y, sm.add_constant(np.column_stack([x, m]))).fit()
    assert ols.params[2] == pytest.approx(result["b"], rel=1e-9)
    assert a * b * direct > 0  # same sign: the share is a proportion
    assert result["share_mediated"] == pytest.approx(a * b / (direct + a * b), rel=1e-9)
    assert result["n"] == 120 and result["clusters"] == 12


def test_cluster_bootstrap_is_seeded_and_resamples_counselors():
    rows = _mediation_rows()
    one = mediation.mediation(rows, n_boot=300, seed=11)
    again = mediation.mediation(rows, n_boot=300, seed=11)
    other = mediation.mediation(rows, n_boot=300, seed=12)
    assert (one["indirect_ci_low"], one["indirect_ci_high"]) == (again["indirect_ci_low"], again["indirect_ci_high"])
    assert one["indirect_ci_low"] != other["indirect_ci_low"]
    assert one["indirect_ci_low"] < one["indirect"] < one["indirect_ci_high"]
    # replicate by hand: the first draw picks 12 counselors with replacement from the same generator
    rng = np.random.default_rng(11)
    picked = rng.integers(0, 12, size=(1, 12))[0]
    clusters = sorted({r["cluster"] for r in rows})
    sample = [r for j in picked for r in rows if r["cluster"] == clusters[j]]
    p = mediation.paths(*(np.array([r[k] for r in sample]) for k in ("x", "m", "y")))
    one_draw = mediation.mediation(rows, n_boot=1, seed=11)
    assert one_draw["indirect_ci_low"] == pytest.approx(p["indirect"])
    assert "Fritz & MacKinnon" in one["caveat"]


def test_mediation_refuses_too_few_counselors():
    rows = [dict(r, cluster="C0" if i % 2 else "C1") for i, r in enumerate(_mediation_rows(n=20))]
    assert "2 counselors" in mediation.mediation(rows)["error"]


R_SCRIPT = """
suppressMessages(library(lme4))
d <- read.csv(file("stdin"))
d$arm <- relevel(factor(d$arm), ref = "tau")
d$time_point <- factor(d$time_point, levels = c("baseline", "end_of_treatment", "follow_up_3m"))
fit <- lmer(value ~ arm * time_point + clinic + (1 | mother), data = d, REML = TRUE)
cat(format(fixef(fit), digits = 15), sep = "\\n")
cat(format(sigma(fit)^2, digits = 15), "\\n")
cat(format(as.numeric(VarCorr(fit)$mother), digits = 15), "\\n")
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (apt install r-cran-lme4)")
def test_mixed_model_agrees_with_lme4_on_unbalanced_data():
    check = subprocess.run(["Rscript", "-e", "library(lme4)"], capture_output=True, text=True)  # noqa: S603,S607
    if check.returncode:
        pytest.skip("R is installed without lme4 (apt install r-cran-lme4)")
    rows = balanced(n_mothers=50, missing=0.3, seed=9)
    csv = "mother,clinic,arm,time_point,value\n" + "".join(
        f"{r['mother']},{r['clinic']},{r['arm']},{r['time_point']},{r['value']!r}\n" for r in rows)
    out = subprocess.run(["Rscript", "-e", R_SCRIPT], input=csv, capture_output=True, text=True,  # noqa: S603,S607
                         check=True).stdout.split()
    values = [float(v) for v in out]
    fit = aim1.fit_mixed(rows, TPS)
    # lme4 order: (Intercept), armmio_tau, time eot, time fu, clinicB, arm:eot, arm:fu
    order = ["const", "mio", "time[end_of_treatment]", "time[follow_up_3m]", "clinic[B]",
             "mio:time[end_of_treatment]", "mio:time[follow_up_3m]"]
    ours = [fit["params"][fit["names"].index(n)] for n in order]
    assert np.allclose(ours, values[:7], atol=1e-6, rtol=0)
    assert fit["s2_residual"] == pytest.approx(values[7], abs=1e-6)
    assert fit["s2_mother"] == pytest.approx(values[8], abs=1e-6)


def test_share_mediated_only_when_it_is_a_proportion():
    assert mediation.share_mediated({"indirect": -0.4, "direct": -0.1, "total": -0.5}) == pytest.approx(0.8)
    assert mediation.share_mediated({"indirect": -0.4, "direct": 0.3, "total": -0.1}) is None  # inconsistent
    assert mediation.share_mediated({"indirect": 0.0, "direct": 0.0, "total": 0.0}) is None


def test_clinic_change_difference_equals_welch_from_scipy():
    from scipy import stats

    rows = balanced(n_mothers=30, missing=0.2, seed=4)
    result = aim1.change_difference(rows, "baseline", "end_of_treatment")
    by = {}
    for r in rows:
        by.setdefault(r["mother"], {"arm": r["arm"]})[r["time_point"]] = r["value"]
    change = {a: [m["end_of_treatment"] - m["baseline"] for m in by.values() if m["arm"] == a
                  and "end_of_treatment" in m] for a in ("mio_tau", "tau")}
    welch = stats.ttest_ind(change["mio_tau"], change["tau"], equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert result["estimate"] == pytest.approx(np.mean(change["mio_tau"]) - np.mean(change["tau"]), rel=1e-12)
    assert (result["ci_low"], result["ci_high"]) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))
    assert (result["n_treated"], result["n_control"]) == (len(change["mio_tau"]), len(change["tau"]))
    assert aim1.change_difference(rows[:3], "baseline", "end_of_treatment")["estimate"] is None


def test_profiled_reml_start_equals_the_closed_form_and_statsmodels():
    """The profiled REML estimator (a different estimator from statsmodels' optimizer over the full likelihood)
    gives the same optimum: the closed form on balanced data, statsmodels' fit on unbalanced data."""
    rows = balanced()
    exog, y, groups = aim1.design(rows, TPS)
    est = aim1.profile_reml(exog.to_numpy(), y, groups)
    beta, _cov, s2e, s2u = closed_form(rows)
    assert np.allclose(est["beta"], beta, atol=1e-6, rtol=0)
    assert est["s2_residual"] == pytest.approx(s2e, abs=1e-6) and est["s2_mother"] == pytest.approx(s2u, abs=1e-6)
    rows = balanced(n_mothers=60, missing=0.3, seed=8)
    exog, y, groups = aim1.design(rows, TPS)
    est = aim1.profile_reml(exog.to_numpy(), y, groups)
    fit = aim1.fit_mixed(rows, TPS)
    assert np.allclose(est["beta"], fit["params"], atol=1e-6, rtol=0)
    assert est["s2_residual"] == pytest.approx(fit["s2_residual"], abs=1e-6)
    assert est["s2_mother"] == pytest.approx(fit["s2_mother"], abs=1e-6)
