"""CFIR 2.0 construct keys, as data (``data/cfir2_constructs.csv``, a copy of the shared reference list).

Source: Damschroder LJ, Reardon CM, Widerquist MAO, Lowery J (2022) The updated Consolidated Framework for
Implementation Research based on user feedback. Implementation Science 17:75. Five domains (I Innovation,
II Outer Setting, III Inner Setting, IV Individuals, V Implementation Process) hold constructs and subconstructs;
domain IV has two subdomains (Roles, Characteristics). A strategy or rating names a construct or subconstruct key.
"""

from __future__ import annotations

import io
from importlib import resources
from typing import Any

from app import csvinput
from implementation_outcomes.errors import CfirListError

KINDS: tuple[str, ...] = ("domain", "subdomain", "construct", "subconstruct")
#: kinds a strategy can address (a determinant, not a whole domain)
ADDRESSABLE_KINDS: frozenset[str] = frozenset({"construct", "subconstruct"})
_COLUMNS = ("key", "published_label", "name", "kind", "parent_key")


def load_cfir_constructs(text: str | None = None) -> list[dict[str, Any]]:
    """Rows ``{key, published_label, name, kind, parent_key, domain}`` in file order, validated.

    ``domain`` is the top-level domain key (the part before the first dot). ``text`` overrides the packaged CSV.
    Errors name the CSV line: unknown kind, duplicate key, a parent that is not declared above the row.
    """
    if text is None:
        text = resources.files("implementation_outcomes").joinpath("data/cfir2_constructs.csv").read_text("utf-8")
    reader = csvinput.dict_reader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CfirListError(f"line 1: missing column(s) {', '.join(missing)}")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    errors: list[str] = []
    for line, raw in enumerate(reader, start=2):
        key = (raw["key"] or "").strip()
        parent = (raw["parent_key"] or "").strip() or None
        kind = (raw["kind"] or "").strip()
        if not key:
            errors.append(f"line {line}, column 'key': empty")
            continue
        if key in seen:
            errors.append(f"line {line}, column 'key': duplicate {key!r}")
        if kind not in KINDS:
            errors.append(f"line {line}, column 'kind': {kind!r} is not one of {', '.join(KINDS)}")
        if (kind == "domain") != (parent is None):
            errors.append(f"line {line}, column 'parent_key': a domain has no parent, every other row has one")
        elif parent is not None and parent not in seen:
            errors.append(f"line {line}, column 'parent_key': {parent!r} is not declared above")
        seen.add(key)
        rows.append({"key": key, "published_label": (raw["published_label"] or key).strip(),
                     "name": (raw["name"] or "").strip(), "kind": kind, "parent_key": parent,
                     "domain": key.split(".")[0]})
    if errors:
        raise CfirListError(errors)
    return rows


def addressable_keys(constructs: list[dict[str, Any]]) -> set[str]:
    """Keys a strategy may name as the determinant it addresses (constructs and subconstructs)."""
    return {row["key"] for row in constructs if row["kind"] in ADDRESSABLE_KINDS}


def domains(constructs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The domain rows, in file order."""
    return [row for row in constructs if row["kind"] == "domain"]
