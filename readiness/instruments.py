"""Instrument definitions: versioned JSON data files, loaded and validated.

An instrument definition is a plain dict (JSON) with this shape (``schema_version`` 1)::

    {key, version (semver), title, citation, doi?, license, instructions,
     dont_know_code?, dont_know_label?,            # an extra option on likert items, scored as missing (on an
                                                   # imported radio/dropdown item: one of its choices)
     response_scales: {name: [{value, label}]},
     items: [{key, text, type, number?, scale?, choices?, required, min?, max?, section?, note?,
              branching? (REDCap-like expression), reverse?}],
     subscales: [{key, label, items, reverse_items, score: {method, min_answered_share}, profile_component?}],
                                                   # items: scorable (scorable_items), one numeric range each
     missing_data?: {answered, dont_know_counts_as_answered},   # what counts as answered for the
                                                   # min_answered_share rule (readiness/scoring.py reads it)
     profile_component?, scoring_version, history: [{version, date, changes}],
     record_id_field?}                              # REDCap import: key of the first item, the record ID

``profile_component`` places a subscale in the R = MC^2 readiness heuristic (Scaccia et al. 2015,
J Community Psychol 43:484): ``motivation``, ``general_capacity`` or ``innovation_specific_capacity``.
Shipped choices: ORIC change commitment -> motivation (shared resolve to implement); ORIC change efficacy ->
innovation_specific_capacity (efficacy judged for *this* change, not general functioning); AIM and IAM ->
motivation (acceptability and compatibility/fit are motivation subcomponents); FIM -> innovation_specific_capacity
(perceived ability to carry MIO out here).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

ITEM_TYPES = frozenset(
    {"likert", "radio", "dropdown", "checkbox", "yesno", "truefalse", "text", "notes", "descriptive",
     "integer", "number", "date", "email", "data"}
)
CHOICE_TYPES = frozenset({"radio", "dropdown", "checkbox"})
SCORED_TYPES = ("likert", "radio", "dropdown", "integer", "number")
SCORE_METHODS = frozenset({"mean", "mean_x10", "sum"})
PROFILE_COMPONENTS = frozenset({"motivation", "general_capacity", "innovation_specific_capacity"})
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_REQUIRED_TOP = ("key", "version", "title", "citation", "license", "instructions", "response_scales",
                 "items", "subscales", "scoring_version")


class InstrumentDefinitionError(ValueError):
    """An instrument definition is malformed; ``path`` names the bad field (e.g. ``items[3].scale``)."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


def _need(d: dict, field: str, kind: type | tuple[type, ...], path: str) -> Any:
    if field not in d:
        raise InstrumentDefinitionError(f"{path}{field}", "is required")
    value = d[field]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise InstrumentDefinitionError(f"{path}{field}", f"must be {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _validate_options(options: Any, path: str) -> set:
    if not isinstance(options, list) or not options:
        raise InstrumentDefinitionError(path, "must be a non-empty list of {value, label}")
    values: set = set()
    for j, opt in enumerate(options):
        p = f"{path}[{j}]"
        if not isinstance(opt, dict):
            raise InstrumentDefinitionError(p, "must be an object {value, label}")
        value = _need(opt, "value", (int, str), f"{p}.")
        _need(opt, "label", str, f"{p}.")
        if value in values:
            raise InstrumentDefinitionError(f"{p}.value", f"duplicate value {value!r}")
        values.add(value)
    return values


def _validate_item(item: Any, i: int, scales: dict, seen: set) -> None:
    p = f"items[{i}]"
    if not isinstance(item, dict):
        raise InstrumentDefinitionError(p, "must be an object")
    key = _need(item, "key", str, f"{p}.")
    if not KEY.match(key):
        raise InstrumentDefinitionError(f"{p}.key", f"{key!r} must be lower-case letters, digits, underscores")
    if key in seen:
        raise InstrumentDefinitionError(f"{p}.key", f"duplicate item key {key!r}")
    seen.add(key)
    _need(item, "text", str, f"{p}.")
    kind = _need(item, "type", str, f"{p}.")
    if kind not in ITEM_TYPES:
        raise InstrumentDefinitionError(f"{p}.type", f"unknown type {kind!r}; expected one of {sorted(ITEM_TYPES)}")
    if "required" in item and not isinstance(item["required"], bool):
        raise InstrumentDefinitionError(f"{p}.required", "must be true or false")
    if "reverse" in item and not isinstance(item["reverse"], bool):
        raise InstrumentDefinitionError(f"{p}.reverse", "must be true or false")
    if kind == "likert":
        scale = _need(item, "scale", str, f"{p}.")
        if scale not in scales:
            raise InstrumentDefinitionError(f"{p}.scale", f"unknown response scale {scale!r}")
    if kind in CHOICE_TYPES:
        _validate_options(item.get("choices"), f"{p}.choices")
    for bound in ("min", "max"):
        if bound in item and item[bound] is not None:
            if kind in ("integer", "number"):
                if not isinstance(item[bound], (int, float)) or isinstance(item[bound], bool):
                    raise InstrumentDefinitionError(f"{p}.{bound}", "must be a number")
            elif kind == "date":
                if not isinstance(item[bound], str) or not DATE.match(item[bound]):
                    raise InstrumentDefinitionError(f"{p}.{bound}", "must be a date YYYY-MM-DD")
            else:
                raise InstrumentDefinitionError(f"{p}.{bound}", f"min/max are not allowed on {kind} items")
    for text_field in ("section", "branching", "note", "pattern", "format", "validation"):
        if text_field in item and item[text_field] is not None and not isinstance(item[text_field], str):
            raise InstrumentDefinitionError(f"{p}.{text_field}", "must be a string")
    if item.get("pattern"):
        try:
            re.compile(item["pattern"])
        except re.error as exc:
            raise InstrumentDefinitionError(f"{p}.pattern", f"is not a regular expression: {exc}") from None


def _validate_subscale(sub: Any, i: int, items_by_key: dict, scales: dict, dont_know: Any = None) -> None:
    """One subscale: a key and a label; its items exist, once each, and can be scored: a numeric range of at least
    two values (reverse keying is ``max + min - x``; the band of the subscale reads its range); reverse items
    belong to it; a known score method and answered share; a known profile component."""
    p = f"subscales[{i}]"
    if not isinstance(sub, dict):
        raise InstrumentDefinitionError(p, "must be an object")
    key = _need(sub, "key", str, f"{p}.")
    if not KEY.match(key):
        raise InstrumentDefinitionError(f"{p}.key", f"{key!r} must be lower-case letters, digits, underscores")
    if not _need(sub, "label", str, f"{p}.").strip():
        raise InstrumentDefinitionError(f"{p}.label", "must not be empty")
    members = _need(sub, "items", list, f"{p}.")
    if not members:
        raise InstrumentDefinitionError(f"{p}.items", "must list at least one item")
    for j, key in enumerate(members):
        item = items_by_key.get(key) if isinstance(key, str) else None
        if item is None:
            raise InstrumentDefinitionError(f"{p}.items[{j}]", f"unknown item {key!r}")
        if key in members[:j]:
            raise InstrumentDefinitionError(f"{p}.items[{j}]", f"item {key!r} is listed twice")
        if item["type"] not in SCORED_TYPES:
            raise InstrumentDefinitionError(f"{p}.items[{j}]", f"item {key!r} of type {item['type']} cannot be scored")
        bounds = reverse_bounds(item, scales, dont_know)
        if bounds is None:
            reason = ("has non-numeric option codes" if item["type"] in ("likert", *CHOICE_TYPES)
                      else "needs a numeric min and max")
            raise InstrumentDefinitionError(f"{p}.items[{j}]", f"item {key!r} {reason}")
        if bounds[1] <= bounds[0]:
            raise InstrumentDefinitionError(f"{p}.items[{j}]", f"item {key!r} has a single scored value")
    reverse = sub.get("reverse_items", [])
    if not isinstance(reverse, list):
        raise InstrumentDefinitionError(f"{p}.reverse_items", "must be a list of item keys")
    for j, key in enumerate(reverse):
        if key not in members:
            raise InstrumentDefinitionError(f"{p}.reverse_items[{j}]", f"{key!r} is not an item of this subscale")
    score = _need(sub, "score", dict, f"{p}.")
    method = _need(score, "method", str, f"{p}.score.")
    if method not in SCORE_METHODS:
        raise InstrumentDefinitionError(f"{p}.score.method", f"unknown method {method!r}; expected {sorted(SCORE_METHODS)}")
    share = _need(score, "min_answered_share", (int, float), f"{p}.score.")
    if not 0 < share <= 1:
        raise InstrumentDefinitionError(f"{p}.score.min_answered_share", "must be in (0, 1]")
    component = sub.get("profile_component")
    if component is not None and component not in PROFILE_COMPONENTS:
        raise InstrumentDefinitionError(f"{p}.profile_component", f"unknown component {component!r}")


def reverse_bounds(item: dict, scales: dict, dont_know: Any = None) -> tuple[float, float] | None:
    """Numeric (min, max) an item's answers range over, used for reverse keying ``max + min - x`` and for a
    subscale's score range. The instrument's don't-know code is not a point of the range: a likert scale never
    holds it, but an imported radio item may list it among its choices (e.g. ``9, Don't know``)."""
    if item["type"] == "likert":
        values = [o["value"] for o in scales[item["scale"]]]
    elif item["type"] in CHOICE_TYPES:
        values = [o["value"] for o in item["choices"]]
    elif item.get("min") is not None and item.get("max") is not None:
        values = [item["min"], item["max"]]
    else:
        return None
    if dont_know is not None and item["type"] in ("likert", *CHOICE_TYPES):
        values = [v for v in values if v != dont_know]
    if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return float(min(values)), float(max(values))


def scorable_items(definition: dict) -> list[dict]:
    """The items a subscale may use (see :func:`_validate_subscale`): likert, radio, dropdown, integer or number
    items with a numeric range of at least two values, the don't-know code left out."""
    dk = definition.get("dont_know_code")
    out = []
    for item in definition["items"]:
        if item["type"] in SCORED_TYPES:
            bounds = reverse_bounds(item, definition["response_scales"], dk)
            if bounds is not None and bounds[1] > bounds[0]:
                out.append(item)
    return out


def _validate_missing_data(missing: Any) -> None:
    if missing is None:
        return
    if not isinstance(missing, dict):
        raise InstrumentDefinitionError("missing_data", "must be an object {answered, dont_know_counts_as_answered}")
    unknown = set(missing) - {"answered", "dont_know_counts_as_answered"}
    if unknown:
        raise InstrumentDefinitionError(f"missing_data.{sorted(unknown)[0]}", "unknown field; expected answered, "
                                        "dont_know_counts_as_answered")
    if not isinstance(missing.get("dont_know_counts_as_answered"), bool):
        raise InstrumentDefinitionError("missing_data.dont_know_counts_as_answered", "is required: true or false")
    if not isinstance(missing.get("answered", ""), str):
        raise InstrumentDefinitionError("missing_data.answered", "must be text saying what counts as answered")


def validate_definition(definition: Any) -> dict:
    """Check an instrument definition against the schema; return it unchanged or raise
    :class:`InstrumentDefinitionError` whose ``path`` names the first bad field."""
    if not isinstance(definition, dict):
        raise InstrumentDefinitionError("$", "definition must be a JSON object")
    for field in _REQUIRED_TOP:
        if field not in definition:
            raise InstrumentDefinitionError(field, "is required")
    for field in ("key", "version", "title", "citation", "license", "instructions", "scoring_version"):
        _need(definition, field, str, "")
    if not KEY.match(definition["key"]):
        raise InstrumentDefinitionError("key", f"{definition['key']!r} must be lower-case letters, digits, underscores")
    if not SEMVER.match(definition["version"]):
        raise InstrumentDefinitionError("version", f"{definition['version']!r} is not a semantic version X.Y.Z")
    dk = definition.get("dont_know_code")
    if dk is not None and (not isinstance(dk, int) or isinstance(dk, bool)):
        raise InstrumentDefinitionError("dont_know_code", "must be an integer code or null")
    scales = _need(definition, "response_scales", dict, "")
    for name, options in scales.items():
        values = _validate_options(options, f"response_scales.{name}")
        if dk is not None and dk in values:
            raise InstrumentDefinitionError(f"response_scales.{name}", f"uses the don't-know code {dk} as a value")
    items = _need(definition, "items", list, "")
    seen: set = set()
    for i, item in enumerate(items):
        _validate_item(item, i, scales, seen)
    items_by_key = {item["key"]: item for item in items}
    subscale_keys: set = set()
    for i, sub in enumerate(_need(definition, "subscales", list, "")):
        _validate_subscale(sub, i, items_by_key, scales, dk)
        if sub["key"] in subscale_keys:
            raise InstrumentDefinitionError(f"subscales[{i}].key", f"duplicate subscale key {sub['key']!r}")
        subscale_keys.add(sub["key"])
    component = definition.get("profile_component")
    if component is not None and component not in PROFILE_COMPONENTS:
        raise InstrumentDefinitionError("profile_component", f"unknown component {component!r}")
    _validate_missing_data(definition.get("missing_data"))
    record_id = definition.get("record_id_field")
    if record_id is not None and (not items or items[0]["key"] != record_id
                                  or items[0]["type"] not in ("text", "integer")):
        raise InstrumentDefinitionError("record_id_field", f"{record_id!r} must be the key of the first item, a text "
                                                           "or integer item")
    for i, entry in enumerate(definition.get("history", [])):
        if not isinstance(entry, dict) or "version" not in entry or "changes" not in entry:
            raise InstrumentDefinitionError(f"history[{i}]", "must be an object with version and changes")
    return definition


def _instrument_files() -> dict[str, Any]:
    folder = resources.files("readiness") / "instruments"
    return {entry.name: entry for entry in folder.iterdir() if entry.name.endswith(".json")}


def list_instruments() -> list[dict[str, str]]:
    """Shipped instruments as ``[{key, version, title, license}]``, sorted by key then version."""
    out = []
    for entry in _instrument_files().values():
        d = json.loads(entry.read_text(encoding="utf-8"))
        out.append({"key": d["key"], "version": d["version"], "title": d["title"], "license": d["license"]})
    return sorted(out, key=lambda r: (r["key"], tuple(int(x) for x in r["version"].split("."))))


def load_instrument(key: str, version: str | None = None) -> dict:
    """Load and validate a shipped instrument; ``version=None`` gives the newest version.

    Files are ``readiness/instruments/<key>.json`` (current) or ``<key>-<version>.json`` (kept old versions).
    """
    matches = []
    for entry in _instrument_files().values():
        d = json.loads(entry.read_text(encoding="utf-8"))
        if d.get("key") == key and (version is None or d.get("version") == version):
            matches.append(d)
    if not matches:
        wanted = f"{key!r}" + (f" version {version!r}" if version else "")
        raise InstrumentDefinitionError("key", f"no shipped instrument {wanted}")
    newest = max(matches, key=lambda d: tuple(int(x) for x in d["version"].split(".")))
    return validate_definition(newest)
