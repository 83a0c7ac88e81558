"""Fidelity scheme (data file), rating validation, adequacy rule, coding coverage, double-coding sample.

The scheme lives in ``data/fidelity_scheme.json`` (10 scales in 3 groups; labels are configurable
placeholders for the developers' manual). The "adequate fidelity" rule is data too, a tree of
``{"all_of": [...]}`` / ``{"any_of": [...]}`` nodes over conditions
``{"group"|"scale": key, "statistic": "mean"|"min"|"max", "op": ">="|">"|"<="|"<"|"==", "value": n}``.
One interpreter (``_rule_mask``) evaluates it for a single rating and for whole columns, so the rule is
never written twice. Coder ratings and clinician self-ratings are different sources and are never pooled.
Fidelity dimensions (adherence, differentiation, competence/alliance): Proctor et al. 2011; Schoenwald &
Garland 2013; MIO program description.
"""

from __future__ import annotations

import json
import math
import operator
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

from implementation_outcomes._values import proportion
from implementation_outcomes.errors import FidelitySchemeError, RatingError

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}
STATISTICS: dict[str, Callable[..., Any]] = {"mean": np.mean, "min": np.min, "max": np.max}
RATING_SOURCES: tuple[str, ...] = ("coder", "self")


def load_fidelity_scheme(path: str | None = None) -> dict[str, Any]:
    """Read and validate the scheme (the packaged ``data/fidelity_scheme.json`` by default)."""
    if path is None:
        text = resources.files("implementation_outcomes").joinpath("data/fidelity_scheme.json").read_text("utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    scheme = json.loads(text)
    validate_scheme(scheme)
    return scheme


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def validate_scheme(scheme: Any) -> None:
    """Raise ``FidelitySchemeError`` listing every problem with its JSON path (e.g. ``scales[3].group``)."""
    errors: list[str] = []
    if not isinstance(scheme, Mapping):
        raise FidelitySchemeError("$: scheme must be a JSON object")
    rr = scheme.get("rating_range")
    if not (isinstance(rr, Mapping) and _is_number(rr.get("min")) and _is_number(rr.get("max"))
            and rr["min"] < rr["max"]):
        errors.append("rating_range: must be {min, max} numbers with min < max")
    groups = scheme.get("groups")
    group_keys: list[str] = []
    if not isinstance(groups, list) or not groups:
        errors.append("groups: must be a non-empty list")
    else:
        for i, g in enumerate(groups):
            if not (isinstance(g, Mapping) and isinstance(g.get("key"), str) and g["key"]):
                errors.append(f"groups[{i}].key: must be a non-empty string")
                continue
            if g["key"] in group_keys:
                errors.append(f"groups[{i}].key: duplicate group {g['key']!r}")
            if not isinstance(g.get("label"), str) or not g["label"].strip():
                errors.append(f"groups[{i}].label: must be a non-empty string")
            group_keys.append(g["key"])
    scales = scheme.get("scales")
    scale_keys: list[str] = []
    if not isinstance(scales, list) or not scales:
        errors.append("scales: must be a non-empty list")
    else:
        for i, s in enumerate(scales):
            if not (isinstance(s, Mapping) and isinstance(s.get("key"), str) and s["key"].isidentifier()):
                errors.append(f"scales[{i}].key: must be an identifier-like string")
                continue
            if s["key"] in scale_keys:
                errors.append(f"scales[{i}].key: duplicate scale {s['key']!r}")
            scale_keys.append(s["key"])
            if not isinstance(s.get("label"), str) or not s["label"].strip():
                errors.append(f"scales[{i}].label: must be a non-empty string")
            if s.get("group") not in group_keys:
                errors.append(f"scales[{i}].group: {s.get('group')!r} is not a declared group")
            for bound in ("min", "max"):
                if bound in s and not _is_number(s[bound]):
                    errors.append(f"scales[{i}].{bound}: must be a number")
            if _is_number(s.get("min", 0)) and _is_number(s.get("max", 1)) and "min" in s and "max" in s \
                    and s["min"] >= s["max"]:
                errors.append(f"scales[{i}]: min must be below max")
        for i, key in enumerate(group_keys):
            if not any(isinstance(s, Mapping) and s.get("group") == key for s in scales):
                errors.append(f"groups[{i}]: group {key!r} has no scales")
        for i, s in enumerate(scales):
            if isinstance(s, Mapping) and "anchors" in s:
                _check_anchors(s["anchors"], f"scales[{i}].anchors", errors)
    if "anchors" in scheme:
        _check_anchors(scheme["anchors"], "anchors", errors)
    _check_rule(scheme.get("adequacy_rule"), "adequacy_rule", group_keys, scale_keys, errors)
    if errors:
        raise FidelitySchemeError(errors)


def _check_anchors(anchors: Any, path: str, errors: list[str]) -> None:
    """Anchors map a rating level (a number written as a string, JSON keys being strings) to the words a coder reads
    for it (a level outside a scale's range is simply never offered)."""
    if not isinstance(anchors, Mapping) or not anchors:
        errors.append(f"{path}: must be an object of level -> text")
        return
    for level, text in anchors.items():
        try:
            float(level)
        except (TypeError, ValueError):
            errors.append(f"{path}.{level}: the level must be a number")
            continue
        if not isinstance(text, str) or not text.strip():
            errors.append(f"{path}.{level}: must be a non-empty text")


def scale_levels(scheme: Mapping[str, Any], key: str) -> list[tuple[int, str]] | None:
    """The choices a coder picks from for one scale: each whole level of its range with its anchor text (the
    scale's own ``anchors``, else the scheme's, else no text: the level alone), lowest first. ``None`` when the
    range's bounds are not whole numbers (the form then asks for a number) or it spans more than 11 levels."""
    lo, hi = scale_range(scheme, key)
    if not (float(lo).is_integer() and float(hi).is_integer()) or hi - lo > 10:
        return None
    scale = next(s for s in scheme["scales"] if s["key"] == key)
    anchors = {float(k): v for k, v in (scale.get("anchors") or scheme.get("anchors") or {}).items()}
    return [(level, anchors.get(float(level), "")) for level in range(int(lo), int(hi) + 1)]


def _check_rule(node: Any, path: str, groups: Sequence[str], scales: Sequence[str], errors: list[str]) -> None:
    if not isinstance(node, Mapping):
        errors.append(f"{path}: must be an object")
        return
    for combinator in ("all_of", "any_of"):
        if combinator in node:
            children = node[combinator]
            if not isinstance(children, list) or not children:
                errors.append(f"{path}.{combinator}: must be a non-empty list")
                return
            for i, child in enumerate(children):
                _check_rule(child, f"{path}.{combinator}[{i}]", groups, scales, errors)
            return
    if ("group" in node) == ("scale" in node):
        errors.append(f"{path}: a condition names exactly one of 'group' or 'scale'")
    elif "group" in node and node["group"] not in groups:
        errors.append(f"{path}.group: {node['group']!r} is not a declared group")
    elif "scale" in node and node["scale"] not in scales:
        errors.append(f"{path}.scale: {node['scale']!r} is not a declared scale")
    if node.get("statistic", "mean") not in STATISTICS:
        errors.append(f"{path}.statistic: must be one of {', '.join(STATISTICS)}")
    if node.get("op") not in OPERATORS:
        errors.append(f"{path}.op: must be one of {', '.join(OPERATORS)}")
    if not _is_number(node.get("value")):
        errors.append(f"{path}.value: must be a number")


def scale_range(scheme: Mapping[str, Any], key: str) -> tuple[float, float]:
    """(min, max) for a scale: its own bounds, else the scheme's ``rating_range``."""
    for s in scheme["scales"]:
        if s["key"] == key:
            return s.get("min", scheme["rating_range"]["min"]), s.get("max", scheme["rating_range"]["max"])
    raise RatingError(f"scale {key!r}: not in the scheme")


def scales_in_group(scheme: Mapping[str, Any], group: str) -> list[str]:
    """Scale keys of one group, in scheme order."""
    return [s["key"] for s in scheme["scales"] if s["group"] == group]


def validate_rating(scheme: Mapping[str, Any], ratings: Mapping[str, Any], allow_missing: bool = False) -> None:
    """Raise ``RatingError`` listing each scale that is unknown, missing, non-numeric or out of range."""
    errors: list[str] = []
    ranges = {s["key"]: scale_range(scheme, s["key"]) for s in scheme["scales"]}  # once per rating, not per scale
    for key in ratings:
        if key not in ranges:
            errors.append(f"scale {key!r}: not in scheme {scheme.get('scheme_id', '')!r}")
    for key, (lo, hi) in ranges.items():
        value = ratings.get(key)
        if value is None:
            if not allow_missing:
                errors.append(f"scale {key!r}: missing rating")
            continue
        if not _is_number(value):
            errors.append(f"scale {key!r}: rating {value!r} is not a number")
        elif not lo <= value <= hi:
            errors.append(f"scale {key!r}: rating {value} is outside {lo}..{hi}")
    if errors:
        raise RatingError(errors)


def _rule_mask(node: Mapping[str, Any], scheme: Mapping[str, Any], columns: Mapping[str, Any],
               reasons: list[str] | None) -> np.ndarray:
    """Evaluate a rule node over columns (scale key -> 1-D array); NaN anywhere in a condition fails it."""
    if "all_of" in node or "any_of" in node:
        combine = np.logical_and if "all_of" in node else np.logical_or
        masks = [_rule_mask(child, scheme, columns, reasons) for child in node.get("all_of", node.get("any_of"))]
        return combine.reduce(masks)
    keys = scales_in_group(scheme, node["group"]) if "group" in node else [node["scale"]]
    stacked = np.vstack([np.asarray(columns[k], dtype=float) for k in keys])
    stat = node.get("statistic", "mean")
    values = STATISTICS[stat](stacked, axis=0)
    mask = OPERATORS[node["op"]](values, node["value"])
    if reasons is not None:
        name = node.get("group", node.get("scale"))
        verdict = "meets" if bool(mask[0]) else "fails"
        reasons.append(f"{name} {stat} {values[0]:.2f} {verdict} {node['op']} {node['value']}")
    return mask


def group_scores(scheme: Mapping[str, Any], ratings: Mapping[str, float]) -> dict[str, float | None]:
    """Mean rating per group over the group's rated scales (None when none rated)."""
    out: dict[str, float | None] = {}
    for g in scheme["groups"]:
        vals = [ratings[k] for k in scales_in_group(scheme, g["key"]) if ratings.get(k) is not None]
        out[g["key"]] = math.fsum(vals) / len(vals) if vals else None  # plain mean; fsum is exact for few values
    return out


def group_thresholds(scheme: Mapping[str, Any], group: str) -> list[tuple[str, float]]:
    """The ``(op, value)`` conditions the adequacy rule puts on one group's mean (at any depth; e.g. ``[(">=", 3)]``
    for the adherence group): charts of that group's score draw them as the adequacy line."""
    found: list[tuple[str, float]] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for child in node.get("all_of", node.get("any_of", [])):
                walk(child)
            if node.get("group") == group and node.get("statistic", "mean") == "mean":
                found.append((node["op"], float(node["value"])))

    walk(scheme.get("adequacy_rule"))
    return found


def evaluate_adequacy(scheme: Mapping[str, Any], ratings: Mapping[str, float]) -> dict[str, Any]:
    """Apply the scheme's adequacy rule to one session's coder ratings.

    Returns ``{"adequate": bool, "reasons": [one line per condition], "group_means": {...}}``. The rating
    is validated first (all scales, in range). Rule and thresholds: the scheme file (placeholder until the
    developers' manual values are entered).
    """
    validate_rating(scheme, ratings)
    reasons: list[str] = []
    columns = {k: [v] for k, v in ratings.items()}
    mask = _rule_mask(scheme["adequacy_rule"], scheme, columns, reasons)
    return {"adequate": bool(mask[0]), "reasons": reasons, "group_means": group_scores(scheme, ratings)}


def adequacy_mask(scheme: Mapping[str, Any], columns: Mapping[str, Any]) -> np.ndarray:
    """Vectorised adequacy: ``columns`` maps each scale key to an array (e.g. DataFrame columns)."""
    return _rule_mask(scheme["adequacy_rule"], scheme, columns, None)


def adequacy_of_ratings(scheme: Mapping[str, Any], ratings: Sequence[Mapping[str, float]]) -> list[bool]:
    """``evaluate_adequacy``'s verdict for many ratings in one pass of the same rule interpreter.

    Every rating is validated first (``RatingError`` names the rating index and scale).
    """
    if not ratings:
        return []
    columns = _valid_columns(scheme, ratings)
    if columns is None:  # something is wrong: find and name every problem, rating by rating
        errors: list[str] = []
        for i, rating in enumerate(ratings):
            try:
                validate_rating(scheme, rating)
            except RatingError as exc:
                errors.extend(f"rating {i}, {message}" for message in exc.errors)
        if errors:
            raise RatingError(errors)
        columns = {s["key"]: np.array([r[s["key"]] for r in ratings], dtype=float) for s in scheme["scales"]}
    return [bool(v) for v in adequacy_mask(scheme, columns)]


def _valid_columns(scheme: Mapping[str, Any], ratings: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray] | None:
    """The ratings as one array per scale when every rating passes ``validate_rating`` (checked column-wise, fast
    for many ratings); None when any might not (the caller then validates rating by rating for the messages)."""
    ranges = {s["key"]: scale_range(scheme, s["key"]) for s in scheme["scales"]}
    if any(not r.keys() <= ranges.keys() for r in ratings):
        return None
    columns = {}
    for key, (lo, hi) in ranges.items():
        values = [r.get(key) for r in ratings]
        if not all(type(v) in (int, float) for v in values):  # also refuses None and bool, as _is_number does
            return None
        column = np.array(values, dtype=float)
        if not (np.isfinite(column).all() and ((column >= lo) & (column <= hi)).all()):
            return None
        columns[key] = column
    return columns


def double_coding_sample(session_ids: Iterable[str], share: float, seed: int | str) -> list[str]:
    """Deterministic random subset of sessions for a second coder.

    k = ceil(share x n) sessions drawn without replacement by ``random.Random(seed)`` from the ids sorted
    as strings (so input order does not matter); returned sorted. The share is a study decision (a fifth
    of coded sessions is a common choice); the seed should be stored with the sample for audit.
    """
    if not (_is_number(share) and 0 <= share <= 1):
        raise RatingError(f"share: {share!r} must be between 0 and 1")
    ids = sorted({str(s) for s in session_ids})
    k = math.ceil(share * len(ids) - 1e-9)
    return sorted(random.Random(seed).sample(ids, k))


def fidelity_coverage(sessions: Sequence[Mapping[str, Any]], ratings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Recording and coding coverage; only ``source == "coder"`` ratings count (self-ratings never do).

    share_recorded = recorded / attended sessions; share_coded = coded (>= 1 coder) / recorded;
    share_double_coded = double-coded (>= 2 distinct coders) / coded; backlog = recorded - coded.
    Session row: ``{session_id, attended? (default True), recorded: bool}``; rating row:
    ``{session_id, coder_id, source? (default "coder")}``.
    """
    recorded: set[str] = set()
    attended = 0
    for s in sessions:
        if s.get("attended", True):
            attended += 1
            if s.get("recorded"):
                recorded.add(str(s["session_id"]))
    coders: dict[str, set[str]] = {}
    for i, r in enumerate(ratings):
        source = r.get("source", "coder")
        if source not in RATING_SOURCES:
            raise RatingError(f"rating row {i}, field 'source': {source!r} is not one of {', '.join(RATING_SOURCES)}")
        if source != "coder":
            continue
        sid = str(r.get("session_id"))
        if sid not in recorded:
            raise RatingError(f"rating row {i}, field 'session_id': {sid!r} is not a recorded, attended session")
        coders.setdefault(sid, set()).add(str(r.get("coder_id")))
    return coverage_from_counts(attended, len(recorded), [len(c) for c in coders.values()])


def coverage_from_counts(attended: int, recorded: int, coders_per_coded_session: Iterable[int]) -> dict[str, Any]:
    """:func:`fidelity_coverage` from counts already made (attended sessions, recorded among them, and the number of
    distinct coders of each coded session), for figures over many clinics counted in the database."""
    counts = list(coders_per_coded_session)
    coded = len(counts)
    double = sum(c >= 2 for c in counts)
    if not 0 <= recorded <= attended:
        raise RatingError(f"recorded: {recorded!r} must be between 0 and the {attended} attended sessions")
    if coded > recorded or any(c < 1 for c in counts):
        raise RatingError(f"coded: {coded} coded sessions cannot exceed the {recorded} recorded ones")
    return {
        "attended": attended,
        "recorded": recorded,
        "coded": coded,
        "double_coded": double,
        "share_recorded": proportion(recorded, attended),
        "share_coded": proportion(coded, recorded),
        "share_double_coded": proportion(double, coded),
        "backlog": recorded - coded,
    }


def compare_sources(rows: Iterable[Mapping[str, Any]], groups: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Self-reflection vs coder ratings per counselor and group, side by side and never pooled.

    Row: ``{counselor_id, session_id, source ("self"|"coder"), group_means: {group: value or None}}`` (at most one
    row per session and source). Per counselor and group returns ``{n_self, self_mean, n_coder, coder_mean, n_paired,
    mean_difference}``: each mean is over one source only; mean_difference = mean of (self - coder) over sessions
    rated by both (positive = counselors rate themselves higher than coders do).
    """
    by_counselor: dict[str, dict[str, dict[str, float]]] = {}
    for i, row in enumerate(rows):
        source = row.get("source")
        if source not in RATING_SOURCES:
            raise RatingError(f"row {i}, field 'source': {source!r} is not one of {', '.join(RATING_SOURCES)}")
        if row.get("counselor_id") is None:
            raise RatingError(f"row {i}, field 'counselor_id': missing")
        sessions = by_counselor.setdefault(str(row["counselor_id"]), {})
        entry = sessions.setdefault(str(row.get("session_id")), {})
        if source in entry:
            raise RatingError(f"row {i}: session {row.get('session_id')!r} has two {source} rows")
        entry[source] = row.get("group_means") or {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for cid, sessions in sorted(by_counselor.items()):
        out[cid] = {}
        for g in groups:
            own = [s["self"][g] for s in sessions.values() if "self" in s and s["self"].get(g) is not None]
            coded = [s["coder"][g] for s in sessions.values() if "coder" in s and s["coder"].get(g) is not None]
            paired = [s["self"][g] - s["coder"][g] for s in sessions.values()
                      if "self" in s and "coder" in s and s["self"].get(g) is not None
                      and s["coder"].get(g) is not None]
            out[cid][g] = {
                "n_self": len(own), "self_mean": float(np.mean(own)) if own else None,
                "n_coder": len(coded), "coder_mean": float(np.mean(coded)) if coded else None,
                "n_paired": len(paired), "mean_difference": float(np.mean(paired)) if paired else None,
            }
    return out
