"""The overview's tables (``delivery.tables.Table``: the page renders them, CSV/Excel/``mio outcomes`` write them),
built from the services' plain rows; no figure is computed here. ``hidden`` is the set of fields the user may not
read (``services.hidden_fields``): their columns and charts are left out."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from app import formatting
from implementation_outcomes.delivery.tables import Column, Table

#: (row key, header, kind) of the overview table, in order: the page, the downloads and the CLI share it
OVERVIEW_COLUMNS: list[tuple[str, str, str]] = [
    ("clinic", "Clinic", "text"),
    ("agency", "Agency", "text"),
    ("screened", "Screened", "int"),
    ("offered", "Eligible and offered", "int"),
    ("enrolled", "Enrolled", "int"),
    ("reach", "Reach (enrolled / offered)", "pct"),
    ("reach_eligible", "Reach, RE-AIM (enrolled / eligible)", "pct"),
    ("reach_sensitivity", "Reach, sensitivity (lost counted)", "pct"),
    ("eligible", "Eligible counselors", "int"),
    ("delivering", "Counselors delivering", "int"),
    ("adoption", "Adoption (delivering / eligible)", "pct"),
    ("trained", "Counselors trained", "int"),
    ("penetration", "Penetration (delivering / trained)", "pct"),
    ("adoption_flags", "Counselors whose adoption records contradict the data", "int"),
    ("mio_mothers", "Mothers in MIO + TAU", "int"),
    ("mean_dose", "Mean dose (sessions)", "mean"),
    ("completion_share", "Completed", "pct"),
    ("share_50_60", "Sessions of 50-60 min", "pct"),
    ("rated_sessions", "Coder-rated sessions", "int"),
    ("adequate_share", "Adequate fidelity", "pct"),
    ("icc", "ICC, trial sessions", "num"),
    ("icc_ci_low", "ICC 95% CI low", "num"),
    ("icc_ci_high", "ICC 95% CI high", "num"),
    ("icc_band", "ICC band (Koo & Li, from the CI)", "text"),
    ("icc_form", "ICC form", "text"),
    ("icc_pairs", "ICC double-coded trial sessions (n)", "int"),
    ("icc_training", "ICC, training-case sessions (apart)", "num"),
    ("icc_training_pairs", "ICC double-coded training-case sessions (n)", "int"),
    ("current_stage", "Current stage", "int"),
    ("current_stage_label", "Stage", "text"),
]

#: the column groups of the overview table (key, heading, first row key .. last row key); clinic and agency stay
#: outside every group, always shown
COLUMN_GROUPS: list[tuple[str, str, str, str]] = [
    ("reach", "Reach", "screened", "reach_sensitivity"),
    ("adoption", "Adoption", "eligible", "adoption_flags"),
    ("feasibility", "Feasibility", "mio_mothers", "share_50_60"),
    ("fidelity", "Fidelity", "rated_sessions", "icc_training_pairs"),
    ("stage", "Stage", "current_stage", "current_stage_label"),
]


def _group_of() -> dict[str, str]:
    keys = [key for key, _h, _k in OVERVIEW_COLUMNS]
    out: dict[str, str] = {}
    for group, _heading, first, last in COLUMN_GROUPS:
        for key in keys[keys.index(first):keys.index(last) + 1]:
            out[key] = group
    return out


GROUP_OF: dict[str, str] = _group_of()


def column_groups(table: Table) -> list[dict[str, Any]]:
    """The header row above the column headers: ``{key, heading, columns}`` per run of columns in table order
    (``key`` None for the ungrouped clinic and agency, which span both header rows)."""
    headings = {g: h for g, h, _f, _l in COLUMN_GROUPS}
    runs: list[dict[str, Any]] = []
    for column in table.columns:
        if runs and runs[-1]["key"] == column.group:
            runs[-1]["columns"].append(column)
        else:
            runs.append({"key": column.group, "heading": headings.get(column.group, ""), "columns": [column]})
    return runs


#: the charted outcomes: (name, row key, title)
CHARTED: list[tuple[str, str, str]] = [
    ("reach", "reach", "Reach (enrolled / eligible and offered)"),
    ("adoption", "adoption", "Adoption (counselors delivering / eligible)"),
    ("completion", "completion_share", "Mothers completing MIO"),
    ("fidelity", "adequate_share", "Sessions with adequate fidelity"),
]


def overview_columns(hidden: Collection[str] = ()) -> list[tuple[str, str, str]]:
    return [column for column in OVERVIEW_COLUMNS if column[0] not in hidden]


def charted(hidden: Collection[str] = ()) -> list[tuple[str, str, str]]:
    return [chart for chart in CHARTED if chart[1] not in hidden]


def overview_table(rows: Sequence[dict[str, Any]], hidden: Collection[str] = ()) -> Table:
    columns = overview_columns(hidden)
    note = "Shares are of the denominators named in the headers; a dash means undefined (no denominator)."
    if "icc" not in hidden:
        note += (" ICC(2,1) (two-way random, absolute agreement, single rater) of the adherence score over "
                 "double-coded trial sessions, 95% CI by McGraw & Wong 1996; its band is every Koo & Li (2016) band "
                 "the CI spans; training-case sessions are reported apart, never pooled into it.")
    return Table("outcomes", "Implementation outcomes by clinic",
                 [Column(header, kind, key, GROUP_OF.get(key)) for key, header, kind in columns],
                 [[row[key] for key, _h, _k in columns] for row in rows], note=note)


def chart_table(rows: Sequence[dict[str, Any]], name: str) -> Table:
    """The numbers beside one chart: clinic, the share and its denominator."""
    _name, key, title = next(c for c in CHARTED if c[0] == name)
    return Table(name, title, [Column("Clinic"), Column(title.split(" (")[0], "pct")],
                 [[row["clinic"], row[key]] for row in rows])


def overview_tables(rows: Sequence[dict[str, Any]], hidden: Collection[str] = ()) -> list[Table]:
    return [overview_table(rows, hidden), *(chart_table(rows, name) for name, _k, _t in charted(hidden))]


def clinic_tables(c: dict[str, Any], step_labels: dict[str, str]) -> list[Table]:
    figures = Table("headline", f"Headline figures · {c['clinic']['code']}", [Column("Outcome"), Column("Value")])
    by_key = {key: (header, kind) for key, header, kind in OVERVIEW_COLUMNS}
    for key, value in c["figures"].items():
        header, kind = by_key[key]
        figures.rows.append([header, _display(value, kind)])
    funnel = Table("funnel", "Counselors reaching each adoption step",
                   [Column("Step"), Column("Counselors", "int"), Column("Of invited", "pct")],
                   [[step_labels.get(f["step"], f["step"]), f["count"], f["pct_of_invited"]] for f in c["funnel"]])
    counselors = Table("counselors", "Counselors",
                       [Column("Counselor"), Column("Furthest step (recorded or proven by the data)"),
                        Column("Furthest step recorded by hand"), Column("Records and data")],
                       [[p["name"], p["furthest_label"] or "none yet", p["recorded_furthest_label"] or "none yet",
                         " ".join(p["flags"]) or "agree"] for p in c["counselors"]],
                       note="A step counts when recorded by hand or proven by the delivery data (delivering: an "
                            "attended MIO session; rostered: a mother assigned; training-case steps: attended "
                            "training-case sessions; consultation: 70 %+ of logged calls); a later step implies "
                            "the earlier ones.")
    return [figures, funnel, counselors]


def _display(value: Any, kind: str) -> Any:
    """A headline value in a two-column table (mixed kinds), written as everywhere else (``app.formatting``)."""
    if value is None:
        return None
    return formatting.cell(value, kind) if kind != "text" else value


def counselor_tables(c: dict[str, Any]) -> list[Table]:
    steps = Table("steps", "Adoption steps",
                  [Column("Step"), Column("Recorded on", "date"), Column("Counted from", "date"), Column("Counted because")],
                  [[s["label"], s["reached_on"], s["counted_from"], s["source"]] for s in c["steps"]],
                  note=" ".join(c["adoption_flags"]) or "The recorded steps agree with the sessions, calls and roster.")
    sessions = c["sessions"]
    delivered = Table("sessions", "MIO sessions with trial mothers", [Column("Measure"), Column("Count", "int")],
                      [["Attended", sessions["by_status"]["attended"]], ["No-show", sessions["by_status"]["no_show"]],
                       ["Cancelled", sessions["by_status"]["cancelled"]],
                       ["Attended and audio-recorded", sessions["recorded"]], ["Mothers seen", sessions["mothers"]]])
    adequacy = Table("adequacy", "Fidelity: coder-rated sessions",
                     [Column("Rated sessions", "int"), Column("Adequate", "int"), Column("Share adequate", "pct")],
                     [[c["adequacy"]["rated"], c["adequacy"]["adequate"], c["adequacy"]["share"]]])
    points = Table("run-chart", "Adherence score of rated trial sessions in date order",
                   [Column("Point", "int"), Column("Session"), Column("Date", "date"), Column("Score", "num"),
                    Column("Side of median")],
                   [[i + 1, p["label"], p["session_date"], p["score"], p.get("side")]
                    for i, p in enumerate(c["run_chart"]["points"] if c["run_chart"] else [])])
    groups = [g["key"] for g in c["scheme"]["groups"]]
    labels = {g["key"]: g["label"] for g in c["scheme"]["groups"]}
    self_coder = Table("self-vs-coder", "Training-case sessions: self-reflection vs coder (group means)",
                       [Column("Session"), Column("Date", "date"),
                        *[Column(f"{labels[g]}, {who}", "num") for g in groups for who in ("self", "coder")]],
                       [[f"{r['case_label']} #{r['session_number']}", r["session_date"],
                         *[r[who].get(g) for g in groups for who in ("self", "coder")]]
                        for r in c["self_vs_coder"]["sessions"]])
    t = c["training_cases"]
    training = Table("training", "Training-case progress",
                     [Column("Case 1 sessions", "int"), Column("Case 2 sessions", "int"),
                      Column("Share recorded", "pct"), Column("Meets 8-session target", "bool")],
                     [[t["case_1"], t["case_2"], t["share_recorded"], t["meets_session_target"]]] if t else [])
    return [steps, delivered, adequacy, points, self_coder, training]
