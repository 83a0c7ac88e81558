"""Load and validate codebooks: the CFIR 2.0 codebook for MIO shipped as ``cfir_codebook.json``.

File format (JSON object): ``codebook`` (title), ``version``, ``framework`` (citation), ``note``, and ``codes``,
a list in hierarchy order (every parent before its children) of objects with
    key, label, name, kind (domain | subdomain | construct | subconstruct), parent_key (null for domains),
    definition, inclusion, exclusion, lexicon (list of lemma-level lowercase terms; empty for parents),
    colour ("#rrggbb"), codable (false for domains and subdomains).
Construct keys and names follow CFIR 2.0 (Damschroder et al. 2022, Implement Sci 17:75); definitions, notes and
lexicons are the project's own, written for MIO in outpatient SUD clinics.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

CODEBOOK_FIELDS = (
    "key", "label", "name", "kind", "parent_key", "definition", "inclusion", "exclusion", "lexicon", "colour", "codable",
)
KINDS = ("domain", "subdomain", "construct", "subconstruct")
CODABLE_KINDS = ("construct", "subconstruct")
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")

__all__ = ["CODEBOOK_FIELDS", "CodebookError", "load_cfir_codebook", "validate_codebook"]


class CodebookError(ValueError):
    """A codebook file or entry is malformed; the message names the entry (index and key) and field."""


def _where(i: int, entry: Any) -> str:
    key = entry.get("key") if isinstance(entry, dict) else None
    return f"codes[{i}]" + (f" (key {key!r})" if key else "")


def validate_codebook(data: Any) -> list[dict[str, Any]]:
    """Check a parsed codebook document and return its codes as a list of plain dicts (file order).

    Rules: every field present with the right type; keys unique; kind known; a parent exists earlier in the list
    (domains have none); ``codable`` is true exactly for constructs and subconstructs; codable entries carry a
    non-empty lexicon of distinct lowercase terms; colour is a lowercase ``#rrggbb``.
    Raises CodebookError naming the entry and field.
    """
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise CodebookError("codebook must be a JSON object with a 'codes' list")
    seen: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(data["codes"]):
        where = _where(i, entry)
        if not isinstance(entry, dict):
            raise CodebookError(f"{where}: expected an object, got {type(entry).__name__}")
        for field in CODEBOOK_FIELDS:
            if field not in entry:
                raise CodebookError(f"{where}: missing field {field!r}")
        for field in ("key", "label", "name", "definition", "inclusion", "exclusion"):
            if not isinstance(entry[field], str) or not entry[field].strip():
                raise CodebookError(f"{where}: field {field!r} must be a non-empty string")
        key, kind, parent = entry["key"], entry["kind"], entry["parent_key"]
        if key in seen:
            raise CodebookError(f"{where}: duplicate key {key!r}")
        if kind not in KINDS:
            raise CodebookError(f"{where}: field 'kind' must be one of {KINDS}, got {kind!r}")
        if kind == "domain":
            if parent is not None:
                raise CodebookError(f"{where}: field 'parent_key' must be null for a domain, got {parent!r}")
        elif parent not in seen:
            raise CodebookError(f"{where}: field 'parent_key' {parent!r} does not name an earlier entry")
        if not isinstance(entry["codable"], bool) or entry["codable"] != (kind in CODABLE_KINDS):
            raise CodebookError(f"{where}: field 'codable' must be {kind in CODABLE_KINDS} for a {kind}")
        lexicon = entry["lexicon"]
        if not isinstance(lexicon, list) or not all(isinstance(t, str) and t.strip() for t in lexicon):
            raise CodebookError(f"{where}: field 'lexicon' must be a list of non-empty strings")
        if entry["codable"] and not lexicon:
            raise CodebookError(f"{where}: field 'lexicon' is empty for a codable {kind}")
        for t in lexicon:
            if t != t.lower().strip():
                raise CodebookError(f"{where}: lexicon term {t!r} must be lowercase without outer spaces")
        if len(set(lexicon)) != len(lexicon):
            raise CodebookError(f"{where}: field 'lexicon' repeats a term")
        if not isinstance(entry["colour"], str) or not _COLOUR.match(entry["colour"]):
            raise CodebookError(f"{where}: field 'colour' must look like '#1f4e79', got {entry['colour']!r}")
        clean = {field: entry[field] for field in CODEBOOK_FIELDS}
        clean["lexicon"] = list(lexicon)
        seen[key] = clean
        out.append(clean)
    return out


def load_cfir_codebook(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read and validate the CFIR 2.0 codebook for MIO (``qualitative/cfir_codebook.json`` by default).

    Returns a list of dicts with keys key, label, name, kind, parent_key, definition, inclusion, exclusion,
    lexicon, colour, codable, in hierarchy order. A fresh list each call (no module-level cache).
    """
    if path is None:
        text = resources.files("qualitative").joinpath("cfir_codebook.json").read_text(encoding="utf-8")
        source = "cfir_codebook.json"
    else:
        text = Path(path).read_text(encoding="utf-8")
        source = str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CodebookError(f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    return validate_codebook(data)
