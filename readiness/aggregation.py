"""From people to a clinic: within-group agreement (rwg, rwg(j)) and ICC(1)/ICC(2), vectorised with NumPy.

Formulas (project reference ``instruments.md``, "From people to a clinic"):

- uniform null variance ``sigma_EU^2 = (A^2 - 1) / 12`` for A response options (2.0 for 5 options);
  James, Demaree & Wolf (1984), J Appl Psychol 69:85.
- ``rwg = 1 - s^2 / sigma_EU^2`` for one item, s^2 with n - 1 denominator; set to 0 when s^2 > sigma_EU^2.
- ``rwg(j) = J(1 - mean_s2/sigma_EU^2) / (J(1 - mean_s2/sigma_EU^2) + mean_s2/sigma_EU^2)``, mean_s2 = mean of
  the J item variances; 0 when mean_s2 > sigma_EU^2 (truncation). Customary bar >= .70.
  Respondents with any missing item are dropped first (listwise), as R ``multilevel::rwg.j`` does
  (``na.exclude``); R's ``ranvar`` argument is our sigma_EU^2 (``ranvar = 2`` for a 5-point scale).
- One-way ANOVA of person scores on clinic: ``ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW)``,
  ``ICC(2) = (MSB - MSW) / MSB`` (Bliese 2000), with unequal group sizes
  ``k = (N - sum(n_g^2) / N) / (G - 1)``. R ``multilevel::ICC1`` uses the mean group size N / G instead;
  ``group_size="mean"`` reproduces that convention (the two agree when groups are equal).

Functions return ``nan`` when a statistic is undefined (fewer than 2 respondents, fewer than 2 groups...);
:func:`clinic_summary` turns that into ``None`` for JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from app.disclosure import MIN_GROUP_SIZE

RWG_BAR = 0.70
MIN_N_FOR_MEAN = MIN_GROUP_SIZE  # the confidentiality threshold lives with the suppression rule (app.disclosure)
#: rwg(j) is reported only when at least this many respondents answered every item (it describes them)
MIN_N_FOR_RWG = 3
GroupSize = Literal["k0", "mean"]
ICC1_GROUP_SIZES: tuple[GroupSize, ...] = ("k0", "mean")

#: the formulas as pages, exports and the API state them
ICC1_FORMULAS = {
    "k0": "ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW), k = k0 = (N - sum n_g^2 / N) / (G - 1), the adjusted group "
          "size for unequal groups (Bliese 2000; one-way ANOVA of respondent scores on clinic)",
    "mean": "ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW), k = N / G, the mean group size, as R multilevel::ICC1 "
            "computes it (one-way ANOVA of respondent scores on clinic)",
}
ICC1_CONVENTION_LABELS = {"k0": "adjusted group size k0", "mean": "mean group size N / G (R multilevel::ICC1)"}
ICC_CI_TEXT = ("95% CIs F-based (Shrout & Fleiss 1979; McGraw & Wong 1996), with the same k as the point "
               "estimate; approximate with unequal groups (Donner 1986)")
ICC2_FORMULA = ("ICC(2) = (MSB - MSW) / MSB, the reliability of clinic means (Bliese 2000; R multilevel::ICC2); "
                "no group size enters")
RWG_J_FORMULA = ("rwg(j) = J (1 - s2 / sEU2) / (J (1 - s2 / sEU2) + s2 / sEU2), s2 the mean of the J item variances "
                 "(n - 1 denominator), 0 when s2 > sEU2 (James, Demaree & Wolf 1984); null distribution: uniform over "
                 "the A response options, sEU2 = (A^2 - 1) / 12 (2.0 for A = 5); respondents who left an item "
                 "unanswered or answered don't know are left out (listwise, as R multilevel::rwg.j), so its n may be "
                 f"below the scored n; not reported when that n is below {MIN_N_FOR_RWG}")


def rwg_null_text(n_options: int | None) -> str | None:
    """The null of a subscale's rwg(j), e.g. "uniform, A = 5, sEU2 = (25 - 1) / 12 = 2.000"."""
    if n_options is None:
        return None
    return f"uniform, A = {n_options}, sEU2 = ({n_options}^2 - 1) / 12 = {uniform_null_variance(n_options):.3f}"


class AggregationError(ValueError):
    """Input that cannot be aggregated (wrong shapes, too few response options...)."""


def uniform_null_variance(n_options: int) -> float:
    """sigma_EU^2 = (A^2 - 1) / 12 for a uniform ('rectangular') null over A options."""
    if n_options < 2:
        raise AggregationError(f"n_options must be at least 2, got {n_options}")
    return (n_options**2 - 1) / 12


def _as_float(values: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values] if isinstance(values, list) else values,
                    dtype=float)


def rwg(values: Sequence[float | None], n_options: int) -> float:
    """Single-item rwg = 1 - s^2 / sigma_EU^2, truncated to 0; missing answers dropped; nan when n < 2."""
    x = _as_float(list(values))
    x = x[~np.isnan(x)]
    if x.size < 2:
        return math.nan
    ratio = float(np.var(x, ddof=1)) / uniform_null_variance(n_options)
    return max(0.0, 1.0 - ratio)


def _rwg_j_from(mean_s2: np.ndarray, n_items: int, n_options: int) -> np.ndarray:
    ratio = mean_s2 / uniform_null_variance(n_options)
    numerator = n_items * (1.0 - ratio)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = numerator / (numerator + ratio)
    return np.where(ratio > 1.0, 0.0, value)


def rwg_j(item_matrix: Any, n_options: int) -> float:
    """rwg(j) for one group's n x J item matrix (NaN/None = missing, listwise deletion); nan when n < 2."""
    x = np.array([[np.nan if v is None else v for v in row] for row in item_matrix], dtype=float) \
        if isinstance(item_matrix, list) else np.asarray(item_matrix, dtype=float)
    if x.ndim != 2:
        raise AggregationError(f"item_matrix must be n x J, got shape {x.shape}")
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < 2:
        return math.nan
    mean_s2 = np.var(x, axis=0, ddof=1).mean()
    return float(_rwg_j_from(np.array(mean_s2), x.shape[1], n_options))


def _groups(groups: Any) -> tuple[np.ndarray, np.ndarray]:
    labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
    return labels, inverse.ravel()


def _group_moments(values: np.ndarray, inverse: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Per-group count, mean and sum of squared deviations (two-pass, numerically stable)."""
    n = np.bincount(inverse, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(inverse, weights=values, minlength=n_groups) / n
    ss = np.bincount(inverse, weights=(values - mean[inverse]) ** 2, minlength=n_groups)
    return n, mean, ss


def one_way_anova(scores: Any, groups: Any) -> dict[str, float]:
    """One-way ANOVA of person scores on group (NaN scores dropped): MSB, MSW, their df, N, G and
    k = (N - sum(n_g^2)/N) / (G - 1)."""
    y = _as_float(list(scores)) if isinstance(scores, list) else np.asarray(scores, dtype=float)
    g = np.asarray(groups)
    if y.shape[0] != g.shape[0]:
        raise AggregationError(f"scores ({y.shape[0]}) and groups ({g.shape[0]}) differ in length")
    keep = ~np.isnan(y)
    labels, inverse = _groups(g[keep])
    y = y[keep]
    n_total, n_groups = y.size, labels.size
    if n_groups < 2 or n_total - n_groups < 1:
        return {"msb": math.nan, "msw": math.nan, "df_between": float(n_groups - 1),
                "df_within": float(n_total - n_groups), "n": float(n_total), "groups": float(n_groups), "k": math.nan}
    n, mean, ss_within = _group_moments(y, inverse, n_groups)
    grand = y.mean()
    ssb = float(np.sum(n * (mean - grand) ** 2))
    ssw = float(ss_within.sum())
    k = (n_total - float(np.sum(n**2)) / n_total) / (n_groups - 1)
    return {"msb": ssb / (n_groups - 1), "msw": ssw / (n_total - n_groups), "df_between": float(n_groups - 1),
            "df_within": float(n_total - n_groups), "n": float(n_total), "groups": float(n_groups), "k": k}


def iccs(scores: Any, groups: Any, group_size: GroupSize = "k0") -> dict[str, float]:
    """ICC(1), ICC(2) and the ANOVA they come from, computing the ANOVA once: ``{icc1, icc2, msb, msw, k, k_used,
    ...}``; ``k`` is always k0, ``k_used`` the group size ICC(1) used (k0, or N / G with ``group_size="mean"``)."""
    if group_size not in ICC1_GROUP_SIZES:
        raise AggregationError(f"group_size must be one of {list(ICC1_GROUP_SIZES)}, got {group_size!r}")
    a = one_way_anova(scores, groups)
    msb, msw = np.float64(a["msb"]), np.float64(a["msw"])
    with np.errstate(invalid="ignore", divide="ignore"):
        k = a["k"] if group_size == "k0" else a["n"] / a["groups"]
        value1 = (msb - msw) / (msb + (k - 1) * msw)
        value2 = (msb - msw) / msb
    return {**a, "icc1": float(value1), "icc2": float(value2), "k_used": float(k)}


#: below this many groups an ICC's CI is wide and the page says so beside it
FEW_GROUPS = 5


def icc_intervals(anova: Mapping[str, float], k: float, confidence: float = 0.95) -> dict[str, float]:
    """95 % CIs of ICC(1) and ICC(2) from the one-way ANOVA (``one_way_anova``), F-based.

    F = MSB / MSW with df1 = G - 1, df2 = N - G; F_L = F / F_{1-a/2}(df1, df2), F_U = F x F_{1-a/2}(df2, df1);
    ICC(1): ((F_L - 1) / (F_L + k - 1), (F_U - 1) / (F_U + k - 1)); ICC(2): (1 - 1/F_L, 1 - 1/F_U) (Shrout &
    Fleiss 1979; McGraw & Wong 1996 case 1, ICC(1) and ICC(k)). With unequal group sizes k is the adjusted group
    size and the interval is approximate (Donner 1986, Int Stat Rev 54:67-82). NaN where undefined.
    """
    from scipy import stats  # imported where used: scipy.stats costs seconds at start-up

    msb, msw, df1, df2 = anova["msb"], anova["msw"], anova["df_between"], anova["df_within"]
    nan = {"icc1_ci_low": math.nan, "icc1_ci_high": math.nan, "icc2_ci_low": math.nan, "icc2_ci_high": math.nan}
    if not all(math.isfinite(v) for v in (msb, msw, k)) or msw <= 0 or df1 < 1 or df2 < 1:
        return nan
    alpha = 1 - confidence
    f_value = msb / msw
    f_low = f_value / stats.f.ppf(1 - alpha / 2, df1, df2)
    f_high = f_value * stats.f.ppf(1 - alpha / 2, df2, df1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"icc1_ci_low": float((f_low - 1) / (f_low + k - 1)), "icc1_ci_high": float((f_high - 1) / (f_high + k - 1)),
                "icc2_ci_low": float(1 - 1 / np.float64(f_low)), "icc2_ci_high": float(1 - 1 / np.float64(f_high))}


def icc1(scores: Any, groups: Any, group_size: GroupSize = "k0") -> float:
    """ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW); k as in :func:`one_way_anova`, or N/G with "mean" (R)."""
    return iccs(scores, groups, group_size)["icc1"]


def icc2(scores: Any, groups: Any) -> float:
    """ICC(2) = (MSB - MSW) / MSB, reliability of group means (Bliese 2000)."""
    return iccs(scores, groups)["icc2"]


def summarise_groups(scores: Any, groups: Any, item_matrix: Any, n_options: int) -> dict[str, np.ndarray]:
    """Vectorised per-group n, mean, sd (ddof 1) of person scores and rwg(j) of the item matrix.

    ``scores``: length-N array (NaN = missing score); ``groups``: length-N labels; ``item_matrix``: N x J.
    Returns arrays aligned with ``labels`` (sorted unique groups): n, mean, sd, rwg_j, n_rwg (listwise n)."""
    y = np.asarray(scores, dtype=float)
    x = np.asarray(item_matrix, dtype=float)
    labels, inverse = _groups(groups)
    if not (y.shape[0] == x.shape[0] == inverse.shape[0]) or x.ndim != 2:
        raise AggregationError("scores, groups and item_matrix rows must have the same length N (item_matrix N x J)")
    n_groups = labels.size
    keep = ~np.isnan(y)
    n, mean, ss = _group_moments(y[keep], inverse[keep], n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / (n - 1))
    sd[n < 2] = np.nan
    complete = ~np.isnan(x).any(axis=1)
    xc, ic = x[complete], inverse[complete]
    n_rwg = np.bincount(ic, minlength=n_groups).astype(float)
    s2 = np.empty((n_groups, x.shape[1]))
    for j in range(x.shape[1]):
        _, _, ss_j = _group_moments(xc[:, j], ic, n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            s2[:, j] = ss_j / (n_rwg - 1)
    value = _rwg_j_from(s2.mean(axis=1), x.shape[1], n_options)
    value[n_rwg < 2] = np.nan
    return {"labels": labels, "n": n, "mean": mean, "sd": sd, "rwg_j": value, "n_rwg": n_rwg}


def _none(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def clinic_summary(scores_by_clinic: Mapping[str, Sequence[float | None]],
                   item_matrix_by_clinic: Mapping[str, Sequence[Sequence[float | None]]], n_options: int,
                   min_n: int = MIN_N_FOR_MEAN, rwg_bar: float = RWG_BAR) -> dict[str, dict]:
    """Per clinic ``{n, n_responses, mean, sd, rwg_j, n_rwg, suppressed, low_agreement, flags}`` (JSON-ready,
    None = not shown); ``n`` counts respondents with a score, ``n_responses`` every response given (scored or not).

    Mean and SD are reported only when n >= ``min_n`` (3); otherwise ``suppressed`` and flag "n_below_3".
    ``low_agreement`` (flag "low_agreement") when rwg(j) < ``rwg_bar`` (.70): flagged, not hidden."""
    clinics = list(scores_by_clinic)
    unknown = set(item_matrix_by_clinic) - set(clinics)
    if unknown:
        raise AggregationError(f"item matrices for clinics without scores: {sorted(unknown)}")
    out: dict[str, dict] = {}
    for clinic in clinics:
        scores = _as_float(list(scores_by_clinic[clinic]))
        rows = item_matrix_by_clinic.get(clinic, [])
        matrix = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
        if matrix.size and matrix.shape[0] != scores.shape[0]:
            raise AggregationError(f"clinic {clinic}: {scores.shape[0]} scores but {matrix.shape[0]} item rows")
        if not matrix.size:
            matrix = np.full((scores.shape[0], 1), np.nan)
        s = summarise_groups(scores, np.zeros(scores.shape[0], dtype=int), matrix, n_options) if scores.size \
            else {"n": [0.0], "mean": [math.nan], "sd": [math.nan], "rwg_j": [math.nan], "n_rwg": [0.0]}
        n = int(s["n"][0]) if len(s["n"]) else 0
        suppressed = n < min_n
        agreement = _none(s["rwg_j"][0])
        flags = []
        if suppressed:
            flags.append(f"n_below_{min_n}")
        low = agreement is not None and agreement < rwg_bar
        if low:
            flags.append("low_agreement")
        if agreement is None:
            flags.append("agreement_not_computable")
        out[clinic] = {"n": n, "n_responses": int(scores.shape[0]), "mean": None if suppressed else _none(s["mean"][0]),
                       "sd": None if suppressed else _none(s["sd"][0]), "rwg_j": agreement,
                       "n_rwg": int(s["n_rwg"][0]), "suppressed": suppressed, "low_agreement": low, "flags": flags}
    return out
