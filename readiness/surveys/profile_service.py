"""Wave results and the site readiness profile (R = MC^2), read from stored scores and raw answers.

- :func:`wave_results`: one wave's clinic-level summary per instrument subscale (n, mean, SD, rwg(j), flags).
- :func:`build_profiles`: per clinic (for each instrument, its latest finished wave with submissions, see
  :func:`profile_waves`) and per agency (those clinics pooled),
  subscale summaries organised by motivation / general capacity / innovation-specific capacity through
  :func:`readiness.profile.build_site_profile`, data quality (n, response rate, agreement), ICC(1)/ICC(2) across
  clinics, and hard gates kept apart. Gates come from ``gates_provider(clinic_ids)`` (``{clinic_id: facts}``, a
  missing clinic meaning "not available"); the default asks the application package's ``hard_gates_for_clinics``
  when that package exists.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from app.db import db
from app.disclosure import RULE_TEXT as SUPPRESSION_RULE
from app.disclosure import Cell, suppress
from app.models import Clinic
from app.security import scoped
from readiness.aggregation import (
    ICC1_CONVENTION_LABELS,
    ICC1_FORMULAS,
    ICC1_GROUP_SIZES,
    ICC2_FORMULA,
    ICC_CI_TEXT,
    MIN_N_FOR_MEAN,
    MIN_N_FOR_RWG,
    RWG_BAR,
    RWG_J_FORMULA,
    GroupSize,
)
from readiness.profile import (
    BAND_RULE,
    COMPONENT_ORDER,
    ProfileInputError,
    band,
    build_gates,
    build_site_profile,
)
from readiness.scoring import answered_rule
from readiness.surveys.models import Instrument, SurveyLink, SurveyWave, SurveyWaveInstrument
from readiness.surveys.results import (
    RWG_FEW_FLAG,
    WITHHELD_FLAG,
    across_groups,
    n_options,
    observation,
    score_range,
    summarise,
    withhold,
)
from readiness.surveys.services import (
    SubmittedAnswers,
    submitted_answers_by_wave,
    survey_today,
    wave_stats_by_id,
    wave_status,
)

COMPONENT_LABELS = {"motivation": "Motivation", "general_capacity": "General capacity",
                    "innovation_specific_capacity": "Innovation-specific capacity", "unassigned": "Not assigned"}
GatesProvider = Callable[[list[int]], dict[int, Any]]


#: where the application package keeps ``hard_gates_for_clinics(clinic_ids)``, tried in order
GATES_MODULES = ("readiness.application.services", "readiness.application.eligibility_services")
REQUIRED_ELIGIBLE_COUNSELORS = 4  # 16 counselors planned across 4 clinics


def default_gates_provider(clinic_ids: list[int]) -> dict[int, Any]:
    """Hard gates per clinic from the application package (one batch), or none when ``readiness.application`` is
    not installed."""
    for name in GATES_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (exc.name == "readiness.application" or exc.name.startswith("readiness.application.")):
                continue
            raise
        provider = getattr(module, "hard_gates_for_clinics", None)
        if provider is not None:
            return provider(clinic_ids)
    return {}


def normalise_gates(value: Any) -> list[dict] | None:
    """Accept what a gates provider returns: None (not available), a list of ``{key, label, value, status}``, a
    dict holding such a list under ``gates``, or facts ``{eligible_counselors, admin_approvals,
    acknowledgement_signed, ...}`` where ``admin_approvals`` may be a bool or ``{approved, refused, pending,
    all_approved}`` (the application package's shape). ``application_status: None`` (no application yet) makes
    every gate pending."""
    if value is None:
        return None
    if isinstance(value, dict) and "gates" in value:
        value = value["gates"]
    if isinstance(value, dict):
        approvals = value.get("admin_approvals")
        counts = approvals if isinstance(approvals, dict) else None
        if counts is not None:
            approvals = counts.get("all_approved")
        if "application_status" in value and value["application_status"] is None:
            return build_gates(None, REQUIRED_ELIGIBLE_COUNSELORS, None, None)
        gates = build_gates(value.get("eligible_counselors"),
                            value.get("required_eligible_counselors", REQUIRED_ELIGIBLE_COUNSELORS), approvals,
                            value.get("acknowledgement_signed"))
        if counts is not None:
            gates[1]["value"] = (f"{counts.get('approved', 0)} approved, {counts.get('refused', 0)} refused, "
                                 f"{counts.get('pending', 0)} pending")
        return gates
    if isinstance(value, list) and all(isinstance(g, dict) and {"label", "status"} <= set(g) for g in value):
        return value
    raise ProfileInputError(f"gates provider returned {type(value).__name__}; expected None, a list of gates "
                            "or gate facts")


def gates_source(value: Any) -> dict | None:
    """Where a clinic's gates come from and what its earlier cohorts met, from the application package's facts:
    ``{cohort, application_id, application_status, history: [{cohort, application_status, eligible_counselors,
    gates, gates_status}], newer_without_clinic: [cohort names]}``; None when the provider gave bare gates."""
    if not isinstance(value, dict) or "cohort" not in value:
        return None

    def entry(facts: dict) -> dict:
        gates = normalise_gates(facts)
        return {"cohort": facts.get("cohort"), "application_id": facts.get("application_id"),
                "application_status": facts.get("application_status"),
                "eligible_counselors": facts.get("eligible_counselors"), "proposed": facts.get("proposed"),
                "gates": gates, "gates_status": _gates_status(gates) if gates is not None else "not_available"}

    return {**{k: v for k, v in entry(value).items() if k not in ("gates", "gates_status")},
            "history": [entry(h) for h in value.get("history", [])],
            "newer_without_clinic": list(value.get("newer_without_clinic", []))}


def _gates_status(gates: list[dict]) -> str:
    statuses = {g["status"] for g in gates}
    return "not_met" if "fail" in statuses else ("pending" if "pending" in statuses else "met")


def _subscale_meta(definition: dict, sub: dict) -> dict:
    lo, hi = score_range(definition, sub)
    return {"instrument": definition["key"], "instrument_title": definition["title"], "subscale": sub["key"],
            "label": sub["label"], "profile_component": sub.get("profile_component")
            or definition.get("profile_component") or "unassigned",
            "scale_min": lo, "scale_max": hi, "options": n_options(definition, sub),
            "scoring_rule": answered_rule(definition, sub)}


def _definitions(records: list[SubmittedAnswers]) -> dict[int, dict]:
    ids = {r.instrument_id for r in records}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Instrument.id, Instrument.definition).where(Instrument.id.in_(ids))).all())


def _collect(records: list[SubmittedAnswers], group_of: Callable[[SubmittedAnswers], str]) -> dict[tuple, dict]:
    """``{(instrument key, subscale): {"meta", "obs"}}`` over submitted responses, in instrument order."""
    definitions = _definitions(records)
    found: dict[tuple, dict] = {}
    for record in records:
        definition = definitions[record.instrument_id]
        for sub in definition["subscales"]:
            entry = found.get((definition["key"], sub["key"]))
            if entry is None:
                entry = found[(definition["key"], sub["key"])] = {"meta": _subscale_meta(definition, sub), "obs": []}
            entry["obs"].append(observation(group_of(record), definition, sub["key"], record.scores.get(sub["key"]),
                                            record.answers))
    return found


def _row(meta: dict, summary: dict) -> dict:
    return {**{k: v for k, v in meta.items() if k != "options"}, **summary,
            "band": band(summary["mean"], meta["scale_min"], meta["scale_max"])}


def profile_suppression(wave: SurveyWave, user=None) -> dict[tuple[str, str], str | None]:
    """``{(instrument, subscale): suppression}`` of the wave's clinic rows in the readiness profile, for the
    instruments this wave feeds into the profile (the same figures, so the same rule); empty otherwise."""
    try:
        profiles = build_profiles(wave.clinic.code, gates_provider=lambda _ids: {}, user=user)
    except LookupError:  # an inactive clinic: pooled nowhere
        return {}
    wave_of = profiles["clinics"][0]["wave_of"] if profiles["clinics"] else {}
    return {(sub["instrument"], sub["subscale"]): row.get("suppression") for sub in profiles["subscales"]
            for row in sub["clinics"] if wave_of.get(sub["instrument"]) == wave.id}


def wave_results(wave: SurveyWave, user=None) -> list[dict]:
    """Per instrument of the wave: ``{instrument, n_responses, subscales: [summary row]}`` for the wave's clinic.
    A wave that feeds the readiness profile withholds what the profile withholds (:func:`profile_suppression`)."""
    responses = submitted_answers_by_wave([wave.id], user)[wave.id]
    collected = _collect(responses, lambda r: wave.clinic.code)
    in_profile = profile_suppression(wave, user)
    out = []
    for instrument in wave.instruments:
        rows = []
        for (key, sub), entry in collected.items():
            if key == instrument.key:
                summary = summarise(entry["obs"], entry["meta"]["options"], [wave.clinic.code])[wave.clinic.code]
                rows.append(withhold(_row(entry["meta"], summary), in_profile.get((key, sub))))
        n = sum(1 for r in responses if r.instrument_id == instrument.id)
        out.append({"instrument": instrument, "n_responses": n, "subscales": rows})
    return out


def profile_waves(clinics: list[Clinic], user=None) -> dict[int, dict[str, SurveyWave]]:
    """Which wave feeds each clinic's profile, per instrument key: among the clinic's waves with submitted links
    that asked the instrument, the latest finished one (closed or past its closing date), else the latest one
    still open. So a wave in progress, or one asking only some instruments, never displaces a finished result."""
    has_submission = sa.exists().where(SurveyLink.survey_wave_id == SurveyWave.id,
                                       SurveyLink.submitted_at.is_not(None))
    stmt = (sa.select(SurveyWave).where(SurveyWave.clinic_id.in_([c.id for c in clinics]), has_submission)
            .options(selectinload(SurveyWave.wave_instruments).joinedload(SurveyWaveInstrument.instrument)))
    today = survey_today()
    chosen: dict[int, dict[str, SurveyWave]] = {}
    ranked = sorted(db.session.execute(scoped(stmt, SurveyWave, user)).scalars(),
                    key=lambda w: (wave_status(w, today) in ("closed", "expired"), w.opens_on, w.id))
    for wave in ranked:  # later (better) waves overwrite earlier ones
        for instrument in wave.instruments:
            chosen.setdefault(wave.clinic_id, {})[instrument.key] = wave
    return chosen


def _profile_clinics(clinic_code: str | None, user) -> list[Clinic]:
    """The active clinics the user may see; with ``clinic_code``, every active clinic of that clinic's agency (the
    suppression hierarchy is judged on the whole agency, so a figure shown for one clinic is the figure shown in
    the agency's table)."""
    stmt = (sa.select(Clinic).join(Clinic.agency).options(contains_eager(Clinic.agency))
            .where(Clinic.active.is_(True)).order_by(Clinic.code))
    if clinic_code:
        clinic = db.session.execute(scoped(stmt.where(Clinic.code == clinic_code), Clinic, user)).scalars().first()
        if clinic is None:
            raise LookupError(f"no clinic with code {clinic_code!r}")
        stmt = stmt.where(Clinic.agency_id == clinic.agency_id)
    return list(db.session.execute(scoped(stmt, Clinic, user)).scalars())


def suppression_cells(rows: list[dict], agency_rows: dict[str, dict], agency_of: dict[str, str]) -> list[Cell]:
    """One subscale's hierarchy for :func:`app.disclosure.suppress`: each clinic row under its agency's pooled row."""
    return ([Cell(("agency", code), row["n"]) for code, row in agency_rows.items()]
            + [Cell(("clinic", row["code"]), row["n"], ("agency", agency_of[row["code"]])) for row in rows])


def conventions(icc_group_size: GroupSize = "k0") -> dict[str, Any]:
    """How every figure of the profile is computed, as the page, the exports, the CLI and the API state it."""
    return {"icc1_group_size": icc_group_size, "icc1_group_size_label": ICC1_CONVENTION_LABELS[icc_group_size],
            "icc1_formula": ICC1_FORMULAS[icc_group_size],
            "icc1_other_group_size": next(g for g in ICC1_GROUP_SIZES if g != icc_group_size),
            "icc2_formula": ICC2_FORMULA, "icc_ci": ICC_CI_TEXT, "rwg_j_formula": RWG_J_FORMULA,
            "min_n_rwg_j": MIN_N_FOR_RWG,
            "band_rule": BAND_RULE, "suppression_rule": SUPPRESSION_RULE,
            "n": "n = respondents with a score under the subscale's missing-data rule (scoring_rule); responses = "
                 "every submitted response to the instrument; response rate = submitted links / invited links",
            "mean_sd": "mean and SD (n - 1 denominator) of respondent subscale scores"}


def build_profiles(clinic_code: str | None = None, gates_provider: GatesProvider | None = None,
                   user=None, icc_group_size: GroupSize = "k0") -> dict:
    """The readiness profile of every visible clinic and of their agencies (see module doc); with ``clinic_code``,
    that clinic only (no agency profile, which would pool one clinic). Every summary row passes through the
    suppression rule (:mod:`app.disclosure`) judged on clinic rows under their agency's pooled row, always over
    the whole agency, so the clinic-only view withholds exactly what the all-clinics view withholds."""
    if icc_group_size not in ICC1_GROUP_SIZES:
        raise ValueError(f"icc_group_size must be one of {list(ICC1_GROUP_SIZES)}, got {icc_group_size!r}")
    provider = gates_provider or default_gates_provider
    clinics = _profile_clinics(clinic_code, user)
    sources = profile_waves(clinics, user)
    wanted: dict[int, set[str]] = {}  # wave id -> the instruments it feeds into its clinic's profile
    for clinic in clinics:
        for key, wave in sources.get(clinic.id, {}).items():
            wanted.setdefault(wave.id, set()).add(key)
    by_wave = submitted_answers_by_wave(list(wanted), user)
    key_of = {i.id: i.key for waves in sources.values() for w in waves.values() for i in w.instruments}
    responses = [r for wave_id, keys in wanted.items() for r in by_wave[wave_id] if key_of[r.instrument_id] in keys]
    code_of = {c.id: c.code for c in clinics}
    agency_of = {c.code: c.agency.code for c in clinics}
    clinic_of_wave = {w.id: w.clinic_id for waves in sources.values() for w in waves.values()}
    by_clinic = _collect(responses, lambda r: code_of[clinic_of_wave[r.wave_id]])
    shown_codes = {clinic_code} if clinic_code else set(code_of.values())
    subscales = []
    clinic_rows: dict[str, list] = {c.code: [] for c in clinics}
    agency_rows: dict[str, list] = {}
    for entry in by_clinic.values():
        meta, obs = entry["meta"], entry["obs"]
        codes = sorted({o.group for o in obs})
        per_clinic = summarise(obs, meta["options"], codes)
        pooled = [type(o)(agency_of[o.group], o.score, o.items) for o in obs]
        per_agency = summarise(pooled, meta["options"], sorted({agency_of[c] for c in codes}))
        rows = [{"code": code, **_row(meta, per_clinic[code])} for code in codes]
        agencies_here = {code: _row(meta, summary) for code, summary in per_agency.items()}
        status = suppress(suppression_cells(rows, agencies_here, agency_of))
        for row in rows:
            withhold(row, status[("clinic", row["code"])])
        for code, row in agencies_here.items():
            withhold(row, status[("agency", code)])
        rows = [row for row in rows if row["code"] in shown_codes]
        subscales.append({**{k: v for k, v in meta.items() if k != "options"}, "clinics": rows,
                          "icc": across_groups([o for o in obs if o.group in shown_codes], icc_group_size)})
        for row in rows:
            clinic_rows[row["code"]].append(row)
        for code, row in agencies_here.items():
            agency_rows.setdefault(code, []).append(row)
    clinics = [c for c in clinics if c.code in shown_codes]
    gate_facts = provider([c.id for c in clinics]) or {}
    stats_of = wave_stats_by_id(list(clinic_of_wave))
    clinic_profiles = []
    for clinic in clinics:
        used = {w.id: w for w in sources.get(clinic.id, {}).values()}
        stats = [stats_of[w.id] for w in used.values()]
        invited = sum(s.invited for s in stats) if stats else None
        profile = build_site_profile(clinic.code, clinic_rows[clinic.code], invited=invited,
                                     responded=sum(s.submitted for s in stats) if stats else None)
        gates = normalise_gates(gate_facts.get(clinic.id))
        profile["gates"] = gates
        profile["gates_status"] = _gates_status(gates) if gates is not None else "not_available"
        profile["gates_source"] = gates_source(gate_facts.get(clinic.id))
        clinic_profiles.append({
            "code": clinic.code, "name": clinic.name, "agency": clinic.agency.code,
            "waves": [_wave_info(w, sorted(k for k, v in sources[clinic.id].items() if v.id == w.id))
                      for w in sorted(used.values(), key=lambda w: (w.opens_on, w.id))],
            "wave_of": {key: wave.id for key, wave in sources.get(clinic.id, {}).items()},
            "profile": profile})
    agencies = []
    for agency in [] if clinic_code else sorted({c.agency for c in clinics}, key=lambda a: a.code):
        members = [p for p in clinic_profiles if p["agency"] == agency.code and p["waves"]]
        invited = sum(p["profile"]["data_quality"]["invited"] or 0 for p in members)
        responded = sum(p["profile"]["data_quality"]["responded"] or 0 for p in members)
        profile = build_site_profile(agency.code, agency_rows.get(agency.code, []),
                                     invited=invited or None, responded=responded if invited else None)
        profile["gates"], profile["gates_status"], profile["gates_source"] = None, "per_clinic", None
        agencies.append({"code": agency.code, "name": agency.name,
                         "clinics": [c.code for c in clinics if c.agency_id == agency.id], "profile": profile})
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "band_rule": BAND_RULE,
            "min_n": MIN_N_FOR_MEAN, "rwg_bar": RWG_BAR, "suppression_rule": SUPPRESSION_RULE,
            "conventions": conventions(icc_group_size),
            "components": list(COMPONENT_ORDER), "subscales": subscales, "clinics": clinic_profiles,
            "agencies": agencies}


def _wave_info(wave: SurveyWave, instruments: list[str]) -> dict:
    return {"id": wave.id, "title": wave.title, "opens_on": wave.opens_on.isoformat(),
            "closes_on": wave.closes_on.isoformat(), "status": wave_status(wave), "instruments": instruments}


#: the profile spreadsheet's columns (CSV, Excel, ``mio readiness-profile --format csv``), headed in the words of
#: the profile page's table ("n scored", "Mean", "SD", "rwg(j)", "Band (heuristic)"), not the JSON keys; no import
#: format reads this file back, so no machine key is kept (REDCap import files, which one does, stay exact)
PROFILE_HEADERS = ["Level", "Clinic or agency", "Component", "Instrument", "Subscale key", "Subscale", "n scored",
                   "Responses", "Mean", "SD", "rwg(j)", "rwg(j) n", "rwg(j) null distribution", "Band (heuristic)",
                   "Flags", "Invited", "Responded", "Response rate", "Wave id", "Scoring rule"]


def profile_rows(profiles: dict) -> list[list]:
    """One row per group and subscale, for CSV/Excel (suppressed means are blank, flags spelled out)."""
    rows = []
    for level, groups in (("clinic", profiles["clinics"]), ("agency", profiles["agencies"])):
        for group in groups:
            profile, quality = group["profile"], group["profile"]["data_quality"]
            wave_of = group.get("wave_of", {})
            for component in (*COMPONENT_ORDER, "unassigned"):
                for entry in profile["components"][component]:
                    flags = []
                    if entry.get("suppression") == "complementary":
                        flags.append(WITHHELD_FLAG)
                    elif entry["mean"] is None:
                        flags.append(f"n_below_{MIN_N_FOR_MEAN}")
                    elif entry.get("rwg_j") is None and entry.get("n_rwg") is not None \
                            and entry["n_rwg"] < MIN_N_FOR_RWG and entry.get("rwg_null"):
                        flags.append(RWG_FEW_FLAG)
                    if entry["low_agreement"]:
                        flags.append("low_agreement")
                    rows.append([level, group["code"], component, entry["instrument"], entry["subscale"],
                                 entry["label"], entry["n"], entry.get("n_responses"), entry["mean"], entry["sd"],
                                 None if entry["mean"] is None else entry["rwg_j"], entry.get("n_rwg"),
                                 entry.get("rwg_null"), entry["band"], ";".join(flags), quality["invited"],
                                 quality["responded"], quality["response_rate"], wave_of.get(entry["instrument"]),
                                 entry.get("scoring_rule")])
    return rows


ICC_HEADERS = ["Instrument", "Subscale key", "Subscale", "Respondents", "Clinics", "k (group size ICC(1) used)",
               "ICC(1) group size", "ICC(1)", "ICC(2)", "ICC(1) 95% CI low", "ICC(1) 95% CI high", "ICC(2) 95% CI low",
               "ICC(2) 95% CI high", "Warning", "ICC(1) formula"]


def icc_rows(profiles: dict) -> list[list]:
    """ICC(1)/ICC(2) with their F-based 95% CIs (``aggregation.icc_intervals``) and the few-clinics warning."""
    return [[s["instrument"], s["subscale"], s["label"], s["icc"]["n"], s["icc"]["groups"], s["icc"]["k"],
             s["icc"]["group_size"], s["icc"]["icc1"], s["icc"]["icc2"], s["icc"].get("icc1_ci_low"),
             s["icc"].get("icc1_ci_high"), s["icc"].get("icc2_ci_low"), s["icc"].get("icc2_ci_high"),
             s["icc"].get("warning"), s["icc"]["icc1_formula"]]
            for s in profiles["subscales"]]


def notes_rows(profiles: dict) -> list[list]:
    """The workbook's Notes sheet: every convention the figures follow, and when they were made."""
    c = profiles["conventions"]
    return [[c["band_rule"]], [c["suppression_rule"]], [c["n"]], [c["mean_sd"]], [c["rwg_j_formula"]],
            [f"Low agreement: rwg(j) < {profiles['rwg_bar']:.2f}"], [c["icc1_formula"]], [c["icc2_formula"]],
            [c["icc_ci"]],
            [f"ICC(1) here uses the {c['icc1_group_size_label']}; ask for icc1={c['icc1_other_group_size']} for "
             "the other convention"], [f"Generated {profiles['generated_at']}"]]


def clinic_instrument_scores(clinic_code: str, instrument_key: str, user=None) -> list[dict]:
    """One clinic's subscale rows for one instrument, from the wave that feeds its profile (n, mean, SD, rwg(j),
    suppression flags as in the profile; the mean is withheld below 3 respondents). Empty when not surveyed.
    For other packages (e.g. FIM beside feasibility outcomes)."""
    profiles = build_profiles(clinic_code, gates_provider=lambda _clinic_ids: {}, user=user)
    return [row for subscale in profiles["subscales"] if subscale["instrument"] == instrument_key
            for row in subscale["clinics"] if row["code"] == clinic_code]
