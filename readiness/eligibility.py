"""Counselor eligibility for the MIO hybrid trial, one pass/fail/pending per criterion.

Criteria: the trial protocol's counselor inclusion criteria (``context/mio-hybrid-trial.txt``, "Counselor
Subjects"; project reference ``instruments.md``, "Counselor eligibility"). The Clinical Reflective Functioning
Scale mean is a rater-scored input on the conventional reflective-functioning range -1 to 9 (Fonagy et al. 1998,
Reflective-Functioning Manual); it passes when strictly greater than 4.

Inputs are ``{input_key: value}`` or ``{input_key: {"value": v, "entered_by": "who"}}``; a missing input or
``None`` makes its criterion ``pending``. Overall: any ``fail`` -> ``not_eligible``; else any ``pending`` ->
``pending``; else ``eligible``.
"""

from __future__ import annotations

import math
from typing import Any

DEGREE_LEVELS = ("none", "high_school", "associate", "bachelor", "master", "doctorate")
DEGREE_FIELDS = ("psychology", "social_work", "counseling", "related", "other")
CRFS_RANGE = (-1.0, 9.0)

CRITERIA: list[dict[str, Any]] = [
    {"key": "age_21_or_older", "label": "Age 21 years or older", "inputs": ["age_years"],
     "rule": {"kind": "at_least", "value": 21}, "entered_by_role": "counselor"},
    {"key": "employed_addiction_counselor",
     "label": "Employed as an addiction counselor at a participating agency in a target clinic",
     "inputs": ["employed_as_addiction_counselor"], "rule": {"kind": "is_true"},
     "entered_by_role": "clinic_administrator"},
    {"key": "degree", "label": "Bachelor's degree or higher in psychology, social work, counseling or a related field",
     "inputs": ["degree_level", "degree_field"], "rule": {"kind": "degree", "min_level": "bachelor"},
     "entered_by_role": "counselor"},
    {"key": "approval_supervision", "label": "Administrative approval for 1 hour of supervision every two weeks",
     "inputs": ["approval_supervision"], "rule": {"kind": "is_true"}, "entered_by_role": "clinic_administrator"},
    {"key": "approval_delivery", "label": "Administrative approval for 2-3 hours a week of MIO delivery",
     "inputs": ["approval_delivery"], "rule": {"kind": "is_true"}, "entered_by_role": "clinic_administrator"},
    {"key": "no_planned_leave",
     "label": "Does not intend to give notice and no medical or family leave scheduled during the study",
     "inputs": ["planned_notice_or_leave"], "rule": {"kind": "is_false"}, "entered_by_role": "counselor"},
    {"key": "willing_recorded", "label": "Willing to have counseling and supervision sessions recorded",
     "inputs": ["willing_to_be_recorded"], "rule": {"kind": "is_true"}, "entered_by_role": "counselor"},
    {"key": "crfs_mean_above_4", "label": "Clinical Reflective Functioning Scale mean greater than 4",
     "inputs": ["crfs_mean"], "rule": {"kind": "greater_than", "value": 4, "range": list(CRFS_RANGE)},
     "entered_by_role": "rater"},
    {"key": "supervisor_judges_capable",
     "label": "Judged by the supervisor capable of the responsibilities of a trial counselor "
              "(prompt delivery, study procedures, supervision)",
     "inputs": ["supervisor_judges_capable"], "rule": {"kind": "is_true"}, "entered_by_role": "supervisor"},
]


class EligibilityInputError(ValueError):
    """An eligibility input of the wrong type or out of range; the message names the input."""


def _unwrap(raw: Any) -> tuple[Any, Any]:
    if isinstance(raw, dict):
        return raw.get("value"), raw.get("entered_by")
    return raw, None


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise EligibilityInputError(f"input {key}: {value!r} is not a number")
    return float(value)


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise EligibilityInputError(f"input {key}: {value!r} must be true or false")
    return value


def _judge(rule: dict, keys: list[str], values: list[Any], words: dict[str, str] | None = None) -> tuple[str, str]:
    """(status, reason); the reason names each input and choice by ``words`` (key -> label) when given, else by its
    key (plain data callers)."""
    words = words or {}
    name = words.get(keys[0], keys[0])
    kind = rule["kind"]
    if kind == "at_least":
        x = _number(keys[0], values[0])
        return ("pass" if x >= rule["value"] else "fail"), f"{name}: {x:g} (needs at least {rule['value']:g})"
    if kind == "greater_than":
        x = _number(keys[0], values[0])
        lo, hi = rule["range"]
        if not lo <= x <= hi:
            raise EligibilityInputError(f"input {keys[0]}: {x:g} is outside the scale range {lo:g} to {hi:g}")
        return ("pass" if x > rule["value"] else "fail"), f"{name}: {x:g} (needs more than {rule['value']:g})"
    if kind in ("is_true", "is_false"):
        x = _flag(keys[0], values[0])
        ok = x if kind == "is_true" else not x
        return ("pass" if ok else "fail"), f"{name}: {'yes' if x else 'no'}"
    if kind == "degree":
        level, field = values
        if level not in DEGREE_LEVELS:
            raise EligibilityInputError(f"input {keys[0]}: {level!r} is not one of {DEGREE_LEVELS}")
        if field not in DEGREE_FIELDS:
            raise EligibilityInputError(f"input {keys[1]}: {field!r} is not one of {DEGREE_FIELDS}")
        high_enough = DEGREE_LEVELS.index(level) >= DEGREE_LEVELS.index(rule["min_level"])
        ok = high_enough and field != "other"
        return ("pass" if ok else "fail"), f"{words.get(level, level)} in {words.get(field, field)}"
    raise EligibilityInputError(f"unknown rule kind {kind!r}")


def evaluate(inputs: dict[str, Any], criteria: list[dict[str, Any]] | None = None,
             words: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One result per criterion: ``{key, label, status (pass|fail|pending), reason, entered_by_role, entered_by}``.

    ``entered_by_role`` is who is expected to enter the input; ``entered_by`` lists who did (from wrapped inputs)."""
    results = []
    for criterion in criteria or CRITERIA:
        keys = criterion["inputs"]
        unwrapped = [_unwrap(inputs.get(key)) for key in keys]
        values = [value for value, _ in unwrapped]
        entered_by = [who for _, who in unwrapped if who is not None]
        missing = [key for key, value in zip(keys, values, strict=True) if value is None]
        if missing:
            status, reason = "pending", f"waiting for {', '.join((words or {}).get(k, k) for k in missing)}"
        else:
            status, reason = _judge(criterion["rule"], keys, values, words)
        results.append({"key": criterion["key"], "label": criterion["label"], "status": status, "reason": reason,
                        "entered_by_role": criterion["entered_by_role"], "entered_by": entered_by})
    return results


def overall_status(results: list[dict[str, Any]]) -> str:
    """``not_eligible`` if any criterion fails, else ``pending`` if any is pending, else ``eligible``."""
    statuses = {r["status"] for r in results}
    if "fail" in statuses:
        return "not_eligible"
    return "pending" if "pending" in statuses else "eligible"
