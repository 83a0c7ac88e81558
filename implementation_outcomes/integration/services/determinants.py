"""Aim 3: which contextual determinants go with better implementation (descriptive, few cases).

Cases are the clinics (4) or the counselors (16). An outcome is split into high and low groups (median split, or
the user's threshold: ``configurational.split_groups``); for every CFIR construct (consensus ratings; a counselor
carries her clinic's rating) and every readiness subscale (clinic means; likewise carried) the page shows the
mean per group with n and their difference (``configurational.group_difference``); at the clinic level also the
Damschroder & Lowery (2013) rule (``qualitative.distinguishing``). Counselor characteristics come from the
readiness applications (CRFS mean, experience); readiness survey answers are anonymous and cannot be linked to a
counselor. A crisp-set truth table (``configurational.truth_table``) and the case x condition CSV for R's QCA / cna
close the page. No p-values: with 4 clinics or 16 counselors these are descriptions, not tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from implementation_outcomes.configurational import (
    calibrate,
    case_condition_table,
    group_difference,
    means_by_case,
    split_groups,
    truth_table,
)
from implementation_outcomes.integration.services.joint import (
    construct_choices,
    display_clinics,
    quantitative,
)
from qualitative.analysis.services import ratings
from qualitative.distinguishing import distinguishes
from qualitative.models import QualProject
from readiness.application.eligibility_services import counselor_characteristics

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
CONSTRUCT_THRESHOLD = 1  # a construct is "present" in a case when its consensus rating is +1 or +2
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


def parse_choice(args) -> Choice:
    """Query arguments -> Choice; DeterminantsInputError names the field."""
    level = args.get("level") or "clinic"
    if level not in LEVELS:
        raise DeterminantsInputError(f"Level must be one of {', '.join(LEVELS)}, not {level!r}.", "level")
    outcome = args.get("outcome") or "adequate_share"
    if outcome not in OUTCOMES[level]:
        raise DeterminantsInputError(f"Outcome {outcome!r} is not available at the {level} level.", "outcome")
    threshold = None
    if (args.get("split") or "median") == "threshold":
        raw = (args.get("threshold") or "").strip()
        try:
            threshold = float(raw)
        except ValueError:
            raise DeterminantsInputError(f"Threshold must be a number (e.g. 0.8 or 7), not {raw!r}.",
                                         "threshold") from None
    elif args.get("split") not in (None, "", "median"):
        raise DeterminantsInputError("Split must be the median or a threshold.", "split")
    return Choice(level, outcome, threshold, [c for c in args.getlist("condition") if c])


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
                                              f"({component['label']})", "values": {}})
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
                    "values": values, "construct": construct})
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
                "values": {}}
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
    conditions = [c for c in choice.conditions if c in keys] or default_conditions(rows)
    table, calibrated, rules = None, {"conditions": {}, "outcome": {}}, {}
    if conditions:
        table, calibrated, rules = _truth_table(cases, groups, variables, case_values, conditions)
    return {"choice": choice, "levels": LEVELS, "outcomes": OUTCOMES[choice.level], "all_outcomes": OUTCOMES,
            "outcome_label": OUTCOMES[choice.level][choice.outcome], "cases": cases, "groups": groups,
            "cut": cut, "outcome_values": outcome_values, "rows": rows, "variables": variables,
            "conditions": conditions, "truth_table": table, "calibrated": calibrated, "rules": rules,
            "caution": CAUTION.format(n=len(cases)), "counselors": counselor_cases,
            "labels": {v["key"]: v["label"] for v in variables}}


def default_conditions(rows: list[dict[str, Any]]) -> list[str]:
    """Up to three determinants: the counselor characteristic (if any) and the constructs and readiness scores
    with the largest group differences."""
    def first(kind: str, n: int) -> list[str]:
        return [r["key"] for r in rows if r["kind"] == kind and r["difference"] is not None][:n]

    picked = first("counselor", 1) + first("construct", 2) + first("readiness", 1)
    return picked[:3]


def _truth_table(cases, groups, variables, case_values, conditions):
    """Calibrate each chosen condition (constructs: rating >= +1; numbers: above the cases' median) and the
    outcome (the high group = 1), then build the truth table."""
    kinds = {v["key"]: v["kind"] for v in variables}
    calibrated: dict[str, dict[str, int | None]] = {name: {} for name in cases}
    rules = {}
    for key in conditions:
        if kinds[key] == "construct":
            rules[key] = f"1 when the consensus rating is {CONSTRUCT_THRESHOLD:+d} or higher"
            for name in cases:
                value = case_values[key][name]
                calibrated[name][key] = None if value is None else calibrate(value, CONSTRUCT_THRESHOLD)
        else:
            split, cut = split_groups(case_values[key])
            rules[key] = f"1 when above the cases' median ({cut:.2f})" if cut is not None else "no values"
            for name in cases:
                calibrated[name][key] = None if split[name] is None else int(split[name] == "high")
    outcome = {name: None if g is None else int(g == "high") for name, g in groups.items()}
    return truth_table(calibrated, outcome, conditions), {"conditions": calibrated, "outcome": outcome}, rules


def cases_csv(result: dict[str, Any]) -> tuple[list[str], list[list]]:
    """The case x condition table (see ``configurational.case_condition_table``)."""
    if not result["conditions"]:
        raise DeterminantsInputError("There is no condition with values to export yet.", "condition")
    return case_condition_table(result["calibrated"]["conditions"], result["calibrated"]["outcome"],
                                result["conditions"], f"{result['choice'].outcome}_high")
