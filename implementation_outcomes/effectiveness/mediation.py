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
    index = {c: np.array([i for i, r in enumerate(rows) if r["cluster"] == c]) for c in clusters}
    rng = np.random.default_rng(seed)
    draws = {"indirect": [], "direct": [], "total": []}
    for _ in range(n_boot):
        picked = rng.integers(0, len(clusters), size=len(clusters))
        idx = np.concatenate([index[clusters[j]] for j in picked])
        if np.ptp(x[idx]) == 0:
            continue  # a replicate with no variation in X has no slope; skipped (counted below)
        p = paths(x[idx], m[idx], y[idx])
        for key in draws:
            draws[key].append(p[key])
    alpha = (1 - confidence) / 2
    for key, values in draws.items():
        low, high = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
        out[f"{key}_ci_low"], out[f"{key}_ci_high"] = float(low), float(high)
    out["replicates_used"] = len(draws["indirect"])
    return out
