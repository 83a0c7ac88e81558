"""Display and download tables built from the services' plain dicts: the page shows a ``Table`` and the same
``Table`` is written to CSV/Excel (``app.exports``), so a download always holds what the page shows.

Cells stay raw values (numbers, dates, booleans); the template formats them by column kind and the export rounds
them as the page does (``app.formatting``: shares as whole percentages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app import formatting
from implementation_outcomes._values import proportion
from implementation_outcomes.delivery.models import (
    ARM_LABELS,
    MODALITIES,
    SCREENING_STATUS_LABELS,
    SESSION_STATUSES,
)
from implementation_outcomes.delivery.screening_log import SUBSTANCES

SMD_FLAG = 0.1  # |d| >= 0.1: a meaningful imbalance (Austin 2009)


@dataclass
class Column:
    header: str
    kind: str = "text"  # text | int | mean | num | p | pct | date | bool (``app.formatting`` writes each kind)
    key: str | None = None  # the row key it shows, where a page needs it (targets, column groups)
    group: str | None = None  # the column group it belongs to (the overview's reach, adoption, ...)


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str | None = None

    def export_headers(self) -> list[str]:
        return [f"{c.header} (%)" if c.kind == "pct" and "%" not in c.header else c.header for c in self.columns]

    def export_rows(self) -> list[list[Any]]:
        return [[_export_cell(v, c.kind) for v, c in zip(row, self.columns, strict=True)] for row in self.rows]


def _export_cell(value: Any, kind: str) -> Any:
    """A cell as the page shows it (``app.formatting.rounded``: shares as whole percentages, means 1 decimal,
    coefficients 2), still a number so a spreadsheet can compute with it."""
    if value is None:
        return ""
    if kind in formatting.NUMERIC_KINDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return formatting.rounded(value, kind)
    if kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    return value  # a date stays a date: Excel gets a date cell, CSV writes it yyyy-mm-dd (str of a date)


def _cols(*spec: tuple[str, str] | str) -> list[Column]:
    return [Column(s) if isinstance(s, str) else Column(*s) for s in spec]


# --- reach --------------------------------------------------------------------------------------------------

NUMERATOR_LABELS = {"enrolled": "Consented (enrolled)", "randomized": "Randomized", "started_mio": "Started MIO"}
CASCADE_ROWS = (
    ("screened", "Screened"), ("excluded", "Excluded (not eligible)"), ("lost_undetermined", "Lost / undetermined"),
    ("eligible", "Eligible"), ("not_offered", "Eligible, not offered"), ("offered", "Offered"),
    ("declined", "Declined"), ("enrolled", "Consented (enrolled)"),
    ("consented_not_randomized", "Consented, not yet randomized"), ("randomized", "Randomized"),
    ("started_mio", "Started MIO (attended session 1)"),
)


def reach_tables(reach: dict[str, Any]) -> list[Table]:
    c = reach["cascade"]
    summary = Table("reach-summary", "Reach: share of eligible mothers offered MIO who took part",
                    _cols("Numerator", ("n", "int"), ("Eligible and offered", "int"), ("Lost / undetermined", "int"),
                          ("Reach %", "pct"), ("Sensitivity reach %", "pct")),
                    note="Reach % = numerator / eligible and offered; the sensitivity version adds lost / "
                         "undetermined to the denominator (RE-AIM).")
    for key, label in NUMERATOR_LABELS.items():
        summary.rows.append([label, c[key], c["offered"], c["lost_undetermined"], reach["reach"][key]["main"],
                             reach["reach"][key]["sensitivity"]])
    cascade = Table("cascade", "Screening cascade", _cols("Stage", ("Mothers", "int")))
    cascade.rows = [[label, c[key]] for key, label in CASCADE_ROWS]
    cascade.rows.append(["Randomized to MIO + TAU", c["randomized_by_arm"]["mio_tau"]])
    cascade.rows.append(["Randomized to TAU", c["randomized_by_arm"]["tau"]])
    declines = Table("decline-reasons", "Reasons for declining", _cols("Reason", ("Mothers", "int"), ("Share", "pct")))
    declines.rows = [[r, n, n / c["declined"]] for r, n in reach["decline_reasons"].items()]
    exclusions = Table("exclusion-reasons", "Reasons for exclusion", _cols("Reason", ("Mothers", "int"), ("Share", "pct")))
    exclusions.rows = [[r, n, n / c["excluded"]] for r, n in reach["exclusion_reasons"].items()]
    return [summary, cascade, declines, exclusions, representativeness_table(reach["representativeness"]),
            consort_table(reach["flow"])]


def representativeness_table(rep: dict[str, Any]) -> Table:
    from implementation_outcomes.delivery.services.screening import VARIABLE_LABELS

    table = Table("representativeness", "Representativeness: enrolled mothers vs eligible non-participants",
                  _cols("Characteristic", ("Enrolled n", "int"), "Enrolled", ("Non-participants n", "int"),
                        "Non-participants", ("SMD", "num"), ("|SMD| ≥ 0.1", "bool")),
                  note="Standardized mean differences (Austin 2009; categorical: Yang & Dalton 2012); eligible "
                       "non-participants are those not offered or who declined.")
    for name, entry in rep.items():
        label = VARIABLE_LABELS.get(name, name)
        kind = entry["kind"]
        if kind == "continuous":
            a, b = _mean_sd(entry["participants"]), _mean_sd(entry["nonparticipants"])
        elif kind == "binary":
            a, b = _share(entry["participants"]["proportion"]), _share(entry["nonparticipants"]["proportion"])
        else:
            a, b = _levels(entry["participants"]), _levels(entry["nonparticipants"])
        smd = entry["smd"]
        table.rows.append([label, entry["n_participants"], a, entry["n_nonparticipants"], b, smd,
                           None if smd is None else abs(smd) >= SMD_FLAG])
        for level, level_smd in (entry.get("smd_by_level") or {}).items():
            table.rows.append([f"  {label}: {SUBSTANCES.get(level, level)}", None,
                               _share(entry["participants"].get(level, 0.0)), None,
                               _share(entry["nonparticipants"].get(level, 0.0)), level_smd,
                               None if level_smd is None else abs(level_smd) >= SMD_FLAG])
    return table


def _mean_sd(stats: dict[str, Any]) -> str:
    if stats["mean"] is None:
        return "n/a"
    return f"{stats['mean']:.1f} (SD {stats['sd']:.1f})" if stats["sd"] is not None else f"{stats['mean']:.1f}"


def _share(p: float | None) -> str:
    return "n/a" if p is None else f"{100 * p:.0f}%"


def _levels(shares: dict[str, float]) -> str:
    return "; ".join(f"{SUBSTANCES.get(k, k)} {100 * v:.0f}%" for k, v in shares.items()) or "n/a"


def consort_table(flow: dict[str, Any]) -> Table:
    table = Table("consort", "CONSORT flow (the numbers in the diagram)",
                  _cols("Box", "Section", ("Mothers", "int"), "Reasons"))
    for node in flow["nodes"]:
        reasons = "; ".join(f"{r['reason']}: {r['count']}" for r in node["reasons"])
        table.rows.append([node["label"], node["section"].capitalize(), node["count"], reasons])
    return table


def screening_log_table(participants: Sequence) -> Table:
    """The whole log; column names match the CSV import so an export can be edited and re-imported elsewhere."""
    table = Table("screening-log", "Screening log", _cols(
        "study_id", ("screened_on", "date"), "status", "reason", ("consented_on", "date"),
        ("randomized_on", "date"), "arm", "allocation_source", ("mother_age", "int"), ("child_age_months", "int"),
        "primary_substance", "medication_treatment", "counselor"))
    for p in participants:
        table.rows.append([p.study_id, p.screened_on, p.status, p.reason, p.consented_on, p.randomized_on, p.arm,
                           p.allocation_source, p.mother_age, p.child_age_months, p.primary_substance,
                           None if p.medication_treatment is None else ("yes" if p.medication_treatment else "no"),
                           p.counselor.display_name if p.counselor else None])
    return table


# --- sessions and feasibility ------------------------------------------------------------------------------


def mio_sessions_table(sessions: Sequence) -> Table:
    table = Table("mio-sessions", "MIO sessions with trial mothers", _cols(
        "Study ID", ("Session", "int"), ("Date", "date"), ("Minutes", "int"), "Modality", "Status",
        ("Audio recorded", "bool"), "Counselor"))
    for s in sessions:
        table.rows.append([s.participant.study_id, s.session_number, s.session_date, s.duration_minutes,
                           MODALITIES[s.modality], SESSION_STATUSES[s.status], s.audio_recorded,
                           s.counselor.display_name])
    return table


def training_sessions_table(sessions: Sequence) -> Table:
    table = Table("training-sessions", "Training-case sessions", _cols(
        "Counselor", ("Training case", "int"), "Case label", ("Session", "int"), ("Date", "date"),
        ("Minutes", "int"), "Modality", "Status", ("Audio recorded", "bool")))
    for s in sessions:
        table.rows.append([s.counselor.display_name, s.training_case, s.case_label, s.session_number, s.session_date,
                           s.duration_minutes, MODALITIES[s.modality], SESSION_STATUSES[s.status], s.audio_recorded])
    return table


def calls_table(calls: Sequence) -> Table:
    table = Table("consultation-calls", "Consultation calls", _cols("Counselor", ("Date", "date"), ("Attended", "bool")))
    table.rows = [[c.counselor.display_name, c.call_date, c.attended] for c in calls]
    return table


def _km_ci(km: dict[str, Any]) -> str:
    if km["ci_low"] is None:
        return "95% CI undefined (too few starts)"
    high = "not reached" if km["ci_high"] is None else _num(km["ci_high"])
    return f"95% CI {_num(km['ci_low'])} to {high} (Brookmeyer-Crowley, log-log)"


def time_to_start_table(km: dict[str, Any]) -> Table:
    """The Kaplan-Meier curve of days to the first session (never-started mothers censored)."""
    table = Table("time-to-first-session", "Days from randomization to the first session (Kaplan-Meier)", _cols(
        ("Day", "int"), ("At risk", "int"), ("Started that day", "int"), ("Share not yet started", "num"),
        ("Standard error (Greenwood)", "num")),
        note=f"{km['convention']}; n = {km['n']}, {km['never_started']} not started by {km['as_of'].isoformat()}.")
    table.rows = [[r["time"], r["at_risk"], r["events"], r["survival"], r["se"]] for r in km["curve"]]
    return table


def feasibility_tables(f: dict[str, Any]) -> list[Table]:
    s = f["summary"]
    d = s["days_to_first_session"]
    km = f["time_to_first_session"]
    summary = Table("feasibility-summary", "Feasibility of delivery (mothers randomized to MIO + TAU)",
                    _cols("Measure", ("Value", "num"), ("Share", "pct"), "Definition"))
    summary.rows = [
        ["Mothers in MIO + TAU", s["n_mothers"], None, "randomized to MIO + TAU"],
        ["Mean dose (sessions attended)", s["mean_dose"], None, "attended sessions per mother, of 12"],
        [f"Completed (≥ {f['completion_threshold']} sessions)", s["completed"], s["completion_share"],
         f"mothers with dose ≥ {f['completion_threshold']} / mothers (deployment setting)"],
        ["Not started", s["not_started"], None, "mothers with no attended session"],
        ["Sessions attended", s["attended_sessions"], None, ""],
        ["Sessions of 50-60 minutes", None, s["share_in_duration_window"], "attended sessions with a duration"],
        ["Sessions audio-recorded", None, s["share_recorded"], "attended sessions"],
        ["Days randomization → first session, Kaplan-Meier median", km["median"], None,
         f"{_km_ci(km)}; n = {km['n']} mothers, {km['never_started']} not started (censored at "
         f"{km['as_of'].isoformat()}); median = first day S(t) < 0.5"],
        ["Not started by the cut-off (censored)", km["never_started"], proportion(km["never_started"], km["n"]),
         "mothers with no attended session, kept in the Kaplan-Meier estimate as censored"],
        ["Days randomization → first session, median of starters only", d["median"], None,
         f"IQR {_num(d['q1'])}-{_num(d['q3'])}, n = {d['n']} who started (biased down: leaves out "
         f"{km['never_started']} not started)"],
    ]
    dose = Table("dose", "Dose per mother", _cols(
        "Study ID", "Counselor", ("Randomized", "date"), ("First session", "date"), ("Days to first session", "int"),
        ("Sessions attended", "int"), ("No-shows", "int"), ("Cancelled", "int"), ("Recorded", "int"),
        ("Completed", "bool")))
    dose.rows = [[m["study_id"], m["counselor"], m["randomized_on"], m["first_session"], m["days_to_first_session"],
                  m["dose"], m["no_shows"], m["cancelled"], m["recorded"], m["completed"]] for m in f["mothers"]]
    delivery = Table("session-delivery", "Sessions by status and modality",
                     _cols("Category", ("Sessions", "int"), ("Share of attended", "pct")))
    delivery.rows = [[SESSION_STATUSES[k], n, None] for k, n in f["session_status"].items()]
    delivery.rows += [[f"Attended: {MODALITIES[k]}", v["sessions"], v["share"]] for k, v in f["modality"].items()]
    consultation = Table("consultation", "Consultation-call attendance per counselor (requirement ≥ 70 %)",
                         _cols("Counselor", ("Calls", "int"), ("Attended", "int"), ("Attendance", "pct"),
                               ("Meets 70 %", "bool")))
    consultation.rows = [[r["counselor"], r["calls"], r["attended"], r["attendance"], r["meets_requirement"]]
                         for r in f["consultation"]]
    training = Table("training-cases", "Training cases per counselor (≥ 8 sessions with at least one case)",
                     _cols("Counselor", ("Case 1 sessions", "int"), ("Case 2 sessions", "int"),
                           ("Recorded", "pct"), ("≥ 8 sessions with one case", "bool")))
    training.rows = [[r["counselor"], r["case_1"], r["case_2"], r["share_recorded"], r["meets_session_target"]]
                     for r in f["training_cases"]]
    return [summary, time_to_start_table(km), dose, delivery, consultation, training]


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:g}"


# --- fidelity -----------------------------------------------------------------------------------------------


def coverage_table(fid: dict[str, Any]) -> Table:
    coverage = Table("fidelity-coverage", "Recording and coding coverage (coder ratings only)", _cols(
        "Sessions", ("Attended", "int"), ("Recorded", "int"), ("Share recorded", "pct"), ("Coded", "int"),
        ("Share coded", "pct"), ("Double-coded", "int"), ("Share double-coded", "pct"), ("Backlog", "int")),
        note="share recorded = recorded / attended; coded = at least one coder / recorded; double-coded = two "
             "coders / coded; backlog = recorded and not yet coded.")
    for key, label in (("mio", "Trial sessions"), ("training", "Training-case sessions"), ("all", "All")):
        c = fid["coverage"][key]
        coverage.rows.append([label, c["attended"], c["recorded"], c["share_recorded"], c["coded"], c["share_coded"],
                              c["double_coded"], c["share_double_coded"], c["backlog"]])
    return coverage


def fidelity_tables(fid: dict[str, Any]) -> list[Table]:
    adequacy = Table("adequacy", "Sessions meeting the adequate-fidelity rule", _cols(
        "Counselor", ("Rated sessions", "int"), ("Adequate", "int"), ("Share adequate", "pct")))
    adequacy.rows = [[r["counselor"], r["rated"], r["adequate"], r["share"]] for r in fid["adequacy"]["by_counselor"]]
    adequacy.rows.append(["All counselors", fid["adequacy"]["rated"], fid["adequacy"]["adequate"],
                          fid["adequacy"]["share"]])
    return [coverage_table(fid), adequacy, reliability_table(fid["reliability"]), *run_chart_tables(fid),
            *self_tables(fid), reliability_by_kind_table(fid["reliability"])]


def fidelity_overview_tables(overview: dict[str, Any]) -> list[Table]:
    """The director's fidelity overview across every clinic: coders' workload, coverage, reliability."""
    workload = Table("coder-workload", "Coders' workload", _cols(
        "Coder", ("Primary", "int"), ("Second (double coding)", "int"), ("Rated", "int"), ("Backlog", "int")))
    workload.rows = [[w["coder"], w["primary"], w["second"], w["rated"], w["backlog"]] for w in overview["workload"]]
    return [workload, coverage_table(overview["figures"]), reliability_table(overview["figures"]["reliability"]),
            reliability_by_kind_table(overview["figures"]["reliability"])]


def reliability_table(rel: dict[str, Any]) -> Table:
    table = Table("reliability", f"Coder reliability, {rel['form']} over double-coded trial sessions", _cols(
        "Score", "Level", ("Sessions", "int"), ("ICC", "num"), ("95% CI low", "num"), ("95% CI high", "num"),
        "Koo & Li band of the CI", "Band of the point estimate alone"), note=rel["description"])
    for level, rows in (("group mean", rel["by_group"]), ("scale", rel["by_scale"])):
        for r in rows:
            table.rows.append([r["label"], level, r["n"], r["value"], r["ci_low"], r["ci_high"], r["band_of_ci"],
                               r["band"]])
    return table


def reliability_by_kind_table(rel: dict[str, Any]) -> Table:
    """The adherence score's ICC over trial sessions (the headline), training-case sessions and both pooled."""
    table = Table("reliability-by-session-kind",
                  f"Coder reliability of the {rel['headline']['label']} score by session kind, {rel['form']}", _cols(
                      "Sessions", ("Double-coded sessions (n)", "int"), ("ICC", "num"), ("95% CI low", "num"),
                      ("95% CI high", "num"), "Koo & Li band of the CI"),
                  note="Trial sessions are the headline; training-case sessions are rated before delivery and are "
                       "shown apart; the pooled row is for comparison only. " + rel["description"])
    for r in rel["by_session_kind"].values():
        table.rows.append([r["session_kind"], r["n"], r["value"], r["ci_low"], r["ci_high"], r["band_of_ci"]])
    return table


def run_chart_tables(fid: dict[str, Any]) -> list[Table]:
    tables = []
    for rc in fid["run_charts"]:
        chart = rc["chart"]
        t = Table(f"run-chart-{rc['counselor_id']}", f"Run chart data: {rc['counselor']}", _cols(
            ("Point", "int"), ("Date", "date"), "Session", ("Adherence score", "num"), "Side of median"),
            note=f"median {_num(round(chart['median'], 2)) if chart['median'] is not None else 'n/a'}; "
                 f"runs {chart['runs']} of {chart['useful_observations']} useful observations; "
                 + ("drift signal" if chart["drift"] else "no drift signal"))
        t.rows = [[p["order"] + 1, p["session_date"], p["label"], p["score"], p["side"]] for p in rc["points"]]
        tables.append(t)
    return tables


def self_tables(fid: dict[str, Any]) -> list[Table]:
    groups = fid["scheme"]["groups"]
    sessions = Table("self-vs-coder", "Self-reflection and coder ratings of training-case sessions, side by side",
                     _cols("Counselor", "Case", ("Session", "int"), ("Date", "date"),
                           *[(f"{g['label']}: self", "num") for g in groups],
                           *[(f"{g['label']}: coder", "num") for g in groups]),
                     note="Group means; self-reflection (entered on the counselor's behalf) and coder ratings are "
                          "different sources and are never pooled.")
    for r in fid["self_vs_coder"]["sessions"]:
        sessions.rows.append([r["counselor"], f"{r['case_label']} ({r['training_case']})", r["session_number"],
                              r["session_date"], *[r["self"].get(g["key"]) for g in groups],
                              *[r["coder"].get(g["key"]) for g in groups]])
    summary = Table("self-vs-coder-summary", "Self vs coder per counselor (means of each source)", _cols(
        "Counselor", "Group", ("Self n", "int"), ("Self mean", "num"), ("Coder n", "int"), ("Coder mean", "num"),
        ("Both n", "int"), ("Mean self − coder", "num")))
    labels = {g["key"]: g["label"] for g in groups}
    for r in fid["self_vs_coder"]["by_counselor"]:
        for key, v in r["groups"].items():
            summary.rows.append([r["counselor"], labels.get(key, key), v["n_self"], v["self_mean"], v["n_coder"],
                                 v["coder_mean"], v["n_paired"], v["mean_difference"]])
    return [sessions, summary]


def status_label(status: str) -> str:
    return SCREENING_STATUS_LABELS.get(status, status)


def arm_label(arm: str | None) -> str:
    return ARM_LABELS.get(arm, "") if arm else ""
