"""Aim 3b: does the implementation outcome (exposure X) act on the secondary outcome (Y) through the primary
outcome (mediator M)? Within MIO + TAU only, one row per mother with X, M, Y and her counselor (the cluster).

Product-of-coefficients mediation (Baron & Kenny 1986; MacKinnon 2008, Introduction to Statistical Mediation
Analysis), ordinary least squares:
    M = i1 + a X + e1                 a:  effect of the exposure on the mediator
    Y = i2 + c' X + b M + e2          b:  effect of the mediator on the outcome, holding X; c': direct effect
    Y = i3 + c X + e3                 c:  total effect; with OLS on the same rows c = c' + a b exactly
indirect effect = a b; share mediated = a b / c (reported only when c is not ~0 and a b and c' share a sign,
since otherwise the share is not a proportion; Preacher & Kelley 2011, Psychol Methods 16:93-115).
Confidence intervals: percentile bootstrap resampling whole counselors with replacement (the cluster bootstrap;
Field & Welsh 2007, J R Stat Soc B 69:369-390), ``n_boot`` replicates from ``numpy.random.default_rng(seed)``, so
the same data and seed give the same interval. The 95 % CI is the 2.5th and 97.5th percentiles (numpy's linear
interpolation) of the replicates.
Sample size: at 80 % power the percentile bootstrap needs about 560 mothers when a and b are both small and about
80 when both are medium (Fritz & MacKinnon 2007, Psychol Sci 18:233-239, Table 3); with ~130 MIO mothers and
~16 counselors this test detects medium paths at best, and a cluster bootstrap over so few clusters gives
intervals that are too narrow. Read the estimates as exploratory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

CAVEAT = ("Exploratory: within MIO + TAU only (about 130 mothers, 16 counselors in the trial). The percentile "
          "bootstrap needs ~80 mothers when both a and b paths are medium and ~560 when both are small, at 80 % "
          "power "
          "(Fritz & MacKinnon 2007), and a cluster bootstrap over fewer than ~30 counselors gives intervals that "
          "are too narrow.")


def paths(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """a, b, c' (direct), c (total) and a b (indirect) by OLS (formulas in the module docstring)."""
    ones = np.ones_like(x)
    a = np.linalg.lstsq(np.column_stack([ones, x]), m, rcond=None)[0][1]
    _, direct, b = np.linalg.lstsq(np.column_stack([ones, x, m]), y, rcond=None)[0]
    total = np.linalg.lstsq(np.column_stack([ones, x]), y, rcond=None)[0][1]
    return {"a": float(a), "b": float(b), "direct": float(direct), "total": float(total), "indirect": float(a * b)}


def share_mediated(p: Mapping[str, float]) -> float | None:
    """a b / c when c is not ~0 and a b and c' share a sign (else None: not a proportion)."""
    if abs(p["total"]) < 1e-12 or p["indirect"] * p["direct"] < 0:
        return None
    return p["indirect"] / p["total"]


def mediation(rows: Sequence[Mapping[str, Any]], *, n_boot: int = 2000, seed: int = 13,
              confidence: float = 0.95) -> dict[str, Any]:
    """``rows``: ``{cluster, x, m, y}`` per mother (complete cases). Returns the paths, the share mediated, the
    percentile cluster-bootstrap CIs of the indirect, direct and total effects, n mothers and clusters, the seed,
    and the caveat. With fewer than 3 clusters or 10 mothers, or no variation in X, ``error`` says why."""
    rows = [r for r in rows if all(r.get(k) is not None for k in ("x", "m", "y", "cluster"))]
    clusters = sorted({r["cluster"] for r in rows}, key=str)
    out: dict[str, Any] = {"n": len(rows), "clusters": len(clusters), "n_boot": n_boot, "seed": seed,
                           "confidence": confidence, "caveat": CAVEAT, "error": None}
    x = np.array([float(r["x"]) for r in rows])
    if len(rows) < 10 or len(clusters) < 3 or (len(rows) and np.ptp(x) == 0):
        out["error"] = (f"too little data: {len(rows)} mothers with exposure, mediator and outcome, "
                        f"{len(clusters)} counselors (needs 10 and 3, and exposures that vary)")
        return out
    m = np.array([float(r["m"]) for r in rows])
    y = np.array([float(r["y"]) for r in rows])
    estimate = paths(x, m, y)
    out.update(estimate, share_mediated=share_mediated(estimate))
    cluster_of = np.array([clusters.index(r["cluster"]) for r in rows])
    moments = np.zeros((len(clusters), 9))
    np.add.at(moments, cluster_of, np.column_stack([np.ones_like(x), x, m, y, x * x, m * m, x * m, x * y, m * y]))
    rng = np.random.default_rng(seed)
    picked = rng.integers(0, len(clusters), size=(n_boot, len(clusters)))
    weights = np.zeros((n_boot, len(clusters)))
    np.add.at(weights, (np.repeat(np.arange(n_boot), len(clusters)), picked.ravel()), 1.0)
    draws = paths_from_moments(weights @ moments)
    alpha = (1 - confidence) / 2
    for key in ("indirect", "direct", "total"):
        values = draws[key][draws["usable"]]
        low, high = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
        out[f"{key}_ci_low"], out[f"{key}_ci_high"] = float(low), float(high)
    out["replicates_used"] = int(draws["usable"].sum())
    return out


def paths_from_moments(t: np.ndarray) -> dict[str, np.ndarray]:
    """The OLS paths of many bootstrap replicates at once from their sums (columns n, Sx, Sm, Sy, Sxx, Smm, Sxm,
    Sxy, Smy): with centred cross-products Sxx = sum x^2 - (sum x)^2 / n etc.,
    a = Sxm / Sxx; c = Sxy / Sxx; b = (Sxx Smy - Sxm Sxy) / D; c' = (Smm Sxy - Sxm Smy) / D, D = Sxx Smm - Sxm^2
    (the normal equations of the two regressions solved by Cramer's rule). A replicate whose X or residual M does
    not vary is marked unusable."""
    n = t[:, 0]
    sxx = t[:, 4] - t[:, 1] ** 2 / n
    smm = t[:, 5] - t[:, 2] ** 2 / n
    sxm = t[:, 6] - t[:, 1] * t[:, 2] / n
    sxy = t[:, 7] - t[:, 1] * t[:, 3] / n
    smy = t[:, 8] - t[:, 2] * t[:, 3] / n
    det = sxx * smm - sxm**2
    usable = (sxx > 1e-12 * np.maximum(t[:, 4], 1)) & (det > 1e-12 * np.maximum(sxx * smm, 1e-300))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sxm / sxx
        b = (sxx * smy - sxm * sxy) / det
        direct = (smm * sxy - sxm * smy) / det
        total = sxy / sxx
    return {"a": a, "b": b, "direct": direct, "total": total, "indirect": a * b, "usable": usable}
