"""Tables of adoption and stage figures, built from the plain dicts the services return (no database, no maths:
every number comes from ``adoption_funnel``/``staff_adoption``/``penetration``/``setting_adoption``/
``stage_scores``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.implementation.services.adoption import STEP_LABELS, TRAINED_LABEL
from implementation_outcomes.implementation.tables import Column, Table

Entry = Mapping[str, Any]


# --- one clinic: adoption --------------------------------------------------------------------------------------------
def funnel_table(entry: Entry, name: str = "funnel", caption: str | None = None) -> Table:
    table = Table(name, caption or f"Adoption funnel, {entry['clinic']['code']}",
                  [Column("Step"), Column("Counselors", "int"), Column("% of previous step", "proportion"),
                   Column("% of invited", "proportion")])
    for row in entry["funnel"]:
        table.rows.append([STEP_LABELS[row["step"]], row["count"], row["pct_of_previous"], row["pct_of_invited"]])
    return table


def counselor_steps_table(entry: Entry) -> Table:
    table = Table("counselor-steps", f"Dated steps per counselor, {entry['clinic']['code']}",
                  [Column("Counselor")] + [Column(STEP_LABELS[s], "date") for s in COUNSELOR_STEPS])
    for counselor in entry["counselors"]:
        name = counselor["name"] + ("" if counselor["active"] else " (inactive)")
        table.rows.append([name] + [counselor["steps"].get(s) for s in COUNSELOR_STEPS])
        table.row_ids.append(counselor["id"])
    return table


def contradictions_table(entry: Entry) -> Table:
    """One row per contradiction between a counselor's recorded steps and the delivery data (``derive_steps``)."""
    table = Table("adoption-contradictions",
                  f"Recorded steps the data contradict, or steps the data prove but nobody recorded, "
                  f"{entry['clinic']['code']}",
                  [Column("Counselor"), Column("Step"), Column("Recorded on", "date"), Column("Data show it from", "date"),
                   Column("What the data show")])
    for counselor in entry["counselors"]:
        for flag in counselor["flags"]:
            table.rows.append([counselor["name"], STEP_LABELS[flag["step"]], flag["recorded_on"], flag["data_on"],
                               flag["message"]])
            table.row_ids.append(counselor["id"])
    return table


def summary_table(entry: Entry) -> Table:
    adoption, pen = entry["staff_adoption"], entry["penetration"]
    by_hand = entry["recorded_staff_adoption"]
    table = Table("adoption-summary", f"Staff-level adoption and penetration, {entry['clinic']['code']}",
                  [Column("Measure"), Column("Numerator", "int"), Column("Denominator", "int"),
                   Column("Value", "proportion")])
    table.rows = [
        ["Staff adoption (delivering / eligible)", adoption["delivering"], adoption["eligible"],
         adoption["adoption_of_eligible"]],
        ["Staff adoption (delivering / invited)", adoption["delivering"], adoption["invited"],
         adoption["adoption_of_invited"]],
        [f"Penetration (delivering / trained: {TRAINED_LABEL})", pen["delivering"], pen["trained"], pen["penetration"]],
        ["Staff adoption from hand-recorded steps only (delivering / eligible)", by_hand["delivering"],
         by_hand["eligible"], by_hand["adoption_of_eligible"]],
    ]
    return table


# --- across clinics: adoption ----------------------------------------------------------------------------------------
def funnel_comparison_table(per_clinic: Sequence[Entry], overall: Entry) -> Table:
    columns = [Column("Step")] + [Column(e["clinic"]["code"], "int") for e in per_clinic] + [
        Column("All clinics", "int"), Column("All clinics, % of invited", "proportion")]
    table = Table("funnel-comparison", "Counselors reaching each step, by clinic", columns)
    for i, step in enumerate(COUNSELOR_STEPS):
        table.rows.append([STEP_LABELS[step]] + [e["funnel"][i]["count"] for e in per_clinic]
                          + [overall["funnel"][i]["count"], overall["funnel"][i]["pct_of_invited"]])
    return table


def staff_adoption_table(per_clinic: Sequence[Entry], overall: Entry) -> Table:
    columns = [Column("Clinic"), Column("Invited", "int"), Column("Eligible", "int"), Column("Trained", "int"),
               Column("Delivering", "int"), Column("Adoption (of eligible)", "proportion"),
               Column("Adoption (of invited)", "proportion"), Column("Penetration (delivering / trained)", "proportion")]
    table = Table("staff-adoption", "Staff-level adoption and penetration by clinic", columns)
    for label, e in [*((e["clinic"]["code"], e) for e in per_clinic), ("All clinics", overall)]:
        a, p = e["staff_adoption"], e["penetration"]
        table.rows.append([label, a["invited"], a["eligible"], p["trained"], a["delivering"], a["adoption_of_eligible"],
                           a["adoption_of_invited"], p["penetration"]])
    return table


def setting_table(rows: Sequence[Entry]) -> Table:
    table = Table("setting-adoption", "Setting-level adoption: clinics taking part / clinics approached",
                  [Column("Agency"), Column("Clinics approached", "int"), Column("Clinics taking part", "int"),
                   Column("Setting-level adoption", "proportion")])
    table.rows = [[r["agency"], r["approached"], r["taking_part"], r["adoption"]] for r in rows]
    return table


# --- one clinic: stages ----------------------------------------------------------------------------------------------
def stages_table(scores: Entry, phase_labels: Mapping[str, str]) -> Table:
    table = Table("stages", f"Completion by stage, {scores['clinic']['code']}",
                  [Column("Stage"), Column("Phase"), Column("Activities", "int"), Column("Completed", "int"),
                   Column("Proportion completed", "proportion"), Column("First completed", "date"),
                   Column("Last completed", "date"), Column("Duration (days)", "days")])
    for s in scores["stages"]:
        table.rows.append([f"{s['number']}. {s['label']}", phase_labels[s["phase"]], s["n_activities"],
                           s["n_completed"], s["proportion"], s["first_date"], s["last_date"], s["duration_days"]])
    return table


def phases_table(scores: Entry) -> Table:
    table = Table("phases", f"Completion by phase, {scores['clinic']['code']}",
                  [Column("Phase"), Column("Stages"), Column("Activities", "int"), Column("Completed", "int"),
                   Column("Proportion completed", "proportion"), Column("First completed", "date"),
                   Column("Last completed", "date"), Column("Duration (days)", "days")])
    for p in scores["phases"]:
        table.rows.append([p["label"], ", ".join(str(n) for n in p["stages"]), p["n_activities"], p["n_completed"],
                           p["proportion"], p["first_date"], p["last_date"], p["duration_days"]])
    return table


def timeline_table(scores: Entry) -> Table:
    table = Table("timeline", f"Completed activities in date order, {scores['clinic']['code']}",
                  [Column("Date", "date"), Column("Stage"), Column("Activity"), Column("Note")], row_headers=False)
    for r in scores["timeline"]:
        table.rows.append([r["date"], f"{r['stage']}. {r['stage_label']}", r["activity_label"], r.get("note") or ""])
    return table


# --- across clinics: stages ------------------------------------------------------------------------------------------
def stages_comparison_table(per_clinic: Sequence[Entry], stage_list: Sequence[Entry]) -> Table:
    columns = [Column("Stage")]
    for e in per_clinic:
        code = e["clinic"]["code"]
        columns += [Column(f"{code} proportion", "proportion"), Column(f"{code} duration (days)", "days")]
    table = Table("stages-comparison", "Stages by clinic: proportion of activities completed and duration", columns)
    for i, stage in enumerate(stage_list):
        row: list[Any] = [f"{stage['number']}. {stage['label']}"]
        for e in per_clinic:
            row += [e["stages"][i]["proportion"], e["stages"][i]["duration_days"]]
        table.rows.append(row)
    return table


def clinic_progress_table(per_clinic: Sequence[Entry], phase_list: Sequence[Entry]) -> Table:
    columns = [Column("Clinic"), Column("Current stage", "int")]
    for p in phase_list:
        columns += [Column(f"{p['label']} proportion", "proportion"), Column(f"{p['label']} duration (days)", "days")]
    table = Table("clinic-progress", "Current stage and completion by phase, by clinic", columns)
    for e in per_clinic:
        row: list[Any] = [e["clinic"]["code"], e["current_stage"]]
        for p in e["phases"]:
            row += [p["proportion"], p["duration_days"]]
        table.rows.append(row)
    return table
