"""Aim 1, intention to treat: MIO + TAU versus TAU on each outcome, using every observed value.

Continuous outcomes: a linear mixed model (Laird & Ware 1982, Biometrics 38:963-974), fitted by REML with
statsmodels ``MixedLM``::

    y_ij = b0 + b1 MIO_i + sum_t g_t T_tj + sum_t d_t (MIO_i x T_tj) + sum_k c_k clinic_ki + u_i + e_ij
    u_i ~ N(0, s2_u)  (random intercept per mother),  e_ij ~ N(0, s2_e)

with baseline and TAU as references. Baseline precedes randomization, so ``b1`` is a chance difference; the
adjusted arm difference at time point t is the contrast ``b1 + d_t`` (MIO + TAU minus TAU, in the measure's
units), its standard error sqrt(c' V c) from the fixed-effect covariance V, 95 % CI = estimate +/- 1.96 SE and a
two-sided Wald z test (as statsmodels reports for MixedLM). ``d_t`` alone is the difference in change from
baseline. Standardized effect = contrast / pooled within-arm baseline SD,
sqrt(((n1 - 1) s1^2 + (n0 - 1) s0^2) / (n1 + n0 - 2)) (Cohen's d convention, Feingold 2009, Psychol Methods
14:43-53). Missing values are assumed missing at random given the observed outcomes, arm, time and clinic (the
likelihood uses every observation; Little & Rubin 2002); the complete-case sensitivity analysis refits on mothers
observed at every time point.

Binary outcomes (urine toxicology, any illicit substance positive): a GEE logit model with the same mean structure
and an exchangeable working correlation within mother (Liang & Zeger 1986, Biometrika 73:13-22), robust
(sandwich) standard errors; odds ratio at t = exp(b1 + d_t) with 95 % CI exp(contrast +/- 1.96 SE).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

ARM_TREATED, ARM_CONTROL = "mio_tau", "tau"
Z95 = 1.959963984540054  # standard normal 0.975 quantile


def design(rows: Sequence[Mapping[str, Any]], time_points: Sequence[str]) -> tuple[Any, np.ndarray, np.ndarray]:
    """The fixed-effect design (a pandas DataFrame with named columns), the outcome and the mother of each row.
    Columns: const, mio, time[t], mio:time[t] for every non-reference t, clinic[k] for every clinic but the first
    (none with a single clinic)."""
    import pandas as pd

    tps = [t for t in time_points if any(r["time_point"] == t for r in rows)]
    clinics = sorted({r["clinic"] for r in rows})
    arm = np.array([1.0 if r["arm"] == ARM_TREATED else 0.0 for r in rows])
    cols: dict[str, np.ndarray] = {"const": np.ones(len(rows)), "mio": arm}
    for t in tps[1:]:
        cols[f"time[{t}]"] = np.array([1.0 if r["time_point"] == t else 0.0 for r in rows])
    for t in tps[1:]:
        cols[f"mio:time[{t}]"] = arm * cols[f"time[{t}]"]
    for k in clinics[1:]:
        cols[f"clinic[{k}]"] = np.array([1.0 if r["clinic"] == k else 0.0 for r in rows])
    y = np.array([float(r["value"]) for r in rows])
    groups = np.array([r["mother"] for r in rows])
    return pd.DataFrame(cols), y, groups


def _contrast(names: list[str], t: str) -> np.ndarray:
    c = np.zeros(len(names))
    c[names.index("mio")] = 1.0
    c[names.index(f"mio:time[{t}]")] = 1.0
    return c


def _p_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def describe(rows: Sequence[Mapping[str, Any]], time_points: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Observed n, mean, SD and 95 % CI (mean +/- t(0.975, n - 1) SD / sqrt n) per arm and time point."""
    from scipy import stats

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for arm in (ARM_TREATED, ARM_CONTROL):
        out[arm] = {}
        for t in time_points:
            vals = np.array([float(r["value"]) for r in rows if r["arm"] == arm and r["time_point"] == t])
            n = len(vals)
            entry: dict[str, Any] = {"n": n, "mean": None, "sd": None, "ci_low": None, "ci_high": None}
            if n:
                entry["mean"] = float(vals.mean())
            if n >= 2:
                sd = float(vals.std(ddof=1))
                half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
                entry.update(sd=sd, ci_low=entry["mean"] - half, ci_high=entry["mean"] + half)
            out[arm][t] = entry
    return out


def pooled_baseline_sd(rows: Sequence[Mapping[str, Any]], baseline: str) -> float | None:
    """sqrt(((n1 - 1) s1^2 + (n0 - 1) s0^2) / (n1 + n0 - 2)) over the baseline values of the two arms."""
    num = den = 0.0
    for arm in (ARM_TREATED, ARM_CONTROL):
        vals = np.array([float(r["value"]) for r in rows if r["arm"] == arm and r["time_point"] == baseline])
        if len(vals) >= 2:
            num += (len(vals) - 1) * vals.var(ddof=1)
            den += len(vals) - 1
    return math.sqrt(num / den) if den > 0 and num > 0 else None


def complete_cases(rows: Sequence[Mapping[str, Any]], time_points: Sequence[str]) -> list[Mapping[str, Any]]:
    """The rows of mothers observed at every one of ``time_points``."""
    seen: dict[Any, set] = {}
    for r in rows:
        seen.setdefault(r["mother"], set()).add(r["time_point"])
    keep = {m for m, tps in seen.items() if set(time_points) <= tps}
    return [r for r in rows if r["mother"] in keep]


def fit_mixed(rows: Sequence[Mapping[str, Any]], time_points: Sequence[str]) -> dict[str, Any]:
    """The REML fit of the module's model by statsmodels ``MixedLM``: fixed effects, their covariance, variance
    components. It starts at the profiled REML optimum (``profile_reml``), so the optimizer only confirms it; the
    start changes the path, not the optimum."""
    from statsmodels.regression.mixed_linear_model import MixedLM

    exog, y, groups = design(rows, time_points)
    model = MixedLM(y, exog, groups=groups, exog_re=np.ones((len(y), 1)))
    start = _start(exog.to_numpy(), y, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; convergence is reported in the result
        # from the profiled optimum L-BFGS-B stops at once (its gradient is ~0); statsmodels then computes the
        # covariance of the estimates at that point
        result = model.fit(reml=True, method="lbfgs", start_params=start)
        if not result.converged:
            # statsmodels warns that pgtol/factr are "not used by MixedLM.fit": they reach L-BFGS-B, whose tight
            # tolerances find the optimum within ~1e-8 from anywhere
            result = model.fit(reml=True, method="lbfgs", pgtol=1e-10, factr=10.0)
    names = list(exog.columns)
    k = len(names)
    return {"names": names, "params": np.asarray(result.fe_params), "cov": np.asarray(result.cov_params())[:k, :k],
            "s2_mother": float(np.asarray(result.cov_re)[0, 0]), "s2_residual": float(result.scale),
            "converged": bool(result.converged), "n_obs": int(len(y)), "n_mothers": int(len(set(groups)))}


def profile_reml(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    """The REML estimate of the random-intercept model by profiling, from per-mother sums only (no loop over
    mothers): with g = s2_u / s2_e and w_i = g / (1 + n_i g), V_i^-1 = (I - w_i J) / s2_e, so
    X'V^-1 X = (X'X - S' diag(w) S) / s2_e with S the per-mother column sums of X (likewise X'V^-1 y, y'V^-1 y);
    beta(g) is the GLS solution, s2_e(g) = r'V^-1 r s2_e / (N - p), and
    -2 l_R(g) = (N - p) log s2_e(g) + sum_i log(1 + n_i g) + log det(X'X - S' diag(w) S) + const
    (Harville 1977, JASA 72:320-338; the profiled form as in lme4, Bates et al. 2015, J Stat Softw 67:1).
    Minimised over log g by bounded Brent search (and g = 0 tried). Used as the start of statsmodels' fit, which
    then confirms the optimum in a few evaluations; tests check both against the closed form."""
    from scipy.optimize import minimize_scalar

    index = np.unique(groups, return_inverse=True)[1]
    n_g = np.bincount(index).astype(float)
    sx = np.zeros((len(n_g), x.shape[1]))
    np.add.at(sx, index, x)
    sy = np.bincount(index, y, minlength=len(n_g))
    xtx, xty, yty = x.T @ x, x.T @ y, float(y @ y)
    n, p = x.shape

    def parts(log_g: float | None):
        g = 0.0 if log_g is None else math.exp(log_g)
        w = g / (1 + n_g * g)
        a = xtx - (sx.T * w) @ sx
        b = xty - (sx.T * w) @ sy
        beta = np.linalg.solve(a, b)
        rss = yty - float(np.sum(w * sy**2)) - float(beta @ b)
        return g, beta, rss, a

    def objective(log_g: float | None) -> float:
        g, _beta, rss, a = parts(log_g)
        sign, logdet = np.linalg.slogdet(a)
        if rss <= 0 or sign <= 0:
            return math.inf
        return (n - p) * math.log(rss / (n - p)) + float(np.sum(np.log1p(n_g * g))) + logdet

    best = minimize_scalar(objective, bounds=(-20.0, 8.0), method="bounded", options={"xatol": 1e-10})
    log_g = best.x if objective(best.x) <= objective(None) else None
    g, beta, rss, _a = parts(log_g)
    s2e = rss / (n - p)
    return {"beta": beta, "ratio": g, "s2_residual": s2e, "s2_mother": g * s2e}


def _start(x: np.ndarray, y: np.ndarray, groups: np.ndarray):
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    est = profile_reml(x, y, groups)
    return MixedLMParams.from_components(fe_params=est["beta"], cov_re=np.array([[max(est["ratio"], 1e-6)]]))


def _effects(fit: Mapping[str, Any], time_points: Sequence[str], sd: float | None, transform=None
             ) -> list[dict[str, Any]]:
    out = []
    names = fit["names"]
    for t in time_points[1:]:
        if f"mio:time[{t}]" not in names:
            continue
        c = _contrast(names, t)
        est = float(c @ fit["params"])
        se = float(math.sqrt(max(c @ fit["cov"] @ c, 0.0)))
        z = est / se if se > 0 else float("nan")
        change = float(fit["params"][names.index(f"mio:time[{t}]")])
        entry = {"time_point": t, "estimate": est, "se": se, "ci_low": est - Z95 * se, "ci_high": est + Z95 * se,
                 "z": z, "p": _p_two_sided(z) if se > 0 else None, "change_difference": change,
                 "standardized": est / sd if sd else None}
        if transform is not None:
            entry.update(odds_ratio=transform(est), or_ci_low=transform(est - Z95 * se),
                         or_ci_high=transform(est + Z95 * se))
        out.append(entry)
    return out


def analyse_continuous(rows: Sequence[Mapping[str, Any]], time_points: Sequence[str]) -> dict[str, Any]:
    """ITT mixed model, with observed means, n per arm and time point, effects and the complete-case refit.
    ``rows``: ``{mother, clinic, arm ("mio_tau" | "tau"), time_point, value}``; ``time_points`` in order, the
    first the reference (baseline)."""
    tps = list(time_points)
    out: dict[str, Any] = {"model": "linear mixed model, REML (statsmodels MixedLM)",
                           "formula": "value ~ arm * time point + clinic + (1 | mother)",
                           "describe": describe(rows, tps), "baseline_sd": pooled_baseline_sd(rows, tps[0]),
                           "effects": [], "complete_case": None, "error": None}
    if not _estimable(rows, tps):
        out["error"] = "too few observations in one arm or time point to fit the model"
        return out
    fit = fit_mixed(rows, tps)
    out.update(n_obs=fit["n_obs"], n_mothers=fit["n_mothers"], converged=fit["converged"],
               variance={"mother": fit["s2_mother"], "residual": fit["s2_residual"]},
               effects=_effects(fit, tps, out["baseline_sd"]))
    cc = complete_cases(rows, tps)
    if _estimable(cc, tps):
        cfit = fit_mixed(cc, tps)
        out["complete_case"] = {"n_obs": cfit["n_obs"], "n_mothers": cfit["n_mothers"],
                                "effects": _effects(cfit, tps, pooled_baseline_sd(cc, tps[0]))}
    return out


def _estimable(rows: Sequence[Mapping[str, Any]], tps: Sequence[str]) -> bool:
    cells = {(r["arm"], r["time_point"]) for r in rows}
    mothers = {r["mother"] for r in rows}
    return len(mothers) >= 4 and all((a, tps[0]) in cells for a in (ARM_TREATED, ARM_CONTROL)) and any(
        (ARM_TREATED, t) in cells and (ARM_CONTROL, t) in cells for t in tps[1:])


def analyse_binary(rows: Sequence[Mapping[str, Any]], time_points: Sequence[str]) -> dict[str, Any]:
    """GEE logit (exchangeable within mother, robust SE); effects as log odds with odds ratios."""
    import statsmodels.api as sm

    tps = list(time_points)
    out: dict[str, Any] = {"model": "GEE logit, exchangeable working correlation, robust SE (statsmodels GEE)",
                           "formula": "logit P(positive) ~ arm * time point + clinic",
                           "describe": describe(rows, tps), "effects": [], "complete_case": None, "error": None}
    if not _estimable(rows, tps):
        out["error"] = "too few observations in one arm or time point to fit the model"
        return out

    def fit(data):
        exog, y, groups = design(data, tps)
        model = sm.GEE(y, exog, groups=groups, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = model.fit()
        return {"names": list(exog.columns), "params": np.asarray(result.params),
                "cov": np.asarray(result.cov_params()), "n_obs": len(y), "n_mothers": len(set(groups))}

    try:
        main = fit(rows)
    except (np.linalg.LinAlgError, ValueError) as exc:  # separation or a singular design
        out["error"] = f"the model could not be fitted ({exc})"
        return out
    out.update(n_obs=main["n_obs"], n_mothers=main["n_mothers"], effects=_effects(main, tps, None, math.exp))
    cc = complete_cases(rows, tps)
    if _estimable(cc, tps):
        try:
            cfit = fit(cc)
            out["complete_case"] = {"n_obs": cfit["n_obs"], "n_mothers": cfit["n_mothers"],
                                    "effects": _effects(cfit, tps, None, math.exp)}
        except (np.linalg.LinAlgError, ValueError):
            out["complete_case"] = None
    return out


def change_difference(rows: Sequence[Mapping[str, Any]], baseline: str, later: str) -> dict[str, Any]:
    """Difference between arms in the mean change from ``baseline`` to ``later`` (MIO + TAU minus TAU) among mothers
    observed at both, with Welch's 95 % CI: d +/- t(0.975, v) sqrt(s1^2/n1 + s0^2/n0), v by Welch-Satterthwaite
    (Welch 1947, Biometrika 34:28-35). A descriptive per-clinic figure for the joint display (a clinic holds ~50
    mothers): the trial's estimate is the mixed model's."""
    from scipy import stats

    by_mother: dict[Any, dict[str, Any]] = {}
    for r in rows:
        by_mother.setdefault(r["mother"], {"arm": r["arm"]})[r["time_point"]] = float(r["value"])
    changes = {arm: np.array([m[later] - m[baseline] for m in by_mother.values()
                              if m["arm"] == arm and baseline in m and later in m]) for arm in (ARM_TREATED, ARM_CONTROL)}
    n1, n0 = len(changes[ARM_TREATED]), len(changes[ARM_CONTROL])
    out: dict[str, Any] = {"n_treated": n1, "n_control": n0, "estimate": None, "ci_low": None, "ci_high": None}
    if n1 < 2 or n0 < 2:
        return out
    v1, v0 = changes[ARM_TREATED].var(ddof=1) / n1, changes[ARM_CONTROL].var(ddof=1) / n0
    estimate = float(changes[ARM_TREATED].mean() - changes[ARM_CONTROL].mean())
    se = math.sqrt(v1 + v0)
    if se == 0:
        return {**out, "estimate": estimate}
    df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
    half = float(stats.t.ppf(0.975, df)) * se
    return {**out, "estimate": estimate, "ci_low": estimate - half, "ci_high": estimate + half}
