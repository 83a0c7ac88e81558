"""Aim 3: which contextual determinants go with better implementation (descriptive, few cases).

Cases are the clinics (4) or the counselors (16). An outcome is split into high and low groups (median split, or
the user's threshold: ``configurational.split_groups``); for every CFIR construct (consensus ratings; a counselor
carries her clinic's rating) and every readiness subscale (clinic means; likewise carried) the page shows the
mean per group with n and their difference (``configurational.group_difference``); at the clinic level also the
Damschroder & Lowery (2013) rule (``qualitative.distinguishing``). Counselor characteristics come from the
readiness applications (CRFS mean, experience); readiness survey answers are anonymous and cannot be linked to a
counselor. A crisp-set truth table (``configurational.truth_table``) and the case x condition CSV for R's QCA / cna
close the page. No p-values: with 4 clinics or 16 counselors these are descriptions, not tests.

Calibration of the truth table (Ragin 2008, ch. 4-5; Schneider & Wagemann 2012, ch. 1): every condition and the
outcome has its own threshold, which the user may set (query argument ``threshold.<condition key>``; the outcome's
is ``threshold`` with ``split=threshold``) within the measure's range: readiness subscales their scale (e.g. 1-5),
consensus ratings -2..+2, CRFS -1..9, shares 0..1, dose 0..12 sessions. A value at or above the threshold is in
the set (1). Defaults: a construct is present at a rating of +1 or more; a number (readiness mean, CRFS, the
outcome) is in the set above the cases' median (a data-driven split that keeps variation among few cases; a
threshold from knowledge of the measure, e.g. the scale midpoint, is better when the cases allow it). The
thresholds used are on the page and in the CSV's ``#`` comment lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from implementation_outcomes.configurational import (
    calibrate_condition,
    case_condition_table,
    group_difference,
    means_by_case,
    r_name,
    split_groups,
    truth_table,
)
from implementation_outcomes.feasibility import SESSIONS_IN_PROTOCOL
from implementation_outcomes.integration.services.joint import (
    construct_choices,
    display_clinics,
    quantitative,
)
from qualitative.analysis.services import ratings
from qualitative.distinguishing import distinguishes
from qualitative.models import QualProject
from qualitative.rating_agreement import CFIR_RATING_CATEGORIES
from readiness.application.eligibility_services import counselor_characteristics
from readiness.eligibility import CRFS_RANGE

LEVELS = {"clinic": "Clinics (4 cases)", "counselor": "Counselors (16 cases)"}
OUTCOMES = {
    "clinic": {"adequate_share": "Share of rated sessions with adequate fidelity",
               "mean_dose": "Mean dose (attended sessions per MIO mother)",
               "completion_share": "Share of MIO mothers completing the threshold dose",
               "reach": "Reach (enrolled / eligible and offered)",
               "adoption": "Staff adoption (delivering / eligible counselors)"},
    "counselor": {"adequate_share": "Share of the counselor's rated sessions with adequate fidelity",
                  "mean_dose": "Mean dose of the counselor's MIO mothers",
                  "consultation": "Consultation-call attendance"},
}
#: the range of each outcome, for its threshold: shares 0..1, dose 0..the protocol's sessions
OUTCOME_RANGES = {"adequate_share": (0.0, 1.0), "completion_share": (0.0, 1.0), "reach": (0.0, 1.0),
                  "adoption": (0.0, 1.0), "consultation": (0.0, 1.0), "mean_dose": (0.0, float(SESSIONS_IN_PROTOCOL))}
RATING_RANGE = (float(min(CFIR_RATING_CATEGORIES)), float(max(CFIR_RATING_CATEGORIES)))
CONSTRUCT_THRESHOLD = 1  # a construct is "present" in a case when its consensus rating is +1 or +2
THRESHOLD_PREFIX = "threshold."  # query argument of a condition's threshold: threshold.<condition key>
CAUTION = ("Descriptive only: {n} cases. With 4 clinics (or 16 counselors nested in them) differences of means are "
           "descriptions of these cases, not estimates; no p-values are computed at the clinic level, and "
           "counselors in one clinic share its context, so they are not independent.")


class DeterminantsInputError(ValueError):
    def __init__(self, message: str, field_name: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class Choice:
    level: str = "clinic"
    outcome: str = "adequate_share"
    threshold: float | None = None  # None: median split
    conditions: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)  # condition key -> the user's threshold


def _number(raw: str, field_name: str, what: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DeterminantsInputError(f"{what} must be a number (e.g. 0.8 or 7), not {raw!r}.", field_name)
    return value


def _within(value: float, bounds: tuple[float, float], field_name: str, what: str) -> None:
    lo, hi = bounds
    if not lo <= value <= hi:
        raise DeterminantsInputError(f"{what} must be between {lo:g} and {hi:g}, not {value:g}.", field_name)


def parse_choice(args) -> Choice:
    """Query arguments -> Choice; DeterminantsInputError names the field. The outcome's threshold is checked
    against its range here; the conditions' thresholds (numbers here) in :func:`analyse`, which knows them."""
    level = args.get("level") or "clinic"
    if level not in LEVELS:
        raise DeterminantsInputError(f"Level must be one of {', '.join(LEVELS)}, not {level!r}.", "level")
    outcome = args.get("outcome") or "adequate_share"
    if outcome not in OUTCOMES[level]:
        raise DeterminantsInputError(f"Outcome {outcome!r} is not available at the {level} level.", "outcome")
    threshold = None
    if (args.get("split") or "median") == "threshold":
        threshold = _number((args.get("threshold") or "").strip(), "threshold", "Threshold")
        _within(threshold, OUTCOME_RANGES[outcome], "threshold", f"Threshold for {OUTCOMES[level][outcome].lower()}")
    elif args.get("split") not in (None, "", "median"):
        raise DeterminantsInputError("Split must be the median or a threshold.", "split")
    thresholds = {}
    for name in args:
        raw = (args.get(name) or "").strip()
        if name.startswith(THRESHOLD_PREFIX) and raw:
            key = name.removeprefix(THRESHOLD_PREFIX)
            thresholds[key] = _number(raw, name, f"Threshold for {key}")
    return Choice(level, outcome, threshold, [c for c in args.getlist("condition") if c], thresholds)


def _clinic_cases(clinics, quant) -> dict[str, dict[str, Any]]:
    cases = {}
    for c in clinics:
        o = quant[c.id]["outcomes"]
        cases[c.code] = {"clinic_id": c.id, "clinic": c.code,
                         "outcomes": {"adequate_share": o["adequate_share"], "mean_dose": o["mean_dose"],
                                      "completion_share": o["completion_share"], "reach": o["reach"],
                                      "adoption": o["adoption"]}}
    return cases


def _counselor_cases(clinics, quant, user=None) -> dict[str, dict[str, Any]]:
    traits = counselor_characteristics([c.id for c in clinics], user)
    cases = {}
    for c in clinics:
        o = quant[c.id]["outcomes"]
        fidelity = {r["counselor_id"]: r for r in o["fidelity_by_counselor"]}
        consultation = {r["counselor_id"]: r for r in o["consultation"]}
        dose = means_by_case((m["counselor"], m["dose"]) for m in o["mothers"] if m["counselor"])
        people = {**{r["counselor_id"]: r["counselor"] for r in o["fidelity_by_counselor"]},
                  **{r["counselor_id"]: r["counselor"] for r in o["consultation"]}}
        for person_id, name in sorted(people.items(), key=lambda kv: kv[1]):
            trait = traits.get(person_id, {})
            cases[f"{name} ({c.code})"] = {
                "clinic_id": c.id, "clinic": c.code, "person_id": person_id, "name": name,
                "crfs_mean": trait.get("crfs_mean"), "experience": trait.get("experience"),
                "rated_sessions": fidelity.get(person_id, {}).get("rated", 0),
                "mothers": dose.get(name, {}).get("n", 0),
                "outcomes": {"adequate_share": fidelity.get(person_id, {}).get("share"),
                             "mean_dose": dose.get(name, {}).get("mean"),
                             "consultation": consultation.get(person_id, {}).get("attendance")}}
    return cases


def _variables(project, clinics, quant, constructs, user) -> list[dict[str, Any]]:
    """Candidate determinants: each readiness subscale and each construct, with its value per clinic id."""
    out = []
    seen: dict[str, dict[str, Any]] = {}
    for c in clinics:
        for component in quant[c.id]["readiness"]["components"]:
            for s in component["subscales"]:
                key = f"R.{s['instrument']}.{s['subscale']}"
                entry = seen.setdefault(key, {"key": key, "kind": "readiness", "label": f"{s['label']} "
                                              f"({component['label']})", "values": {},
                                              "range": (float(s["scale_min"]), float(s["scale_max"]))})
                entry["values"][c.id] = s["mean"]
    out += list(seen.values())
    cells = {c.id: {r["code_id"]: r for r in ratings.construct_ratings_for_clinic(project.id, c.id, user)}
             for c in clinics}
    for construct in constructs:
        if not any(construct["id"] in cells[c.id] for c in clinics):
            continue  # never rated anywhere: nothing to compare
        values = {}
        for c in clinics:
            cell = cells[c.id].get(construct["id"])
            values[c.id] = None if cell is None or cell["mixed"] else cell["rating"]
        out.append({"key": f"C.{construct['key']}", "kind": "construct", "label": construct["path"],
                    "values": values, "construct": construct, "range": RATING_RANGE})
    return out


def analyse(project: QualProject, choice: Choice, user) -> dict[str, Any]:
    """The whole determinants page as plain data (see the module docstring)."""
    clinics = display_clinics(user)
    quant = quantitative(clinics, user)
    constructs = construct_choices(project)
    clinic_cases = _clinic_cases(clinics, quant)
    counselor_cases = _counselor_cases(clinics, quant, user)
    cases = clinic_cases if choice.level == "clinic" else counselor_cases
    outcome_values = {name: case["outcomes"][choice.outcome] for name, case in cases.items()}
    groups, cut = split_groups(outcome_values, choice.threshold)
    variables = _variables(project, clinics, quant, constructs, user)
    case_values = {v["key"]: {name: v["values"].get(case["clinic_id"]) for name, case in cases.items()}
                   for v in variables}
    if choice.level == "counselor":
        crfs = {"key": "CRFS", "kind": "counselor", "label": "Clinical Reflective Functioning Scale mean (CRFS)",
                "values": {}, "range": CRFS_RANGE}
        variables.insert(0, crfs)
        case_values["CRFS"] = {name: case["crfs_mean"] for name, case in cases.items()}
    by_id = {c.id: c.code for c in clinics}
    rows = []
    for v in variables:
        diff = group_difference(case_values[v["key"]], groups)
        distinction = None
        if v["kind"] == "construct" and choice.level == "clinic":
            distinction = distinguishes({by_id[i]: r for i, r in v["values"].items()},
                                        {n: g for n, g in groups.items() if g})
        rows.append({**{k: v[k] for k in ("key", "kind", "label")}, **diff, "distinction": distinction})
    rows.sort(key=lambda r: (r["kind"] != "counselor", -(abs(r["difference"]) if r["difference"] is not None
                                                          else -1)))
    keys = [v["key"] for v in variables]
    for v in variables:
        v["default"] = _default_rule(v, case_values[v["key"]])
    thresholds, not_here = _condition_thresholds(choice, variables)
    conditions = [c for c in choice.conditions if c in keys] or default_conditions(rows)
    table, calibrated = None, {"conditions": {}, "outcome": {}, "calibration": []}
    if conditions:
        table, calibrated = _truth_table(choice, cases, groups, cut, variables, case_values, conditions, thresholds)
    return {"choice": choice, "levels": LEVELS, "outcomes": OUTCOMES[choice.level], "all_outcomes": OUTCOMES,
            "outcome_label": OUTCOMES[choice.level][choice.outcome], "cases": cases, "groups": groups,
            "cut": cut, "outcome_values": outcome_values, "rows": rows, "variables": variables,
            "conditions": conditions, "truth_table": table, "calibrated": calibrated,
            "calibration": calibrated["calibration"], "case_values": case_values, "thresholds": thresholds,
            "thresholds_not_here": not_here, "outcome_range": OUTCOME_RANGES[choice.outcome],
            "caution": CAUTION.format(n=len(cases)), "counselors": counselor_cases,
            "labels": {v["key"]: v["label"] for v in variables}}


def _condition_thresholds(choice: Choice, variables: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
    """The user's thresholds of this level's conditions, each checked against its measure's range (the error names
    the field); thresholds of conditions this level does not have (CRFS at the clinic level, after switching
    level) are listed, not used."""
    by_key = {v["key"]: v for v in variables}
    used, not_here = {}, []
    for key, value in choice.thresholds.items():
        if key not in by_key:
            not_here.append(key)
            continue
        _within(value, by_key[key]["range"], THRESHOLD_PREFIX + key, f"Threshold for {by_key[key]['label']}")
        used[key] = value
    return used, not_here


def default_conditions(rows: list[dict[str, Any]]) -> list[str]:
    """Up to three determinants: the counselor characteristic (if any) and the constructs and readiness scores
    with the largest group differences."""
    def first(kind: str, n: int) -> list[str]:
        return [r["key"] for r in rows if r["kind"] == kind and r["difference"] is not None][:n]

    picked = first("counselor", 1) + first("construct", 2) + first("readiness", 1)
    return picked[:3]


def _default_rule(variable: dict[str, Any], values: dict[str, float | None]) -> dict[str, Any]:
    """The default threshold of a condition: +1 for a consensus rating, else the cases' median (see the module)."""
    if variable["kind"] == "construct":
        return {"threshold": float(CONSTRUCT_THRESHOLD), "operator": ">=",
                "text": f"rating {CONSTRUCT_THRESHOLD:+d} or higher (a positive influence)"}
    present = [v for v in values.values() if v is not None]
    cut = float(median(present)) if present else None
    return {"threshold": cut, "operator": ">", "text": "above the cases' median" if cut is None
            else f"above the cases' median, {cut:g}"}


def _calibration(key: str, label: str, column: str, bounds: tuple[float, float], given: float | None,
                 default: dict[str, Any], cut: float | None) -> dict[str, Any]:
    """One line of the calibration table (page and CSV): the threshold used, how it applies, who set it."""
    lo, hi = bounds
    return {"key": key, "label": label, "column": column, "range": bounds, "midpoint": (lo + hi) / 2,
            "threshold": cut, "operator": ">=" if given is not None else default["operator"],
            "source": "yours" if given is not None else "default", "default": default["text"]}


def _truth_table(choice: Choice, cases, groups, cut, variables, case_values, conditions, thresholds):
    """Calibrate each chosen condition with its threshold (the user's, else the default: rating >= +1 for a
    construct, above the cases' median for a number) and the outcome (the high group = 1), then build the truth
    table. Returns it with the memberships and the calibration used."""
    by_key = {v["key"]: v for v in variables}
    calibrated: dict[str, dict[str, int | None]] = {name: {} for name in cases}
    calibration = []
    for key in conditions:
        variable = by_key[key]
        given = thresholds.get(key)
        threshold = given if given is not None else (CONSTRUCT_THRESHOLD if variable["kind"] == "construct" else None)
        members, used = calibrate_condition(case_values[key], threshold)
        for name in cases:
            calibrated[name][key] = members[name]
        calibration.append(_calibration(key, variable["label"], r_name(key), variable["range"], given,
                                        variable["default"], used))
    outcome = {name: None if g is None else int(g == "high") for name, g in groups.items()}
    outcome_default = {"operator": ">", "text": "above the cases' median" if cut is None or choice.threshold
                       is not None else f"above the cases' median, {cut:g}"}
    calibration.append(_calibration(choice.outcome, OUTCOMES[choice.level][choice.outcome],
                                    r_name(outcome_column(choice)), OUTCOME_RANGES[choice.outcome], choice.threshold,
                                    outcome_default, cut))
    return truth_table(calibrated, outcome, conditions), {"conditions": calibrated, "outcome": outcome,
                                                          "calibration": calibration}


def outcome_column(choice: Choice) -> str:
    return f"{choice.outcome}_high"


def calibration_comments(result: dict[str, Any]) -> list[str]:
    """The ``#`` lines above the CSV (R: ``read.csv(..., comment.char = "#")``): what the table is and, per column,
    the threshold that made it 0/1."""
    choice = result["choice"]
    lines = [f"MIO determinants (Aim 3): crisp-set case x condition table, 1 = in the set; level {choice.level}, "
             f"outcome {choice.outcome} ({result['outcome_label']})",
             "calibration per column: 1 when value >= threshold (a threshold you set, or a construct's +1), "
             "or > the cases' median (default); Ragin 2008, Schneider & Wagemann 2012"]
    for c in result["calibration"]:
        threshold = "none (no values)" if c["threshold"] is None else f"{c['threshold']:g}"
        set_by = "your threshold" if c["source"] == "yours" else f"default: {c['default']}"
        lines.append(f"{c['column']}: 1 when value {c['operator']} {threshold}; {set_by}; "
                     f"range {c['range'][0]:g} to {c['range'][1]:g}; {c['label']}")
    return lines


def cases_csv(result: dict[str, Any]) -> tuple[list[str], list[list], list[str]]:
    """The case x condition table (see ``configurational.case_condition_table``) and its calibration comments."""
    if not result["conditions"]:
        raise DeterminantsInputError("There is no condition with values to export yet.", "condition")
    headers, rows = case_condition_table(result["calibrated"]["conditions"], result["calibrated"]["outcome"],
                                         result["conditions"], outcome_column(result["choice"]))
    return headers, rows, calibration_comments(result)
