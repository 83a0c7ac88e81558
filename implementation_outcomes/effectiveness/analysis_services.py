"""Database work of the trial's analyses: the long outcome data in the user's scope, the implementation exposures
of MIO mothers, and the estimates of Aim 1 (``aim1``), Aim 3b (``mediation``) and the CONSORT follow-up boxes
(``consort``). The science lives in those pure modules; this module only gathers their input.

Blinding: estimates compare arms, so a blinded user never receives them (``BlindedError``); the long data reach a
blinded user without the arm (``blinding.blind_rows``). Mothers whose withdrawal forbids the use of their data are
left out of every analysis and export.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.models import Clinic
from app.security import scoped
from implementation_outcomes.delivery.models import ARM_LABELS, FidelityRating, MioSession, TrialParticipant
from implementation_outcomes.effectiveness import aim1, blinding, consort, measures, mediation, services
from implementation_outcomes.effectiveness.models import (
    MISSED_REASONS,
    AssessmentVisit,
    OutcomeScore,
    Withdrawal,
)

LONG_HEADERS = ["study_id", "clinic", "arm", "time_point", "measure", "value"]
EXPOSURES: dict[str, str] = {
    "fidelity": "Fidelity of her coded sessions (mean MIO-specific score, coder ratings)",
    "counselor_adequate_share": "Her counselor's share of coded sessions with adequate fidelity",
    "sessions_attended": "Sessions attended (feasibility)",
}
MEDIATORS = ("pdi_rf", "psi_4_sf")
#: secondary continuous outcomes of Hypothesis 3b (toxicology is binary: not a change score)
MEDIATION_OUTCOMES = ("ncast_teaching", "days_of_use", "bdi_ii", "bsi_gsi")


class BlindedError(PermissionError):
    """A blinded outcome assessor asked for arm comparisons."""


def _excluded_ids() -> sa.Select:
    return sa.select(Withdrawal.participant_id).where(Withdrawal.data_use == "must_not_use")


def long_rows(user=None, clinic_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """One row per analysed value: study ID, clinic, arm, time point, measure, value (``measures.outcome_value`` of
    the primary entry), plus the ids the analyses need. Randomized mothers in scope whose data may be used."""
    stmt = (sa.select(TrialParticipant.id, TrialParticipant.study_id, TrialParticipant.arm,
                      TrialParticipant.counselor_id, Clinic.code, AssessmentVisit.time_point, OutcomeScore.measure,
                      OutcomeScore.values)
            .join(AssessmentVisit, AssessmentVisit.participant_id == TrialParticipant.id)
            .join(OutcomeScore, OutcomeScore.visit_id == AssessmentVisit.id)
            .join(Clinic, Clinic.id == TrialParticipant.clinic_id)
            .where(OutcomeScore.coder_slot == "primary", TrialParticipant.arm.is_not(None),
                   AssessmentVisit.status == "completed", TrialParticipant.id.not_in(_excluded_ids()))
            .order_by(Clinic.code, TrialParticipant.study_id, AssessmentVisit.time_point, OutcomeScore.measure))
    if clinic_ids is not None:
        stmt = stmt.where(TrialParticipant.clinic_id.in_(clinic_ids))
    defs = {m["key"]: m for m in measures.measures()}
    out = []
    for pid, study_id, arm, counselor_id, clinic, tp, measure_key, values in db.session.execute(
            scoped(stmt, TrialParticipant, user)):
        m = defs.get(measure_key)
        value = measures.outcome_value(m, values or {}) if m else None
        if value is None:
            continue
        out.append({"participant_id": pid, "study_id": study_id, "clinic": clinic, "arm": arm,
                    "counselor_id": counselor_id, "time_point": tp, "measure": measure_key, "value": value})
    return out


def long_table(user=None) -> tuple[list[str], list[list[Any]]]:
    """The long data as a table for CSV / Excel / CLI: without the arm column for a blinded user."""
    blinded = services.is_blinded(user)
    rows = blinding.blind_rows(long_rows(user), blinded, services.unblinded_ids(user) if blinded else ())
    headers = [h for i, h in enumerate(LONG_HEADERS) if i in blinding.blind_columns(LONG_HEADERS, blinded)]
    return headers, [[r.get(h, "") for h in headers] for r in rows]


def _require_unblinded(user=None) -> None:
    if services.is_blinded(user):
        raise BlindedError("Outcome assessors are blinded to allocation: arm comparisons are not shown to them.")


def aim1_estimates(rows: list[dict[str, Any]], only: list[str] | None = None) -> list[dict[str, Any]]:
    """Aim 1 per measure (continuous: mixed model; binary: GEE), in the measures file's order (``only``: these
    measures)."""
    tps = [tp["key"] for tp in measures.time_points()]
    by_measure: dict[str, list] = defaultdict(list)
    for r in rows:
        by_measure[r["measure"]].append({"mother": r["participant_id"], "clinic": r["clinic"], "arm": r["arm"],
                                         "time_point": r["time_point"], "value": r["value"]})
    out = []
    for m in measures.measures():
        if only is not None and m["key"] not in only:
            continue
        data = by_measure.get(m["key"], [])
        result = aim1.analyse_binary(data, tps) if m["analysis"] == "binary" else aim1.analyse_continuous(data, tps)
        result.update(measure=m["key"], label=m["label"], outcome=m["outcome"], direction=m["direction"],
                      primary_time_point=m["primary_time_point"], analysis=m["analysis"],
                      field=measures.outcome_field(m))
        out.append(result)
    return out


def exposures(participant_ids: list[int], counselor_ids: set[int]
              ) -> tuple[dict[int, dict[str, float | None]], dict[int, float | None]]:
    """Per MIO mother: sessions attended and the mean MIO-specific (adherence group) score over coder ratings of
    her sessions; per counselor: the share of coder-rated MIO sessions judged adequate (each rating by its scheme
    version's rule, ``fidelity.adequacy_of_ratings``)."""
    from implementation_outcomes.delivery.services.common import current_scheme, schemes_by_version
    from implementation_outcomes.delivery.services.fidelity_figures import headline_group
    from implementation_outcomes.fidelity import adequacy_of_ratings, group_scores

    out: dict[int, dict[str, float | None]] = {pid: {"sessions_attended": 0.0, "fidelity": None,
                                                     "counselor_adequate_share": None} for pid in participant_ids}
    if not participant_ids:
        return out, {}
    attended = db.session.execute(
        sa.select(MioSession.participant_id, sa.func.count(MioSession.id))
        .where(MioSession.participant_id.in_(participant_ids), MioSession.status == "attended")
        .group_by(MioSession.participant_id))
    for pid, n in attended:
        out[pid]["sessions_attended"] = float(n)
    _version, scheme = current_scheme()
    schemes = schemes_by_version()
    group = headline_group(scheme)
    ratings = db.session.execute(
        sa.select(MioSession.participant_id, MioSession.counselor_id, FidelityRating.scheme_version,
                  FidelityRating.scores)
        .join(FidelityRating, FidelityRating.mio_session_id == MioSession.id)
        .where(FidelityRating.source == "coder", MioSession.counselor_id.in_(counselor_ids))).all()
    per_mother: dict[int, list[float]] = defaultdict(list)
    per_counselor: dict[int, list[bool]] = defaultdict(list)
    by_version: dict[int, list] = defaultdict(list)
    for row in ratings:
        by_version[row.scheme_version].append(row)
    for version, rows in by_version.items():
        sch = schemes.get(version, scheme)
        verdicts = adequacy_of_ratings(sch, [r.scores for r in rows])
        for r, ok in zip(rows, verdicts, strict=True):
            per_counselor[r.counselor_id].append(ok)
            score = group_scores(sch, r.scores).get(group)
            if r.participant_id in out and score is not None:
                per_mother[r.participant_id].append(score)
    for pid, scores in per_mother.items():
        out[pid]["fidelity"] = sum(scores) / len(scores)
    return out, {c: (sum(v) / len(v) if v else None) for c, v in per_counselor.items()}


def mediation_estimates(rows: list[dict[str, Any]], n_boot: int = 2000, seed: int = 13) -> list[dict[str, Any]]:
    """Aim 3b within MIO + TAU: every exposure x mediator (change baseline -> end of treatment) x secondary outcome
    (change baseline -> 3-month follow-up), one cluster bootstrap each (``mediation.mediation``)."""
    values: dict[tuple[int, str, str], float] = {}
    mothers: dict[int, int | None] = {}
    for r in rows:
        if r["arm"] != aim1.ARM_TREATED:
            continue
        values[(r["participant_id"], r["measure"], r["time_point"])] = r["value"]
        mothers[r["participant_id"]] = r["counselor_id"]
    expo, counselor_share = exposures(list(mothers), {c for c in mothers.values() if c is not None})
    for pid, counselor in mothers.items():
        expo[pid]["counselor_adequate_share"] = counselor_share.get(counselor)

    def change(pid: int, measure: str, later: str) -> float | None:
        base, end = values.get((pid, measure, "baseline")), values.get((pid, measure, later))
        return None if base is None or end is None else end - base

    labels = measures.measure_labels()
    out = []
    for x_key, x_label in EXPOSURES.items():
        for m_key in MEDIATORS:
            for y_key in MEDIATION_OUTCOMES:
                data = [{"cluster": mothers[pid], "x": expo[pid][x_key], "m": change(pid, m_key, "end_of_treatment"),
                         "y": change(pid, y_key, "follow_up_3m")} for pid in mothers]
                result = mediation.mediation(data, n_boot=n_boot, seed=seed)
                result.update(exposure=x_key, exposure_label=x_label, mediator=m_key,
                              mediator_label=f"Change in {labels[m_key]}, baseline to end of treatment",
                              outcome=y_key, outcome_label=f"Change in {labels[y_key]}, baseline to 3-month follow-up")
                out.append(result)
    return out


def followup(rows: list[dict[str, Any]], user=None, today: date | None = None) -> dict[str, Any]:
    """CONSORT follow-up and analysis boxes per arm over every randomized mother in scope."""
    today = today or date.today()
    stmt = sa.select(TrialParticipant).where(TrialParticipant.arm.is_not(None))
    participants = list(db.session.execute(scoped(stmt, TrialParticipant, user)).scalars())
    sched_rows = services.schedule_rows_for(participants, today, user)
    ids = [p.id for p in participants]
    withdrawals = services.withdrawals_by_participant(ids)
    reasons = {}
    if ids:
        for pid, tp, reason in db.session.execute(
                sa.select(AssessmentVisit.participant_id, AssessmentVisit.time_point, AssessmentVisit.missed_reason)
                .where(AssessmentVisit.participant_id.in_(ids), AssessmentVisit.status == "missed")):
            reasons[(pid, tp)] = reason
    primary = measures.measures()[0]["key"]
    analysed = {r["participant_id"] for r in rows if r["measure"] == primary}
    people = [{"id": p.id, "arm": p.arm, "data_use": withdrawals[p.id].data_use if p.id in withdrawals else None}
              for p in participants]
    tps = [tp["key"] for tp in measures.time_points()][1:]
    flow = consort.followup_flow(people, {r["participant_id"]: r["schedule"] for r in sched_rows}, reasons,
                                 analysed, MISSED_REASONS, tps)
    flow["primary_measure"] = primary
    flow["arm_labels"] = ARM_LABELS
    return flow


def estimates(user=None, n_boot: int = 2000, today: date | None = None) -> dict[str, Any]:
    """Everything the effectiveness page, ``mio effectiveness --format json`` and ``/api/v1/effectiveness`` show."""
    _require_unblinded(user)
    rows = long_rows(user)
    return {"definitions_version": measures.load_definitions()["version"],
            "time_points": [{"key": t["key"], "label": t["label"]} for t in measures.time_points()],
            "aim1": aim1_estimates(rows), "mediation": mediation_estimates(rows, n_boot=n_boot),
            "followup": followup(rows, user, today), "n_values": len(rows), "missing_data": MISSING_DATA}


MISSING_DATA = ("missing at random given arm, time point, clinic and the observed outcomes (likelihood based: every "
                "observed value is used); complete-case analysis beside it")


#: the per-clinic effects of the joint display: the primary outcomes, change to end of treatment
CLINIC_EFFECT_MEASURES = ("pdi_rf", "psi_4_sf")


def clinic_effects(clinic_id: int, user=None) -> dict[str, dict[str, Any]]:
    """Per primary outcome, the clinic's difference between arms in mean change from baseline to end of treatment
    (``aim1.change_difference``, Welch 95 % CI). Empty for a blinded user (it compares arms)."""
    return clinic_effects_by_clinic([clinic_id], user)[clinic_id]


def clinic_effects_by_clinic(clinic_ids: list[int], user=None) -> dict[int, dict[str, dict[str, Any]]]:
    """:func:`clinic_effects` of several clinics from one read of the long data, split by clinic (the joint display
    and determinants show every clinic: one query instead of one per clinic)."""
    if services.is_blinded(user):
        return {cid: {} for cid in clinic_ids}
    codes = dict(db.session.execute(sa.select(Clinic.id, Clinic.code).where(Clinic.id.in_(clinic_ids))).all())
    by_code: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in long_rows(user, clinic_ids=list(clinic_ids)):
        by_code[r["clinic"]].append(r)
    out = {}
    for cid in clinic_ids:
        rows = by_code.get(codes.get(cid), [])
        effects = {}
        for key in CLINIC_EFFECT_MEASURES:
            data = [{"mother": r["participant_id"], "arm": r["arm"], "time_point": r["time_point"],
                     "value": r["value"]} for r in rows if r["measure"] == key]
            effects[key] = {"label": measures.measure(key)["label"],
                            **aim1.change_difference(data, "baseline", "end_of_treatment")}
        out[cid] = effects
    return out
