"""Turn raw web-form strings into typed answers that :mod:`readiness.scoring` validates and scores.

Rule: blank -> None; option items (likert incl. the don't-know code, radio, dropdown) -> the option's own value
when the text matches it; checkbox -> list of matched option values; yesno/truefalse "1"/"0" -> 1/0; integer and
number -> int/float when the text parses; date, e-mail and text -> stripped text. Anything that does not parse is
returned unchanged so that :func:`readiness.scoring.validate_answers` reports it with the item key.
"""

from __future__ import annotations

import math
import re
from typing import Any

from readiness.instruments import CHOICE_TYPES


def _option_lookup(item: dict, definition: dict) -> dict[str, Any]:
    if item["type"] == "likert":
        values = [o["value"] for o in definition["response_scales"][item["scale"]]]
        if definition.get("dont_know_code") is not None:
            values.append(definition["dont_know_code"])
    elif item["type"] in CHOICE_TYPES:
        values = [o["value"] for o in item["choices"]]
    else:
        values = [1, 0] if item["type"] in ("yesno", "truefalse") else []
    return {str(v): v for v in values}


def coerce_answer(item: dict, raw: Any, definition: dict) -> Any:
    """One raw form value (str, list of str, or already typed) -> typed answer (see module docstring)."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    kind = item["type"]
    lookup = _option_lookup(item, definition)
    if kind == "checkbox":
        ticked = raw if isinstance(raw, (list, tuple)) else [raw]
        return [lookup.get(str(v).strip(), v) for v in ticked if str(v).strip() != ""]
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if lookup:
        return lookup.get(text, raw)
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return raw
        return number if math.isfinite(number) else raw
    return text


def coerce_answers(definition: dict, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed answers for every non-descriptive item present in ``raw``; unknown keys are kept as given."""
    items = {item["key"]: item for item in definition["items"]}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        item = items.get(key)
        if item is None:
            out[key] = value
        elif item["type"] not in ("descriptive", "data"):
            out[key] = coerce_answer(item, value, definition)
    return out
