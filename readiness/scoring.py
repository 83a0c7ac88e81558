"""Score raw survey answers into subscale scores, as a separate, versioned step.

Scoring rule "1.0" (project reference ``instruments.md``, "Scoring rules"; the 80% rule follows common practice for
mean-scored scales, e.g. Shea et al. 2014 score ORIC subscales as item means):

1. An answer of ``None``, NaN or the instrument's ``dont_know_code`` is missing (never 0): the extra option of
   likert items, or a choice of an imported radio/dropdown item that the director named the don't-know code.
2. Reverse-keyed items (subscale ``reverse_items`` or item ``reverse: true``) become ``max + min - x``, min and max
   being the item's substantive range (the don't-know code is not part of it).
3. A subscale of k items is scored only when at least ``ceil(share * k)`` items are answered
   (``share`` = ``score.min_answered_share``, 0.8 for the shipped instruments), else it is missing. What counts as
   answered is stated per instrument in its data file, ``missing_data``: a substantive option always; the
   don't-know option only when ``dont_know_counts_as_answered`` is true (then it counts toward the threshold but
   never enters the mean; false, the released behaviour, when absent). :func:`answered_rule` states it in words.
4. ``mean`` = mean of answered items; ``mean_x10`` = that mean x 10 (TCU convention);
   ``sum`` = prorated sum, mean of answered items x k.

Every score carries ``rule_version`` so an old wave can be re-scored with the rule it was scored under and give
identical numbers: rules are kept in ``_RULES`` by version and never edited once released (add a new version).
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date
from typing import Any

import numpy as np

from readiness.branching import evaluate, parse_branching
from readiness.instruments import CHOICE_TYPES, reverse_bounds

SCORING_RULE_VERSION = "1.0"


class ScoringError(ValueError):
    """Answers that cannot be scored (value outside an item's options, unknown rule version...)."""


def min_answered(share: float, k: int) -> int:
    """``ceil(share * k)``, guarded against float noise (0.8 * 5 must be 4, not 5)."""
    return math.ceil(round(share * k, 9))


def dont_know_counts_as_answered(definition: dict) -> bool:
    """The instrument's ``missing_data.dont_know_counts_as_answered`` (False when not stated)."""
    return bool((definition.get("missing_data") or {}).get("dont_know_counts_as_answered", False))


def answered_rule(definition: dict, subscale: dict) -> str:
    """The missing-data rule of one subscale in words, from the instrument's data file (pages and exports)."""
    k, share = len(subscale["items"]), subscale["score"]["min_answered_share"]
    text = (f"scored when at least {min_answered(share, k)} of its {k} items are answered "
            f"({share:.0%} rule); a blank is not answered")
    dk = definition.get("dont_know_code")
    if dk is not None:
        label = definition.get("dont_know_label") or "don't know"
        text += (f"; '{label}' ({dk}) counts as answered but never enters the mean"
                 if dont_know_counts_as_answered(definition) else f"; '{label}' ({dk}) is not answered")
    return text


def _options(item: dict, definition: dict) -> set | None:
    if item["type"] == "likert":
        return {o["value"] for o in definition["response_scales"][item["scale"]]}
    if item["type"] in CHOICE_TYPES:
        return {o["value"] for o in item["choices"]}
    return None


def _is_code(value: Any, code: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and value == code


def _item_value(item: dict, value: Any, definition: dict) -> float | None:
    """Rule 1.0 item step: missing -> None, else the numeric answer, checked against the item's options."""
    dk = definition.get("dont_know_code")
    if value is None or (isinstance(value, float) and math.isnan(value)) or (dk is not None and value == dk):
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScoringError(f"item {item['key']}: answer {value!r} is not a number")
    options = _options(item, definition)
    if options is not None and value not in options:
        raise ScoringError(f"item {item['key']}: answer {value!r} is not one of the options {sorted(options)}")
    return float(value)


def _subscale_v1(sub: dict, items: dict, answers: dict, definition: dict) -> dict:
    reverse = set(sub.get("reverse_items", [])) | {k for k in sub["items"] if items[k].get("reverse")}
    values = []
    for key in sub["items"]:
        x = _item_value(items[key], answers.get(key), definition)
        if x is None:
            continue
        if key in reverse:
            lo, hi = reverse_bounds(items[key], definition["response_scales"],  # type: ignore[misc]
                                    definition.get("dont_know_code"))
            x = hi + lo - x
        values.append(x)
    k, n = len(sub["items"]), len(values)
    method = sub["score"]["method"]
    dk = definition.get("dont_know_code")
    n_dk = sum(1 for key in sub["items"] if dk is not None and _is_code(answers.get(key), dk)) \
        if dont_know_counts_as_answered(definition) else 0
    missing = n == 0 or n + n_dk < min_answered(sub["score"]["min_answered_share"], k)
    score = None
    if not missing:
        mean = math.fsum(values) / n
        score = {"mean": mean, "mean_x10": mean * 10, "sum": mean * k}[method]
    return {"score": score, "n_answered": n, "n_items": k, "missing": missing, "method": method,
            "rule_version": "1.0"}


_RULES = {"1.0": _subscale_v1}


def score_response(definition: dict, answers: dict[str, Any], rule_version: str | None = None) -> dict[str, dict]:
    """Score one respondent: ``{subscale_key: {score, n_answered, n_items, missing, method, rule_version,
    instrument, instrument_version}}``. ``score`` is None when missing. See the module docstring for the rule."""
    version = rule_version or SCORING_RULE_VERSION
    rule = _RULES.get(version)
    if rule is None:
        raise ScoringError(f"unknown scoring rule version {version!r}; known: {sorted(_RULES)}")
    items = {item["key"]: item for item in definition["items"]}
    out = {}
    for sub in definition["subscales"]:
        result = rule(sub, items, answers, definition)
        result.update(instrument=definition["key"], instrument_version=definition["version"])
        out[sub["key"]] = result
    return out


def score_matrix(definition: dict, answers_matrix: Any, item_keys: list[str] | None = None,
                 rule_version: str | None = None) -> dict[str, np.ndarray]:
    """Vectorised rule 1.0 for many respondents: ``answers_matrix`` is n x items (float, NaN = missing, the
    don't-know code is also missing), columns in ``item_keys`` order (default: the definition's item order).
    Returns ``{subscale_key: float array of n scores, NaN where missing}``; equal to :func:`score_response`."""
    version = rule_version or SCORING_RULE_VERSION
    if version not in _RULES:
        raise ScoringError(f"unknown scoring rule version {version!r}; known: {sorted(_RULES)}")
    keys = item_keys or [item["key"] for item in definition["items"]]
    x = np.array(answers_matrix, dtype=float, copy=True)
    if x.ndim != 2 or x.shape[1] != len(keys):
        raise ScoringError(f"answers_matrix must be n x {len(keys)} (one column per item), got shape {x.shape}")
    dk = definition.get("dont_know_code")
    dont_know = (x == dk) if dk is not None else np.zeros(x.shape, dtype=bool)
    x[dont_know] = np.nan
    dk_counts = dont_know_counts_as_answered(definition)
    items = {item["key"]: item for item in definition["items"]}
    column = {key: j for j, key in enumerate(keys)}
    columns_by_options: dict[frozenset, list[int]] = {}
    for j, key in enumerate(keys):
        options = _options(items[key], definition) if key in items else None
        if options is not None:
            columns_by_options.setdefault(frozenset(options), []).append(j)
    for options, cols in columns_by_options.items():  # one vectorised check per distinct option set
        block = x[:, cols]
        bad = ~np.isnan(block) & ~np.isin(block, sorted(options))
        if bad.any():
            row, c = (int(v[0]) for v in np.nonzero(bad))
            raise ScoringError(f"row index {row} (0-based), item {keys[cols[c]]}: answer {block[row, c]:g} "
                               f"is not one of {sorted(options)}")
    out = {}
    for sub in definition["subscales"]:
        missing_cols = [k for k in sub["items"] if k not in column]
        if missing_cols:
            raise ScoringError(f"subscale {sub['key']}: no column for items {missing_cols}")
        block = x[:, [column[k] for k in sub["items"]]]
        reverse = set(sub.get("reverse_items", [])) | {k for k in sub["items"] if items[k].get("reverse")}
        for j, key in enumerate(sub["items"]):
            if key in reverse:
                lo, hi = reverse_bounds(items[key], definition["response_scales"], dk)  # type: ignore[misc]
                block[:, j] = hi + lo - block[:, j]
        answered = np.sum(~np.isnan(block), axis=1)
        counted = answered + (dont_know[:, [column[k] for k in sub["items"]]].sum(axis=1) if dk_counts else 0)
        k = len(sub["items"])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(block, axis=1) / answered
        mean[(counted < min_answered(sub["score"]["min_answered_share"], k)) | (answered == 0)] = np.nan
        factor = {"mean": 1.0, "mean_x10": 10.0, "sum": float(k)}[sub["score"]["method"]]
        out[sub["key"]] = mean * factor
    return out


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, float) and math.isnan(value))


def _check_value(item: dict, value: Any, definition: dict) -> str | None:
    """Message for a bad answer to one item, or None when it is acceptable."""
    kind = item["type"]
    if kind in ("likert", "radio", "dropdown"):
        options = _options(item, definition) or set()
        if kind == "likert" and definition.get("dont_know_code") is not None:
            options = options | {definition["dont_know_code"]}
        if isinstance(value, bool) or value not in options:
            return f"{value!r} is not one of the options {sorted(options, key=str)}"
    elif kind == "checkbox":
        options = _options(item, definition) or set()
        if not isinstance(value, (list, tuple)):
            return "must be a list of ticked option codes"
        unknown = [v for v in value if v not in options]
        if unknown:
            return f"{unknown!r} are not options of this item"
    elif kind in ("yesno", "truefalse"):
        if value not in (0, 1) or isinstance(value, float):
            return f"{value!r} must be 1 or 0"
    elif kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{value!r} is not a number"
        if kind == "integer" and not float(value).is_integer():
            return f"{value!r} is not a whole number"
        return _check_bounds(item, value)
    elif kind == "date":
        try:
            parsed = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            return f"{value!r} is not a date YYYY-MM-DD"
        return _check_bounds(item, value)
    elif kind == "email":
        if not isinstance(value, str) or not _EMAIL.match(value):
            return f"{value!r} is not an e-mail address"
    elif kind in ("text", "notes") and not isinstance(value, str):
        return f"{value!r} must be text"
    elif kind == "text" and item.get("pattern") and not re.fullmatch(item["pattern"], value.strip()):
        return f"{value!r} is not {item.get('format') or 'in the expected format'}"
    return None


def _check_bounds(item: dict, value: Any) -> str | None:
    if item.get("min") is not None and value < item["min"]:
        return f"{value!r} is below the minimum {item['min']!r}"
    if item.get("max") is not None and value > item["max"]:
        return f"{value!r} is above the maximum {item['max']!r}"
    return None


def validate_answers(definition: dict, answers: dict[str, Any]) -> dict[str, str]:
    """Problems with one respondent's answers as ``{item_key: message}`` (empty dict = valid).

    Checks: unknown item keys; required items left blank; values outside options or min/max; wrong types
    (integer, number, date YYYY-MM-DD, e-mail, checkbox lists). Items hidden by their branching logic are neither
    required nor checked (REDCap behaviour: hidden fields are not asked)."""
    items = {item["key"]: item for item in definition["items"]}
    errors = {key: "not an item of this instrument" for key in answers if key not in items}
    for item in definition["items"]:
        if item["type"] in ("descriptive", "data"):  # data-only fields are never asked
            continue
        if item.get("branching") and not evaluate(parse_branching(item["branching"]), answers):
            continue
        value = answers.get(item["key"])
        if _is_blank(value):
            if item.get("required"):
                errors[item["key"]] = "required"
            continue
        message = _check_value(item, value, definition)
        if message:
            errors[item["key"]] = message
    return errors
