"""The trial's effectiveness measures and time points: a versioned data file (``data/outcome_measures.json``),
loaded, validated, and used to check every value entered (form, CSV or REDCap import) against its range.

Shape (``schema_version`` 1)::

    {version (semver), title, history: [{version, date, changes}],
     time_points: [{key, label, anchor ("consented_on" | "randomized_on"), offset_days, window_before_days,
                    window_after_days, before_randomization, note}],
     measures: [{key, label, instrument, citation, license, stores ("scores" | "items"), kind ("coded" |
                 "self_report" | "laboratory"), outcome ("primary" | "secondary"), primary_time_point,
                 analysis ("continuous" | "binary"), direction ("higher_better" | "lower_better"),
                 reliability_field? (coded measures: the field double coding is checked on), binary_outcome?,
                 time_points, enter_roles,
                 fields: [{key, label, type ("integer" | "number" | "result"), min?, max?, decimals?, required,
                           outcome?, sum_of?, at_least_each_of?, counts? (result fields), help?}]}]}

Licensed instruments (PSI-4-SF, BDI-II, BSI, NCAST, the PDI-RF coding manual) store their scores only, never
items. A ``result`` field is a urine toxicology result: ``negative``, ``positive`` or ``not_tested``; the
derived binary outcome ``any_illicit_positive`` is 1 when any field with ``counts`` is positive, 0 when every
counted field was tested and negative, and missing otherwise (prescribed MOUD fields are recorded, not counted).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from implementation_outcomes.errors import OutcomeDataError

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
FIELD_TYPES = frozenset({"integer", "number", "result"})
TOX_RESULTS: dict[str, str] = {"negative": "Negative", "positive": "Positive", "not_tested": "Not tested"}
ANCHORS = frozenset({"consented_on", "randomized_on"})
KINDS = frozenset({"coded", "self_report", "laboratory"})
ENTER_ROLES = frozenset({"outcome_assessor", "trial_staff"})
#: the slots a value may fill: every measure has a primary value; coded measures may be double coded
CODER_SLOTS: dict[str, str] = {"primary": "Primary coder / entry", "second": "Second coder (double coding)"}


class MeasureDefinitionError(OutcomeDataError):
    """The measures data file is malformed; each message names the JSON path."""


class MeasureValueError(OutcomeDataError):
    """Values for a measure were refused; ``fields`` maps each field key (or "") to its message."""

    def __init__(self, fields: dict[str, str]):
        self.fields = dict(fields)
        super().__init__([f"{k}: {v}" if k else v for k, v in self.fields.items()])


def validate_definitions(data: Any) -> None:
    """Every problem of a measures file at once (``MeasureDefinitionError``), each naming its JSON path."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise MeasureDefinitionError("top level: must be an object")
    if not SEMVER.match(str(data.get("version", ""))):
        errors.append("version: must be semver like 1.0.0")
    if not data.get("history"):
        errors.append("history: at least one entry")
    tps = data.get("time_points") or []
    tp_keys = [tp.get("key") for tp in tps if isinstance(tp, dict)]
    if not tps or len(set(tp_keys)) != len(tps):
        errors.append("time_points: a non-empty list of objects with unique keys")
    for i, tp in enumerate(tps):
        path = f"time_points[{i}]"
        if not isinstance(tp, dict):
            continue
        if not KEY.match(str(tp.get("key", ""))):
            errors.append(f"{path}.key: lowercase letters, digits and _")
        if tp.get("anchor") not in ANCHORS:
            errors.append(f"{path}.anchor: one of {', '.join(sorted(ANCHORS))}")
        for name in ("offset_days", "window_before_days", "window_after_days"):
            if not isinstance(tp.get(name), int) or isinstance(tp.get(name), bool) or tp.get(name) < 0:
                errors.append(f"{path}.{name}: a whole number of days, 0 or more")
    measures = data.get("measures") or []
    if len({m.get("key") for m in measures if isinstance(m, dict)}) != len(measures) or not measures:
        errors.append("measures: a non-empty list with unique keys")
    for i, m in enumerate(measures):
        errors.extend(_measure_errors(m, f"measures[{i}]", tp_keys))
    if errors:
        raise MeasureDefinitionError(errors)


def _measure_errors(m: Any, path: str, tp_keys: list) -> list[str]:
    if not isinstance(m, dict):
        return [f"{path}: must be an object"]
    errors = []
    for name in ("key", "label", "instrument", "citation", "license"):
        if not isinstance(m.get(name), str) or not m.get(name):
            errors.append(f"{path}.{name}: required text")
    if m.get("stores") not in ("scores", "items"):
        errors.append(f"{path}.stores: scores or items")
    if m.get("kind") not in KINDS:
        errors.append(f"{path}.kind: one of {', '.join(sorted(KINDS))}")
    if m.get("outcome") not in ("primary", "secondary"):
        errors.append(f"{path}.outcome: primary or secondary")
    if m.get("analysis") not in ("continuous", "binary"):
        errors.append(f"{path}.analysis: continuous or binary")
    if m.get("direction") not in ("higher_better", "lower_better"):
        errors.append(f"{path}.direction: higher_better or lower_better")
    if not m.get("time_points") or any(t not in tp_keys for t in m.get("time_points", [])):
        errors.append(f"{path}.time_points: keys of time_points")
    if m.get("primary_time_point") not in (m.get("time_points") or []):
        errors.append(f"{path}.primary_time_point: one of the measure's time points")
    if not m.get("enter_roles") or any(r not in ENTER_ROLES for r in m.get("enter_roles", [])):
        errors.append(f"{path}.enter_roles: among {', '.join(sorted(ENTER_ROLES))}")
    fields = m.get("fields") or []
    keys = [f.get("key") for f in fields if isinstance(f, dict)]
    if not fields or len(set(keys)) != len(fields):
        errors.append(f"{path}.fields: a non-empty list with unique keys")
    for j, f in enumerate(fields):
        fpath = f"{path}.fields[{j}]"
        if not isinstance(f, dict) or not KEY.match(str(f.get("key", ""))):
            errors.append(f"{fpath}.key: lowercase letters, digits and _")
            continue
        if f.get("type") not in FIELD_TYPES:
            errors.append(f"{fpath}.type: one of {', '.join(sorted(FIELD_TYPES))}")
        if f.get("type") in ("integer", "number"):
            lo, hi = f.get("min"), f.get("max")
            if not isinstance(lo, int | float) or not isinstance(hi, int | float) or lo >= hi:
                errors.append(f"{fpath}: min < max required")
        for rule in ("sum_of", "at_least_each_of"):
            if any(k not in keys for k in f.get(rule, [])):
                errors.append(f"{fpath}.{rule}: keys of this measure's fields")
    if m.get("kind") == "coded" and m.get("reliability_field") not in keys:
        errors.append(f"{path}.reliability_field: a coded measure names the field its double coding is checked on")
    if m.get("analysis") == "continuous" and sum(1 for f in fields if isinstance(f, dict) and f.get("outcome")) != 1:
        errors.append(f"{path}.fields: exactly one field marked outcome")
    if m.get("analysis") == "binary" and m.get("binary_outcome") != "any_illicit_positive":
        errors.append(f"{path}.binary_outcome: any_illicit_positive")
    return errors


@functools.cache
def _packaged() -> dict[str, Any]:
    text = resources.files("implementation_outcomes.effectiveness").joinpath("data/outcome_measures.json").read_text()
    data = json.loads(text)
    validate_definitions(data)
    return data


def load_definitions() -> dict[str, Any]:
    """The packaged, validated measures file (read once; callers must not mutate it)."""
    return _packaged()


def measures() -> list[dict[str, Any]]:
    return load_definitions()["measures"]


def measure(key: str) -> dict[str, Any]:
    for m in measures():
        if m["key"] == key:
            return m
    raise KeyError(key)


def measure_labels() -> dict[str, str]:
    return {m["key"]: m["label"] for m in measures()}


def time_points() -> list[dict[str, Any]]:
    return load_definitions()["time_points"]


def time_point_labels() -> dict[str, str]:
    return {tp["key"]: tp["label"] for tp in time_points()}


def outcome_field(m: Mapping[str, Any]) -> str:
    """The field analysed for a continuous measure (the derived ``any_illicit_positive`` for a binary one)."""
    if m["analysis"] == "binary":
        return m["binary_outcome"]
    return next(f["key"] for f in m["fields"] if f.get("outcome"))


def field_range_text(f: Mapping[str, Any]) -> str:
    if f["type"] == "result":
        return " / ".join(TOX_RESULTS)
    return f"{_fmt(f['min'])} to {_fmt(f['max'])}" + (" (whole number)" if f["type"] == "integer" else "")


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def parse_values(m: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values for measure ``m`` from ``raw`` (strings from a form or a CSV cell, or numbers), or
    ``MeasureValueError`` naming every refused field at once.

    Rules: a required field must be present; numbers lie within [min, max] (``integer`` fields whole numbers,
    ``number`` fields rounded to ``decimals`` when given); results are negative / positive / not_tested; a field with
    ``sum_of`` equals the sum of those fields (PSI-4-SF total = PD + P-CDI + DC, Abidin 2012; NCAST total =
    caregiver + child); a field with ``at_least_each_of`` is at least each of them (days of any use >= days of
    each substance). Fields not in the definition are refused (scores only for licensed instruments)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    known = {f["key"] for f in m["fields"]}
    for key in raw:
        if key not in known and raw[key] not in (None, ""):
            errors[key] = f"not a field of {m['label']} (fields: {', '.join(sorted(known))})"
    for f in m["fields"]:
        value = raw.get(f["key"])
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if f.get("required"):
                errors[f["key"]] = f"{f['label']}: required ({field_range_text(f)})"
            continue
        try:
            values[f["key"]] = _typed(f, value)
        except ValueError as exc:
            errors[f["key"]] = f"{f['label']}: {exc}"
    for f in m["fields"]:
        key = f["key"]
        if key not in values or key in errors:
            continue
        parts = f.get("sum_of")
        if parts and all(p in values for p in parts):
            total = sum(values[p] for p in parts)
            if not math.isclose(values[key], total, abs_tol=1e-9):
                errors[key] = f"{f['label']}: {_fmt(values[key])} is not the sum of its parts ({_fmt(total)})"
        for p in f.get("at_least_each_of", []):
            if p in values and values[p] > values[key]:
                errors[key] = f"{f['label']}: {_fmt(values[key])} is fewer than the days of one substance ({p}: " \
                              f"{_fmt(values[p])})"
                break
    if errors:
        raise MeasureValueError(errors)
    return values


def _typed(f: Mapping[str, Any], value: Any) -> Any:
    if f["type"] == "result":
        text = str(value).strip().lower().replace(" ", "_")
        aliases = {"neg": "negative", "pos": "positive", "0": "negative", "1": "positive", "nt": "not_tested"}
        text = aliases.get(text, text)
        if text not in TOX_RESULTS:
            raise ValueError(f"{value!r} is not one of negative, positive, not_tested")
        return text
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a number")
    if f["type"] == "integer":
        if not number.is_integer():
            raise ValueError(f"{value!r} must be a whole number")
        number = int(number)
    elif "decimals" in f:
        number = round(number, f["decimals"])
    if number < f["min"] or number > f["max"]:
        raise ValueError(f"{_fmt(number)} is outside {field_range_text(f)}")
    return number


def outcome_value(m: Mapping[str, Any], values: Mapping[str, Any]) -> float | None:
    """The analysed value of one assessment: the outcome field, or for a binary measure ``any_illicit_positive``
    (1 when a counted substance is positive, 0 when all counted substances were tested negative, else None)."""
    if m["analysis"] == "binary":
        counted = [f["key"] for f in m["fields"] if f.get("counts")]
        results = [values.get(k) for k in counted]
        if any(r == "positive" for r in results):
            return 1.0
        if all(r == "negative" for r in results):
            return 0.0
        return None
    value = values.get(outcome_field(m))
    return None if value is None else float(value)
