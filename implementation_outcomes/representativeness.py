"""Representativeness of participants: standardized mean differences (SMD) vs eligible non-participants.

RE-AIM asks whether those reached resemble the eligible who were not (re-aim.org "Calculating and reporting
on Reach"). SMDs are sample-size free, so they suit 4 clinics of ~50 mothers; |d| >= 0.1 is the usual flag
for a meaningful imbalance (Austin 2009). Every function returns ``None`` when the SMD is undefined
(empty group, fewer than 2 values for an SD, zero spread in both groups, singular covariance).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from implementation_outcomes.errors import OutcomeDataError

VARIABLE_KINDS: tuple[str, ...] = ("continuous", "binary", "categorical")


def _present(values: Iterable[Any]) -> list[Any]:
    return [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def smd_continuous(group_a: Sequence[float], group_b: Sequence[float]) -> float | None:
    """d = (mean_a - mean_b) / sqrt((s_a^2 + s_b^2) / 2), sample variances (n - 1).

    Source: Austin PC (2009) Balance diagnostics for comparing the distribution of baseline covariates
    between treatment groups in propensity-score matched samples. Stat Med 28:3083-3107, eq. 1.
    """
    a = np.asarray(_present(group_a), dtype=float)
    b = np.asarray(_present(group_b), dtype=float)
    if a.size < 2 or b.size < 2:
        return None
    pooled = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    if pooled == 0:
        return None
    return float((a.mean() - b.mean()) / pooled)


def _binary(values: Sequence[Any], where: str) -> list[int]:
    out = []
    for v in _present(values):
        if v in (0, 1) or isinstance(v, bool):
            out.append(int(v))
        else:
            raise OutcomeDataError(f"{where}: binary variable has value {v!r}; expected 0/1 or True/False")
    return out


def smd_binary(group_a: Sequence[Any], group_b: Sequence[Any]) -> float | None:
    """d = (p_a - p_b) / sqrt((p_a(1 - p_a) + p_b(1 - p_b)) / 2) for 0/1 (or bool) values.

    Source: Austin 2009, Stat Med 28:3083-3107, eq. 2.
    """
    a, b = _binary(group_a, "group_a"), _binary(group_b, "group_b")
    if not a or not b:
        return None
    pa, pb = sum(a) / len(a), sum(b) / len(b)
    denom = math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / 2)
    if denom == 0:
        return None
    return (pa - pb) / denom


def smd_categorical(group_a: Sequence[Any], group_b: Sequence[Any]) -> float | None:
    """Multivariate SMD for a k-level categorical variable (always >= 0).

    d = sqrt((T - C)' S^-1 (T - C)), T and C the proportions of levels 2..k, S = (S_T + S_C) / 2 with
    S[i, i] = p_i (1 - p_i) and S[i, j] = -p_i p_j. Equals |binary SMD| when k = 2.
    Source: Yang D, Dalton JE (2012) A unified approach to measuring the effect size between two groups
    using SAS. SAS Global Forum paper 335-2012 (the categorical extension of Austin 2009).
    """
    a, b = _present(group_a), _present(group_b)
    if not a or not b:
        return None
    levels = sorted({*a, *b}, key=str)
    if len(levels) < 2:
        return None
    tail = levels[1:]
    t = np.array([a.count(level) / len(a) for level in tail])
    c = np.array([b.count(level) / len(b) for level in tail])

    def cov(p: np.ndarray) -> np.ndarray:
        return np.diag(p) - np.outer(p, p)

    s = (cov(t) + cov(c)) / 2
    diff = t - c
    if np.linalg.cond(s) > 1e12:  # a level absent from both groups, or no spread: undefined
        return None
    solved = np.linalg.solve(s, diff)
    return float(math.sqrt(max(float(diff @ solved), 0.0)))


def level_proportions(values: Sequence[Any]) -> dict[str, float]:
    """Share of each level among non-missing values (keys as strings, sorted)."""
    present = _present(values)
    levels = sorted({*present}, key=str)
    return {str(level): present.count(level) / len(present) for level in levels} if present else {}


def representativeness(
    participants: Sequence[Mapping[str, Any]],
    nonparticipants: Sequence[Mapping[str, Any]],
    variables: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Compare participants with eligible non-participants on each variable.

    ``variables`` maps a field name to ``"continuous"``, ``"binary"`` or ``"categorical"``. Missing values
    (None/NaN) are skipped and the non-missing n reported. Per variable returns ``{kind, n_participants,
    n_nonparticipants, participants, nonparticipants, smd}``; participants/nonparticipants hold
    ``{mean, sd}`` (continuous), ``{proportion}`` (binary) or level shares (categorical); categorical
    variables also get ``smd_by_level`` (binary SMD of each level vs the rest).
    Sources: RE-AIM "Calculating and reporting on Reach"; Austin 2009; Yang & Dalton 2012.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, kind in variables.items():
        if kind not in VARIABLE_KINDS:
            raise OutcomeDataError(f"variable {name!r}: kind {kind!r} is not one of {', '.join(VARIABLE_KINDS)}")
        a = _present(row.get(name) for row in participants)
        b = _present(row.get(name) for row in nonparticipants)
        entry: dict[str, Any] = {"kind": kind, "n_participants": len(a), "n_nonparticipants": len(b)}
        if kind == "continuous":
            entry["participants"] = _mean_sd(a)
            entry["nonparticipants"] = _mean_sd(b)
            entry["smd"] = smd_continuous(a, b)
        elif kind == "binary":
            entry["participants"] = {"proportion": sum(_binary(a, name)) / len(a) if a else None}
            entry["nonparticipants"] = {"proportion": sum(_binary(b, name)) / len(b) if b else None}
            entry["smd"] = smd_binary(a, b)
        else:
            entry["participants"] = level_proportions(a)
            entry["nonparticipants"] = level_proportions(b)
            entry["smd"] = smd_categorical(a, b)
            levels = sorted({*a, *b}, key=str)
            entry["smd_by_level"] = {
                str(level): smd_binary([v == level for v in a], [v == level for v in b]) for level in levels
            }
        out[name] = entry
    return out


def _mean_sd(values: Sequence[float]) -> dict[str, float | None]:
    arr = np.asarray(values, dtype=float)
    return {
        "mean": float(arr.mean()) if arr.size else None,
        "sd": float(arr.std(ddof=1)) if arr.size >= 2 else None,
    }
