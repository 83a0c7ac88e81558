"""Cross-case comparison for Aim 3 (pure: plain data in and out): high/low splits of an outcome, group differences,
crisp-set calibration, truth tables with consistency and coverage, and the case x condition table R reads.

Group split of an outcome (descriptive; with 4 clinics or 16 counselors there is no inference here):
    median split: threshold = median of the cases' values; a case is "high" when value > median, else "low"
    (ties at the median go low, so two equal middle values never land in different groups);
    user threshold t: "high" when value >= t, else "low". Cases without a value are in neither group.
Group difference: mean of the high group - mean of the low group, each with its n (missing values left out).

Crisp sets (Ragin 2008, Redesigning Social Inquiry, ch. 3 and 5; Schneider & Wagemann 2012, Set-Theoretic
Methods for the Social Sciences, ch. 1 and 5):
    calibration: X = 1 when value >= threshold, else 0 (missing stays missing); a condition (or the outcome)
    without a threshold is split at the cases' median (1 when above it, as the group split). Schneider & Wagemann
    (2012, ch. 1) ask for thresholds set from knowledge of the concept, not the data's distribution: the median
    is a default that usually keeps variation among few cases, and every threshold can be set per condition;
    a truth-table row is one observed configuration of the conditions; membership of a case in a row is 1 when its
    calibrated values equal the configuration, else 0;
    consistency (sufficiency inclusion, ``incl`` in R's QCA) = sum(min(X, Y)) / sum(X);
    coverage = sum(min(X, Y)) / sum(Y), with X the row membership and Y the outcome.
For crisp sets these are (cases in the row with the outcome) / (cases in the row) and / (cases with the outcome).
Cases with a missing condition or outcome are left out of the table and reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from statistics import fmean, median
from typing import Any

__all__ = ["ConfigurationalInputError", "calibrate", "calibrate_condition", "case_condition_table", "consistency",
           "coverage",
           "group_difference", "means_by_case", "r_name", "split_groups", "truth_table"]


class ConfigurationalInputError(ValueError):
    """Bad input; the message names the case, condition or value."""


def _number(case: Hashable, value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationalInputError(f"case {case!r}: {what} {value!r} is not a finite number")
    return float(value)


def split_groups(values: Mapping[Hashable, float | None], threshold: float | None = None
                 ) -> tuple[dict[Hashable, str | None], float | None]:
    """``({case: "high" | "low" | None}, threshold used)``: a median split when ``threshold`` is None, else the
    user's threshold (see the module for the rule). The threshold is None when no case has a value."""
    clean = {case: _number(case, v, "outcome") for case, v in values.items()}
    present = [v for v in clean.values() if v is not None]
    if threshold is not None:
        cut = _number("threshold", threshold, "threshold")
        return {c: None if v is None else ("high" if v >= cut else "low") for c, v in clean.items()}, cut
    if not present:
        return dict.fromkeys(clean), None
    cut = float(median(present))
    return {c: None if v is None else ("high" if v > cut else "low") for c, v in clean.items()}, cut


def group_difference(values: Mapping[Hashable, float | None], groups: Mapping[Hashable, str | None]
                     ) -> dict[str, Any]:
    """``{high_n, high_mean, low_n, low_mean, difference}`` (difference = high mean - low mean; None when a group
    has no value)."""
    high, low = [], []
    for case, group in groups.items():
        if group not in ("high", "low", None):
            raise ConfigurationalInputError(f"case {case!r}: group {group!r} is not high, low or None")
        value = _number(case, values.get(case), "value")
        if group is None or value is None:
            continue
        (high if group == "high" else low).append(value)
    high_mean = fmean(high) if high else None
    low_mean = fmean(low) if low else None
    return {"high_n": len(high), "high_mean": high_mean, "low_n": len(low), "low_mean": low_mean,
            "difference": None if high_mean is None or low_mean is None else high_mean - low_mean}


def means_by_case(observations: Iterable[tuple[Hashable, float | None]]) -> dict[Hashable, dict[str, Any]]:
    """``{case: {"mean", "n"}}`` over (case, value) pairs, missing values left out (e.g. a counselor's mean dose =
    mean attended sessions over the mothers she was assigned)."""
    found: dict[Hashable, list[float]] = {}
    for case, value in observations:
        number = _number(case, value, "value")
        found.setdefault(case, [])
        if number is not None:
            found[case].append(number)
    return {case: {"mean": fmean(v) if v else None, "n": len(v)} for case, v in found.items()}


def calibrate(value: float | None, threshold: float) -> int | None:
    """Crisp calibration: 1 when ``value >= threshold``, 0 below, None when missing."""
    number = _number("value", value, "value")
    cut = _number("threshold", threshold, "threshold")
    if cut is None:
        raise ConfigurationalInputError("threshold is missing")
    return None if number is None else int(number >= cut)


def calibrate_condition(values: Mapping[Hashable, float | None], threshold: float | None = None
                        ) -> tuple[dict[Hashable, int | None], float | None]:
    """``({case: 1 | 0 | None}, threshold used)``: crisp memberships of one condition (or the outcome) in the set.
    With ``threshold``: 1 when value >= threshold (:func:`calibrate`); without: 1 when above the cases' median
    (:func:`split_groups`, ties low). The threshold used is None only when no case has a value."""
    groups, cut = split_groups(values, threshold)
    return {case: None if group is None else int(group == "high") for case, group in groups.items()}, cut


def _membership(case: Hashable, value: Any, what: str) -> float:
    number = _number(case, value, what)
    if number is None or not 0 <= number <= 1:
        raise ConfigurationalInputError(f"case {case!r}: {what} {value!r} is not a set membership in 0..1")
    return number


def consistency(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Sufficiency consistency sum(min(X, Y)) / sum(X) (Ragin 2008); None when sum(X) = 0."""
    if len(x) != len(y):
        raise ConfigurationalInputError(f"X has {len(x)} cases, Y has {len(y)}")
    xs = [_membership(i, v, "X") for i, v in enumerate(x)]
    ys = [_membership(i, v, "Y") for i, v in enumerate(y)]
    total = sum(xs)
    return None if total == 0 else sum(min(a, b) for a, b in zip(xs, ys, strict=True)) / total


def coverage(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Coverage sum(min(X, Y)) / sum(Y) (Ragin 2008); None when sum(Y) = 0."""
    return consistency(y, x)


def truth_table(cases: Mapping[Hashable, Mapping[str, int | None]], outcome: Mapping[Hashable, int | None],
                conditions: Sequence[str]) -> dict[str, Any]:
    """The crisp truth table of ``cases`` (case -> {condition: 0/1/None}) for ``outcome`` (case -> 0/1/None).

    Returns ``{conditions, rows: [{configuration: {condition: 0/1}, cases: [...], n, outcome_n, consistency,
    coverage}], left_out: [cases], remainders: int, n_cases, n_outcome}``. Rows are the observed configurations in
    the order R's QCA prints them (the configuration read as a binary number, first condition most significant);
    remainders = logically possible configurations without a case (2^k - observed rows)."""
    if not conditions:
        raise ConfigurationalInputError("choose at least one condition")
    if len(set(conditions)) != len(conditions):
        raise ConfigurationalInputError(f"conditions repeat: {list(conditions)}")
    complete: dict[Hashable, tuple[tuple[int, ...], int]] = {}
    left_out = []
    for case, values in cases.items():
        y = outcome.get(case)
        xs = [values.get(c) for c in conditions]
        for name, v in (("outcome", y), *zip(conditions, xs, strict=True)):
            if v is not None and v not in (0, 1):
                raise ConfigurationalInputError(f"case {case!r}: {name} {v!r} is not 0, 1 or missing")
        if y is None or any(v is None for v in xs):
            left_out.append(case)
            continue
        complete[case] = (tuple(int(v) for v in xs), int(y))
    ys = [y for _config, y in complete.values()]
    rows = []
    for config in sorted({config for config, _y in complete.values()}):
        members = [case for case, (c, _y) in complete.items() if c == config]
        x = [1 if c == config else 0 for c, _y in complete.values()]
        rows.append({"configuration": dict(zip(conditions, config, strict=True)), "cases": members,
                     "n": len(members), "outcome_n": sum(complete[m][1] for m in members),
                     "consistency": consistency(x, ys), "coverage": coverage(x, ys)})
    return {"conditions": list(conditions), "rows": rows, "left_out": left_out,
            "remainders": 2 ** len(conditions) - len(rows), "n_cases": len(complete), "n_outcome": sum(ys)}


_NOT_NAME = re.compile(r"[^A-Za-z0-9._]")


def r_name(label: str) -> str:
    """A syntactically valid R name for a column (letters, digits, dot, underscore; starts with a letter)."""
    name = _NOT_NAME.sub("_", label.strip()) or "X"
    return name if name[0].isalpha() else f"X{name}"


def case_condition_table(cases: Mapping[str, Mapping[str, int | None]], outcome: Mapping[str, int | None],
                         conditions: Sequence[str], outcome_name: str) -> tuple[list[str], list[list]]:
    """Headers and rows for the CSV R's ``cna`` and ``QCA`` read: the case name first (row names), then one column
    per condition and the outcome, 0/1 values; cases with a missing value are left out (QCA refuses NA).
    Column names are passed through :func:`r_name` and must stay distinct."""
    names = [r_name(c) for c in conditions] + [r_name(outcome_name)]
    if len(set(names)) != len(names):
        raise ConfigurationalInputError(f"column names collide after making them R names: {names}")
    rows = []
    for case, values in cases.items():
        row = [values.get(c) for c in conditions] + [outcome.get(case)]
        if any(v is None for v in row):
            continue
        rows.append([case, *row])
    return ["case", *names], rows
