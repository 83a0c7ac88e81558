"""Krippendorff's alpha by the coincidence-matrix method (nominal, ordinal, interval metrics).

Krippendorff K. (2011) Computing Krippendorff's alpha-reliability. Annenberg School for Communication, UPenn.
Used by ``agreement`` (nominal codes present/absent per unit) and ``rating_agreement`` (CFIR ratings -2..+2).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np

LEVELS = ("nominal", "ordinal", "interval")


class AlphaInputError(ValueError):
    """Bad reliability data for Krippendorff's alpha; the message names coder and unit."""


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def coincidence_matrix(
    reliability_data: Sequence[Sequence[Hashable | None]], level: str = "nominal"
) -> tuple[list[Hashable], np.ndarray]:
    """Values and the coincidence matrix o_ck of Krippendorff (2011).

    ``reliability_data`` is coders x units; None (or NaN) marks a missing value. Only units with at least two
    values (pairable) contribute: for a unit with m_u values and n_uc values c,
        o_ck += n_uc * n_uk / (m_u - 1)  (c != k),   o_cc += n_uc * (n_uc - 1) / (m_u - 1).
    Values are sorted for ordinal and interval data (their order matters), kept in first-seen order for nominal.
    """
    if level not in LEVELS:
        raise AlphaInputError(f"level must be one of {LEVELS}, got {level!r}")
    rows = [list(r) for r in reliability_data]
    if len(rows) < 2:
        raise AlphaInputError(f"reliability_data needs at least 2 coders (rows), got {len(rows)}")
    n_units = len(rows[0])
    for c, r in enumerate(rows):
        if len(r) != n_units:
            raise AlphaInputError(f"coder {c} has {len(r)} units, coder 0 has {n_units}: rows must be equally long")
        if level != "nominal":
            for u, v in enumerate(r):
                if not _is_missing(v) and (isinstance(v, bool) or not isinstance(v, int | float)):
                    raise AlphaInputError(f"coder {c}, unit {u}: {level} alpha needs numbers, got {v!r}")
    # Units with the same multiset of values add the same matrix, so each distinct multiset is added once,
    # times how often it occurs (presence data over thousands of turns has only a handful of them).
    patterns: Counter[frozenset] = Counter()
    seen: dict[Hashable, None] = {}
    for column, repeats in Counter(zip(*rows, strict=True)).items():  # identical units counted once
        present = [v for v in column if not _is_missing(v)]
        if len(present) >= 2:
            counts = Counter(present)
            for v in counts:
                seen.setdefault(v, None)
            patterns[frozenset(counts.items())] += repeats
    values = sorted(seen) if level != "nominal" else list(seen)
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for pattern, times in patterns.items():
        vec = np.zeros(len(values))
        for v, k in pattern:
            vec[index[v]] = k
        o += times * (np.outer(vec, vec) - np.diag(vec)) / (vec.sum() - 1)
    return values, o


def _delta_squared(values: list, marginals: np.ndarray, level: str) -> np.ndarray:
    """Difference function delta^2_ck (Krippendorff 2011, section D).

    nominal: 0 if c == k else 1; interval: (c - k)^2;
    ordinal: (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 with values in rank order and n_g the coincidence marginals.
    """
    v = len(values)
    if level == "nominal":
        return 1.0 - np.eye(v)
    if level == "interval":
        x = np.asarray(values, dtype=float)
        return (x[:, None] - x[None, :]) ** 2
    cum = np.concatenate(([0.0], np.cumsum(marginals)))
    d = np.zeros((v, v))
    for c in range(v):
        for k in range(c + 1, v):
            d[c, k] = d[k, c] = (cum[k + 1] - cum[c] - (marginals[c] + marginals[k]) / 2) ** 2
    return d


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[Hashable | None]], level: str = "nominal"
) -> float | None:
    """Krippendorff's alpha for 2+ coders with missing data: alpha = 1 - (n - 1) * sum o_ck d_ck / sum n_c n_k d_ck.

    ``reliability_data`` is coders x units (None or NaN = missing); ``level`` is "nominal", "ordinal" or
    "interval". Returns None when alpha is undefined (no pairable values, or a single value used throughout so
    the expected disagreement is 0). Krippendorff (2011): nominal example (4 coders x 12 units) gives .743.
    """
    values, o = coincidence_matrix(reliability_data, level)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return None
    d = _delta_squared(values, n_c, level)
    expected = float((np.outer(n_c, n_c) * d).sum())
    if expected == 0:
        return None
    observed = float((o * d).sum())
    return 1.0 - (n - 1) * observed / expected
