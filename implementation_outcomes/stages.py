"""Completion of implementation activities per stage (MIO activity catalogue, ``data/activity_catalogue.json``).

The catalogue is modelled on the stages of implementation completion (Chamberlain P, Brown CH, Saldana L
(2011) Implementation Science 6:116): 3 phases, 8 stages, each holding dated activities. A site is scored
per stage on duration (days from its first to its last completed activity) and on the proportion of the
stage's activities completed; completing pre-implementation stages fully but quickly predicted start-up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any

from implementation_outcomes._values import as_date
from implementation_outcomes.errors import CatalogueError


def load_activity_catalogue(path: str | None = None) -> dict[str, Any]:
    """Read and validate the catalogue (the packaged ``data/activity_catalogue.json`` by default)."""
    if path is None:
        text = resources.files("implementation_outcomes").joinpath("data/activity_catalogue.json").read_text("utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    catalogue = json.loads(text)
    validate_catalogue(catalogue)
    return catalogue


def validate_catalogue(catalogue: Any) -> None:
    """Raise ``CatalogueError`` listing each problem with its JSON path.

    Rules: phases have unique keys; stages are numbered 1..N in order, each in a declared phase, with
    at least one activity; activity keys are unique across the whole catalogue.
    """
    if not isinstance(catalogue, Mapping):
        raise CatalogueError("$: catalogue must be a JSON object")
    errors: list[str] = []
    phase_keys = [p.get("key") for p in catalogue.get("phases", []) if isinstance(p, Mapping)]
    if not phase_keys or len(set(phase_keys)) != len(phase_keys):
        errors.append("phases: must be a non-empty list of objects with unique keys")
    stages = catalogue.get("stages")
    if not isinstance(stages, list) or not stages:
        raise CatalogueError([*errors, "stages: must be a non-empty list"])
    seen: set[str] = set()
    for i, stage in enumerate(stages):
        path = f"stages[{i}]"
        if not isinstance(stage, Mapping):
            errors.append(f"{path}: must be an object")
            continue
        if stage.get("number") != i + 1:
            errors.append(f"{path}.number: expected {i + 1}, got {stage.get('number')!r}")
        if stage.get("phase") not in phase_keys:
            errors.append(f"{path}.phase: {stage.get('phase')!r} is not a declared phase")
        if not isinstance(stage.get("label"), str) or not stage["label"].strip():
            errors.append(f"{path}.label: must be a non-empty string")
        short = stage.get("short_label", stage.get("label"))
        if not isinstance(short, str) or not 0 < len(short.strip()) <= 24:
            errors.append(f"{path}.short_label: must be a non-empty string of at most 24 characters (tables show it)")
        activities = stage.get("activities")
        if not isinstance(activities, list) or not activities:
            errors.append(f"{path}.activities: must be a non-empty list")
            continue
        for j, act in enumerate(activities):
            key = act.get("key") if isinstance(act, Mapping) else None
            if not isinstance(key, str) or not key.isidentifier():
                errors.append(f"{path}.activities[{j}].key: must be an identifier-like string")
            elif key in seen:
                errors.append(f"{path}.activities[{j}].key: duplicate activity {key!r}")
            else:
                seen.add(key)
            if not isinstance(act, Mapping) or not isinstance(act.get("label"), str) or not act["label"].strip():
                errors.append(f"{path}.activities[{j}].label: must be a non-empty string")
    if errors:
        raise CatalogueError(errors)


def _span(dates: list[date]) -> tuple[date | None, date | None, int | None]:
    if not dates:
        return None, None, None
    first, last = min(dates), max(dates)
    return first, last, (last - first).days


def stage_scores(catalogue: Mapping[str, Any], completions: Mapping[str, Any]) -> dict[str, Any]:
    """Score one site's completions ``{activity_key: date or ISO string}`` against the catalogue.

    Per stage: ``{number, key, label, phase, n_activities, n_completed, proportion (n_completed /
    n_activities), first_date, last_date, duration_days (last - first, 0 for one completion, None for
    none)}``; the same per phase under ``phases``. ``current_stage`` = the highest stage with any completed
    activity (None before any), as the stage reached in Chamberlain et al. 2011 (activities may be done out
    of order). ``timeline`` = completed activities sorted by date then stage: ``{date, activity_key,
    activity_label, stage, stage_label, phase}``. Unknown activity keys raise ``CatalogueError``.
    """
    index: dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
    for stage in catalogue["stages"]:
        for act in stage["activities"]:
            index[act["key"]] = (stage, act)
    done: dict[str, date] = {}
    for key, value in completions.items():
        if key not in index:
            raise CatalogueError(f"completion {key!r}: not an activity in catalogue {catalogue.get('catalogue_id')!r}")
        if value is None:
            continue
        done[key] = as_date(value, f"completion {key!r}, field 'date'", CatalogueError)
    stage_rows = []
    for stage in catalogue["stages"]:
        keys = [a["key"] for a in stage["activities"]]
        dates = [done[k] for k in keys if k in done]
        first, last, duration = _span(dates)
        stage_rows.append({
            "number": stage["number"], "key": stage["key"], "label": stage["label"], "phase": stage["phase"],
            "n_activities": len(keys), "n_completed": len(dates), "proportion": len(dates) / len(keys),
            "first_date": first, "last_date": last, "duration_days": duration,
        })
    phase_rows = []
    for phase in catalogue["phases"]:
        members = [s for s in catalogue["stages"] if s["phase"] == phase["key"]]
        keys = [a["key"] for s in members for a in s["activities"]]
        dates = [done[k] for k in keys if k in done]
        first, last, duration = _span(dates)
        phase_rows.append({
            "key": phase["key"], "label": phase["label"], "stages": [s["number"] for s in members],
            "n_activities": len(keys), "n_completed": len(dates),
            "proportion": len(dates) / len(keys) if keys else None,
            "first_date": first, "last_date": last, "duration_days": duration,
        })
    timeline = sorted(
        (
            {"date": when, "activity_key": key, "activity_label": index[key][1]["label"],
             "stage": index[key][0]["number"], "stage_label": index[key][0]["label"], "phase": index[key][0]["phase"]}
            for key, when in done.items()
        ),
        key=lambda r: (r["date"], r["stage"], r["activity_key"]),
    )
    reached = [s["number"] for s in stage_rows if s["n_completed"]]
    return {"stages": stage_rows, "phases": phase_rows, "current_stage": max(reached) if reached else None,
            "timeline": timeline}
