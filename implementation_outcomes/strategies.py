"""Implementation strategies (ERIC, Proctor 2013 specification) and adaptations (FRAME) as data.

Data files (``data/``): ``eric_strategies.json`` (73 strategies, Powell et al. 2015, Implementation Science
10:21, doi:10.1186/s13012-015-0209-1; 9 clusters, Waltz et al. 2015, Implementation Science 10:109,
doi:10.1186/s13012-015-0295-0, Table 1), ``strategy_specification.json`` (Proctor, Powell & McMillen 2013,
Implementation Science 8:139) and ``frame_fields.json`` (Wiltsey Stirman, Baumann & Miller 2019, Implementation
Science 14:58, doi:10.1186/s13012-019-0898-y, Figure 1). The validators check a record against these files.

Each data file's ``source`` field gives the full citation and where it was checked (``checked_at``: the published
table pages read). ERIC: Waltz Table 1 was read for the first three clusters and part of the fourth; other clusters
were checked against later published tables that reproduce them (listed in the file's ``note``). FRAME: only the
abstract's eight components and a 2022 secondary table could be read, not Figure 1; ``source.not_verified`` says
which options are unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from importlib import resources
from typing import Any

from implementation_outcomes.errors import StrategyRecordError


def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files("implementation_outcomes").joinpath(f"data/{name}").read_text("utf-8"))


def load_eric_strategies() -> dict[str, Any]:
    """The ERIC compilation: ``{clusters: [{key, label, size}], strategies: [{number, key, name, cluster}]}``."""
    return _load("eric_strategies.json")


def load_frame_fields() -> dict[str, Any]:
    """FRAME fields: ``{fields: [{key, label, multiple, required, options | groups[{key, label, options}]}]}``."""
    return _load("frame_fields.json")


def load_strategy_specification() -> dict[str, Any]:
    """Proctor 2013 specification fields: ``{fields: [{key, label, type, required, options?}]}``."""
    return _load("strategy_specification.json")


def strategies_by_cluster(eric: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Strategies grouped under their Waltz et al. 2015 cluster key, clusters in file order."""
    out: dict[str, list[dict[str, Any]]] = {c["key"]: [] for c in eric["clusters"]}
    for s in eric["strategies"]:
        out[s["cluster"]].append(s)
    return out


def _option_keys(field: Mapping[str, Any]) -> set[str]:
    if "groups" in field:
        return {f"{g['key']}:{o['key']}" for g in field["groups"] for o in g["options"]}
    return {o["key"] for o in field.get("options", [])}


def validate_adaptation(record: Mapping[str, Any], frame: Mapping[str, Any]) -> None:
    """Check a FRAME adaptation record; raise ``StrategyRecordError`` naming every bad field.

    Single-choice fields take one option key, multiple-choice fields a list; grouped reasons are written
    ``"group:option"`` (e.g. ``"recipient:literacy_education"``); choosing ``other`` requires
    ``<field>_other`` text. Unknown fields are errors so typos are caught.
    """
    errors: list[str] = []
    fields = {f["key"]: f for f in frame["fields"]}
    for key in record:
        if key not in fields and not (key.endswith("_other") and key[:-6] in fields) and key not in ("description",):
            errors.append(f"field {key!r}: not a FRAME field")
    for key, field in fields.items():
        value = record.get(key)
        if value in (None, "", []):
            if field.get("required"):
                errors.append(f"field {key!r}: required")
            continue
        chosen = value if isinstance(value, list) else [value]
        if not field.get("multiple") and isinstance(value, list):
            errors.append(f"field {key!r}: takes one option, got a list")
        allowed = _option_keys(field)
        for option in chosen:
            if option not in allowed:
                errors.append(f"field {key!r}: {option!r} is not an option")
            elif option.split(":")[-1] == "other" and not str(record.get(f"{key}_other") or "").strip():
                errors.append(f"field '{key}_other': describe the 'other' choice")
    if errors:
        raise StrategyRecordError(errors)


def validate_strategy_use(
    record: Mapping[str, Any],
    spec: Mapping[str, Any],
    eric: Mapping[str, Any],
    cfir_keys: Collection[str] | None = None,
) -> None:
    """Check a Proctor 2013 strategy specification; raise ``StrategyRecordError`` naming every bad field.

    ``eric_strategy`` must be an ERIC key; required text fields must be non-empty;
    ``implementation_outcome`` is a list of Proctor 2011 outcome keys; with ``cfir_keys`` (e.g.
    ``cfir.addressable_keys(load_cfir_constructs())``) a ``cfir_construct`` field must name one of them.
    """
    errors: list[str] = []
    eric_keys = {s["key"] for s in eric["strategies"]}
    for field in spec["fields"]:
        key, value = field["key"], record.get(field["key"])
        if value in (None, "", []):
            if field.get("required"):
                errors.append(f"field {key!r}: required")
            continue
        if field["type"] == "eric_key" and value not in eric_keys:
            errors.append(f"field {key!r}: {value!r} is not an ERIC strategy key")
        elif field["type"] == "choice_multiple":
            allowed = _option_keys(field)
            for option in value if isinstance(value, list) else [value]:
                if option not in allowed:
                    errors.append(f"field {key!r}: {option!r} is not an option")
        elif field["type"] == "text" and not (isinstance(value, str) and value.strip()):
            errors.append(f"field {key!r}: must be text")
        elif field["type"] == "cfir_construct" and cfir_keys is not None and value not in cfir_keys:
            errors.append(f"field {key!r}: {value!r} is not a CFIR 2.0 construct key")
    if errors:
        raise StrategyRecordError(errors)
