"""Intraclass correlation for double-coded fidelity ratings (n sessions x k coders).

Mean squares from the two-way ANOVA of an n x k matrix (targets = rows, raters = columns):
  MSR = k * sum_i (mean_i. - mean..)^2 / (n - 1)          between targets
  MSC = n * sum_j (mean_.j - mean..)^2 / (k - 1)          between raters
  MSE = (SST - SSR - SSC) / ((n - 1)(k - 1))               residual
  MSW = (SSC + SSE) / (n (k - 1))                          within targets (one-way)
Forms (Shrout & Fleiss 1979, Psychol Bull 86:420-428; McGraw & Wong 1996, Psychol Methods 1:30-46):
  ICC(1,1) = (MSR - MSW) / (MSR + (k-1) MSW)                      one-way random, single rater   [ICC(1)]
  ICC(2,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)  two-way random, absolute
                                                                   agreement, single rater       [ICC(A,1)]
  ICC(3,1) = (MSR - MSE) / (MSR + (k-1) MSE)                      two-way mixed, consistency,
                                                                   single rater                  [ICC(C,1)]
  ICC(1,k) = (MSR - MSW) / MSR; ICC(2,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n);
  ICC(3,k) = (MSR - MSE) / MSR                                     mean of k raters
95 % confidence intervals: McGraw & Wong 1996, Tables 7-8 (same formulas as pingouin).
Interpretation bands: Koo TK, Li MY (2016) J Chiropr Med 15:155-163 (< .50 poor, .50-.75 moderate,
.75-.90 good, > .90 excellent); Koo & Li advise judging the band of the whole 95 % CI.
When different coder pairs code different sessions, the one-way ICC(1,1) is the honest form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from implementation_outcomes.errors import ICCInputError

ICC_FORMS: dict[str, dict[str, str]] = {
    "ICC(1,1)": {"mcgraw_wong": "ICC(1)", "model": "one-way random", "type": "absolute agreement", "unit": "single"},
    "ICC(2,1)": {"mcgraw_wong": "ICC(A,1)", "model": "two-way random", "type": "absolute agreement",
                 "unit": "single"},
    "ICC(3,1)": {"mcgraw_wong": "ICC(C,1)", "model": "two-way mixed", "type": "consistency", "unit": "single"},
    "ICC(1,k)": {"mcgraw_wong": "ICC(k)", "model": "one-way random", "type": "absolute agreement", "unit": "average"},
    "ICC(2,k)": {"mcgraw_wong": "ICC(A,k)", "model": "two-way random", "type": "absolute agreement",
                 "unit": "average"},
    "ICC(3,k)": {"mcgraw_wong": "ICC(C,k)", "model": "two-way mixed", "type": "consistency", "unit": "average"},
}
_ALIASES = {info["mcgraw_wong"]: form for form, info in ICC_FORMS.items()}


def koo_li_band(value: float | None) -> str | None:
    """Koo & Li 2016 band: < .50 poor, .50 to < .75 moderate, .75 to .90 good, > .90 excellent."""
    if value is None or np.isnan(value):
        return None
    if value < 0.5:
        return "poor"
    if value < 0.75:
        return "moderate"
    if value <= 0.9:
        return "good"
    return "excellent"


def koo_li_ci_band(ci_low: float | None, ci_high: float | None) -> str | None:
    """The Koo & Li band read from a 95 % CI, as Koo & Li (2016, p. 158) advise: the bands the interval spans,
    "poor to moderate" when it runs from one to another, one band when it lies within it; None without a CI."""
    low, high = koo_li_band(ci_low), koo_li_band(ci_high)
    if low is None or high is None:
        return None
    return low if low == high else f"{low} to {high}"


def mean_squares(matrix: Sequence[Sequence[float]]) -> dict[str, float]:
    """Two-way ANOVA mean squares of an n x k matrix (complete data): MSR, MSC, MSE, MSW, n, k."""
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        raise ICCInputError("matrix: must be 2-D (sessions x coders)")
    n, k = x.shape
    if n < 2 or k < 2:
        raise ICCInputError(f"matrix: need at least 2 sessions and 2 coders, got {n} x {k}")
    missing = np.argwhere(np.isnan(x))
    if missing.size:
        i, j = missing[0]
        raise ICCInputError(f"matrix row {i}, column {j}: missing rating; ICC needs every coder to rate every session")
    grand = x.mean()
    ssr = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ssc = n * ((x.mean(axis=0) - grand) ** 2).sum()
    sst = ((x - grand) ** 2).sum()
    sse = sst - ssr - ssc
    return {
        "n": n,
        "k": k,
        "MSR": ssr / (n - 1),
        "MSC": ssc / (k - 1),
        "MSE": sse / ((n - 1) * (k - 1)),
        "MSW": (ssc + sse) / (n * (k - 1)),
    }


def icc(matrix: Sequence[Sequence[float]], form: str = "ICC(2,1)", confidence: float = 0.95) -> dict[str, Any]:
    """ICC of the named form with F test, confidence interval and Koo & Li band.

    ``form``: "ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)" or the McGraw & Wong
    names "ICC(1)", "ICC(A,1)", "ICC(C,1)", "ICC(k)", "ICC(A,k)", "ICC(C,k)". Returns ``{form,
    mcgraw_wong, model, type, unit, value, F, df1, df2, p, ci_low, ci_high, confidence, band,
    band_ci_low, band_ci_high, n, k}``. Formulas: module docstring.
    """
    from scipy import stats  # imported where used: scipy.stats costs seconds at start-up

    form = _ALIASES.get(form, form)
    if form not in ICC_FORMS:
        raise ICCInputError(f"form {form!r}: use one of {', '.join([*ICC_FORMS, *_ALIASES])}")
    ms = mean_squares(matrix)
    n, k = ms["n"], ms["k"]
    msr, msc, mse, msw = ms["MSR"], ms["MSC"], ms["MSE"], ms["MSW"]
    average = form.endswith(",k)")
    model = form[4]
    alpha = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        if model == "1":
            value = (msr - msw) / msr if average else (msr - msw) / (msr + (k - 1) * msw)
            f_value, df1, df2 = msr / msw, n - 1, n * (k - 1)
            low, high = _ci_from_f(f_value, df1, df2, k, alpha, average)
        elif model == "3":
            value = (msr - mse) / msr if average else (msr - mse) / (msr + (k - 1) * mse)
            f_value, df1, df2 = msr / mse, n - 1, (n - 1) * (k - 1)
            low, high = _ci_from_f(f_value, df1, df2, k, alpha, average)
        else:
            single = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
            value = (msr - mse) / (msr + (msc - mse) / n) if average else single
            f_value, df1, df2 = msr / mse, n - 1, (n - 1) * (k - 1)
            low, high = _ci_icc2(single, msr, msc, mse, n, k, alpha)
            if average:
                low, high = low * k / (1 + low * (k - 1)), high * k / (1 + high * (k - 1))
    p = float(stats.f.sf(f_value, df1, df2)) if np.isfinite(f_value) else None
    value = float(value) if np.isfinite(value) else None
    return {
        "form": form,
        **ICC_FORMS[form],
        "value": value,
        "F": float(f_value) if np.isfinite(f_value) else None,
        "df1": df1,
        "df2": float(df2),
        "p": p,
        "ci_low": _finite(low),
        "ci_high": _finite(high),
        "confidence": confidence,
        "band": koo_li_band(value),
        "band_ci_low": koo_li_band(_finite(low)),
        "band_ci_high": koo_li_band(_finite(high)),
        "n": n,
        "k": k,
    }


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _ci_from_f(f_value: float, df1: float, df2: float, k: int, alpha: float, average: bool) -> tuple[float, float]:
    """McGraw & Wong 1996 Table 7 (cases 1 and 3): F_L = F / F_crit(df1, df2), F_U = F x F_crit(df2, df1)."""
    from scipy import stats

    f_low = f_value / stats.f.ppf(1 - alpha / 2, df1, df2)
    f_high = f_value * stats.f.ppf(1 - alpha / 2, df2, df1)
    if average:
        return 1 - 1 / f_low, 1 - 1 / f_high
    return (f_low - 1) / (f_low + k - 1), (f_high - 1) / (f_high + k - 1)


def _ci_icc2(icc2: float, msr: float, msc: float, mse: float, n: int, k: int, alpha: float) -> tuple[float, float]:
    """McGraw & Wong 1996 Table 8 (case 2A) with Satterthwaite degrees of freedom v."""
    from scipy import stats

    fj = msc / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f_upper = stats.f.ppf(1 - alpha / 2, n - 1, v)
    f_lower = stats.f.ppf(1 - alpha / 2, v, n - 1)
    low = n * (msr - f_upper * mse) / (f_upper * (k * msc + (k * n - k - n) * mse) + n * msr)
    high = n * (f_lower * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_lower * msr)
    return low, high
