"""Agreement between raters on ordinal CFIR construct ratings (-2..+2).

Two raters: quadratic-weighted kappa (Cohen 1968; Fleiss & Cohen 1973). Two or more raters, missing ratings
allowed: Krippendorff's alpha with the ordinal or interval metric (Krippendorff 2011). "Mixed" (X) flags and
constructs not discussed are not ratings: pass them as None (alpha) or leave the pair out (kappa).
Reference: implementation-science.md, "CFIR construct ratings" and "Inter-coder reliability".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qualitative._alpha import AlphaInputError, krippendorff_alpha

CFIR_RATING_CATEGORIES: tuple[int, ...] = (-2, -1, 0, 1, 2)

__all__ = [
    "CFIR_RATING_CATEGORIES",
    "AlphaInputError",
    "RatingInputError",
    "krippendorff_alpha",
    "quadratic_weighted_kappa",
    "weighted_kappa_bootstrap_ci",
]

#: below this many cells a weighted kappa is reported with its bootstrap CI and a plain warning
FEW_CELLS = 30
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261208


class RatingInputError(ValueError):
    """Bad rating input; the message names the rater and position."""


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], categories: Sequence[int] = CFIR_RATING_CATEGORIES
) -> float | None:
    """Quadratic-weighted kappa for two raters on ordered categories.

    With O the observed proportion matrix, E = outer(row marginals, column marginals) and
    w_ij = (i - j)^2 / (k - 1)^2 over the category ranks i, j:
        kappa_w = 1 - sum(w * O) / sum(w * E)
    None when sum(w * E) == 0 (both raters used one and the same category throughout).
    Matches sklearn.metrics.cohen_kappa_score(a, b, labels=categories, weights="quadratic").
    """
    cats = list(categories)
    if len(cats) < 2 or len(set(cats)) != len(cats):
        raise RatingInputError(f"categories must hold at least 2 distinct values, got {cats!r}")
    if len(a) != len(b):
        raise RatingInputError(f"a and b must rate the same cases: {len(a)} ratings vs {len(b)}")
    if len(a) == 0:
        raise RatingInputError("a and b are empty: no ratings to compare")
    rank = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    observed = np.zeros((k, k))
    for i, (u, v) in enumerate(zip(a, b, strict=True)):
        if u not in rank:
            raise RatingInputError(f"a[{i}] = {u!r} is not one of the categories {cats}")
        if v not in rank:
            raise RatingInputError(f"b[{i}] = {v!r} is not one of the categories {cats}")
        observed[rank[u], rank[v]] += 1
    observed /= len(a)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    ranks = np.arange(k)
    weights = (ranks[:, None] - ranks[None, :]) ** 2 / (k - 1) ** 2
    denominator = float((weights * expected).sum())
    if denominator == 0:
        return None
    return 1.0 - float((weights * observed).sum()) / denominator


def weighted_kappa_bootstrap_ci(
    a: Sequence[int], b: Sequence[int], categories: Sequence[int] = CFIR_RATING_CATEGORIES,
    resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED, confidence: float = 0.95,
) -> dict[str, float | int | None]:
    """Percentile bootstrap CI of the quadratic-weighted kappa (no standard analytic SE: statsmodels leaves the
    weighted variance out): ``resamples`` resamples of the rated cells with replacement, drawn by
    ``numpy.random.default_rng(seed).integers(0, n, size=(resamples, n))`` so the interval is reproducible;
    resamples where kappa is undefined (one category throughout) are left out and counted. Percentiles by
    ``numpy.quantile`` (linear, Hyndman & Fan type 7). Efron & Tibshirani 1993, ch. 13.
    Returns ``{ci_low, ci_high, confidence, resamples, undefined, seed}``."""
    n = len(a)
    if n != len(b) or n == 0:
        raise RatingInputError(f"a and b must rate the same, non-empty cases: {len(a)} ratings vs {len(b)}")
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    aa, bb = np.asarray(a), np.asarray(b)
    values = [quadratic_weighted_kappa(aa[idx].tolist(), bb[idx].tolist(), categories) for idx in draws]
    defined = np.array([v for v in values if v is not None], dtype=float)
    out: dict[str, float | int | None] = {"ci_low": None, "ci_high": None, "confidence": confidence,
                                          "resamples": resamples, "undefined": resamples - defined.size, "seed": seed}
    if defined.size:
        tail = (1 - confidence) / 2
        out["ci_low"], out["ci_high"] = (float(q) for q in np.quantile(defined, [tail, 1 - tail]))
    return out
