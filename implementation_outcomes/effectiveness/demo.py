"""Demo seeder: effectiveness assessments for the demo trial's 200 randomized mothers, built to show what the trial
hopes to find, so the page has something true to show:

- a MIO effect on reflective functioning (+0.8 RF points beyond TAU at end of treatment, larger where the
  counselor's adequate-fidelity share is higher: +0.6 per SD of that share) and on parenting stress (-8 PSI-4-SF
  points, -3 more per SD of the share);
- secondary outcomes at 3-month follow-up that move with the change in RF and stress (so part of the MIO effect on
  them is mediated, through fidelity, by the primary outcomes) plus a small direct effect;
- about 12 % of mothers missing end of treatment and about 20 % missing follow-up (reasons recorded), three
  withdrawals (one forbidding use of her data), a fifth of the coded measures double coded.
The assessments run to the trial's end, past the sessions' cut-off; dates follow each mother's schedule. All draws
come from seeded generators, so the demo is the same on every machine.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.models import Role
from implementation_outcomes.delivery.models import TrialParticipant
from implementation_outcomes.effectiveness import measures, schedule
from implementation_outcomes.effectiveness.models import AssessmentVisit, OutcomeScore, Withdrawal

MISSED_WEIGHTS = [("unreachable", 8), ("declined", 4), ("rescheduled_out_of_window", 3),
                  ("incarcerated_or_inpatient", 2), ("moved", 2), ("child_custody_change", 1)]
COUNTED = ("opioids", "fentanyl", "cocaine", "amphetamines", "benzodiazepines", "cannabis")


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def seed_effectiveness(ctx) -> None:
    """Registered after the delivery seeder (it reads the mothers, counselors and fidelity ratings it wrote)."""
    from implementation_outcomes.effectiveness.analysis_services import exposures

    db.session.flush()
    if db.session.execute(sa.select(sa.func.count(AssessmentVisit.id))).scalar():
        return  # idempotent: the demo already has its assessments
    assessor = next((u for u in ctx.users.values() if u.role == Role.OUTCOME_ASSESSOR), None)
    mothers = list(db.session.execute(sa.select(TrialParticipant).where(TrialParticipant.arm.is_not(None))
                                      .order_by(TrialParticipant.clinic_id, TrialParticipant.study_id)).scalars())
    mio = [p for p in mothers if p.arm == "mio_tau"]
    _expo, share = exposures([p.id for p in mio], {p.counselor_id for p in mio if p.counselor_id})
    shares = [share.get(p.counselor_id) for p in mio if share.get(p.counselor_id) is not None]
    mean = sum(shares) / len(shares) if shares else 0.5
    sd = (sum((s - mean) ** 2 for s in shares) / max(1, len(shares) - 1)) ** 0.5 or 1.0
    tps = schedule.merge_windows(measures.time_points(), None)
    version = measures.load_definitions()["version"]
    rng = random.Random("mio-demo-effectiveness")
    withdrawn = {mothers[i].id: use for i, use in ((17, "may_use"), (83, "may_use"), (141, "must_not_use"))
                 if i < len(mothers)}
    for p in mothers:
        z = (share.get(p.counselor_id, mean) - mean) / sd if p.arm == "mio_tau" else 0.0
        values = _trajectory(rng, p.arm == "mio_tau", z)
        missed_eot = rng.random() < 0.12
        missed_fu = rng.random() < (0.6 if missed_eot else 0.15)
        for tp in tps:
            win = schedule.window(tp, p.consented_on, p.screened_on, p.randomized_on)
            if win is None:
                continue
            key = tp["key"]
            if p.id in withdrawn and key == "follow_up_3m":
                db.session.add(Withdrawal(clinic_id=p.clinic_id, participant=p, data_use=withdrawn[p.id],
                                          withdrawn_on=win["opens"] - timedelta(days=10),
                                          reason="Moved out of state" if withdrawn[p.id] == "may_use"
                                          else "Withdrew consent for the use of her data",
                                          recorded_by_id=None))
                continue
            if (key == "end_of_treatment" and missed_eot) or (key == "follow_up_3m" and missed_fu):
                db.session.add(AssessmentVisit(clinic_id=p.clinic_id, participant=p, time_point=key, status="missed",
                                               missed_reason=_weighted(rng, MISSED_WEIGHTS),
                                               recorded_by_id=assessor.id if assessor else None))
                continue
            if tp.get("before_randomization"):
                when = win["opens"] + timedelta(days=rng.randint(0, max(0, (win["closes"] - win["opens"]).days)))
            else:
                when = win["target"] + timedelta(days=rng.randint(-7, 14))
            visit = AssessmentVisit(clinic_id=p.clinic_id, participant=p, time_point=key, status="completed",
                                    assessed_on=when, recorded_by_id=assessor.id if assessor else None)
            db.session.add(visit)
            for m_key, fields in values[key].items():
                visit.scores.append(OutcomeScore(clinic_id=p.clinic_id, measure=m_key, coder_slot="primary",
                                                 values=fields, definitions_version=version, source="demo",
                                                 entered_by_id=assessor.id if assessor else None))
                if measures.measure(m_key)["kind"] == "coded" and rng.random() < 0.2:
                    visit.scores.append(OutcomeScore(clinic_id=p.clinic_id, measure=m_key, coder_slot="second",
                                                     values=_second_coding(rng, m_key, fields),
                                                     definitions_version=version, source="demo",
                                                     entered_by_id=assessor.id if assessor else None))
    db.session.flush()


def _weighted(rng: random.Random, options: list[tuple[str, int]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _trajectory(rng: random.Random, treated: bool, z: float) -> dict[str, dict[str, dict[str, Any]]]:
    """Every measure's values at the three time points for one mother (model in the module docstring)."""
    u = rng.gauss(0, 1)  # the mother's own level, shared by her outcomes
    rf0 = 3.0 + 0.9 * u + rng.gauss(0, 0.7)
    d_rf = (0.9 + 0.6 * z if treated else 0.1) + rng.gauss(0, 0.8)
    psi0 = 98 + 12 * u + rng.gauss(0, 8)
    d_psi = (-10 - 3 * z if treated else -2) + rng.gauss(0, 7)
    d_bdi = -1 - 1.2 * d_rf + 0.10 * d_psi - (1.0 if treated else 0) + rng.gauss(0, 4)
    d_gsi = -0.05 - 0.08 * d_rf + 0.006 * d_psi + rng.gauss(0, 0.25)
    d_ncast = 0.5 + 1.6 * d_rf + rng.gauss(0, 3)
    d_days = -1 - 0.8 * d_rf + 0.05 * d_psi + rng.gauss(0, 2.5)
    bdi0, gsi0 = 18 + 5 * u + rng.gauss(0, 5), 1.0 + 0.3 * u + rng.gauss(0, 0.3)
    ncast0, days0 = 44 - 3 * u + rng.gauss(0, 4), 5 + 2 * u + rng.gauss(0, 3)
    p_pos = {"baseline": 0.35, "end_of_treatment": 0.2 if treated else 0.28,
             "follow_up_3m": 0.18 if treated else 0.3}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, f_primary, f_secondary in (("baseline", 0, 0), ("end_of_treatment", 1, 0.5), ("follow_up_3m", 1, 1)):
        rf = rf0 + f_primary * d_rf + (rng.gauss(0, 0.4) if key == "follow_up_3m" else 0)
        out[key] = {
            "pdi_rf": {"rf_overall": int(round(_clamp(rf, -1, 9)))},
            "psi_4_sf": _psi(rng, psi0 + f_primary * d_psi),
            "ncast_teaching": _ncast(ncast0 + f_secondary * d_ncast),
            "bdi_ii": {"total": int(round(_clamp(bdi0 + f_secondary * d_bdi, 0, 63)))},
            "bsi_gsi": {"gsi": round(_clamp(gsi0 + f_secondary * d_gsi, 0, 4), 2)},
            "urine_toxicology": _tox(rng, p_pos[key]),
            "days_of_use": _days(rng, days0 + f_secondary * d_days),
        }
    return out


def _psi(rng: random.Random, total: float) -> dict[str, int]:
    pd = int(_clamp(round(total * 0.36 + rng.gauss(0, 2)), 12, 60))
    pcdi = int(_clamp(round(total * 0.30 + rng.gauss(0, 2)), 12, 60))
    dc = int(_clamp(round(total - pd - pcdi), 12, 60))
    return {"total_stress": pd + pcdi + dc, "parental_distress": pd, "parent_child_dysfunctional_interaction": pcdi,
            "difficult_child": dc}


def _ncast(total: float) -> dict[str, int]:
    caregiver = int(_clamp(round(total * 0.68), 0, 50))
    child = int(_clamp(round(total - caregiver), 0, 23))
    return {"total": caregiver + child, "caregiver_total": caregiver, "child_total": child}


def _tox(rng: random.Random, p_positive: float) -> dict[str, str]:
    results = dict.fromkeys(COUNTED, "negative")
    if rng.random() < p_positive:
        results[rng.choice(("fentanyl", "fentanyl", "opioids", "cocaine", "cannabis", "benzodiazepines"))] = "positive"
    results["buprenorphine"] = "positive" if rng.random() < 0.4 else "negative"
    return results


def _days(rng: random.Random, any_days: float) -> dict[str, int]:
    total = int(_clamp(round(any_days), 0, 30))
    opioid = rng.randint(0, total)
    return {"any_drug_days": total, "opioid_days": opioid, "stimulant_days": rng.randint(0, total - opioid),
            "cannabis_days": rng.randint(0, total), "alcohol_days": rng.randint(0, total), "other_days": 0}


def _second_coding(rng: random.Random, measure_key: str, fields: dict[str, Any]) -> dict[str, Any]:
    if measure_key == "pdi_rf":
        shift = rng.choice((-1, 0, 0, 0, 1))
        return {"rf_overall": int(_clamp(fields["rf_overall"] + shift, -1, 9))}
    caregiver = int(_clamp(fields["caregiver_total"] + round(rng.gauss(0, 1.5)), 0, 50))
    child = int(_clamp(fields["child_total"] + round(rng.gauss(0, 1)), 0, 23))
    return {"total": caregiver + child, "caregiver_total": caregiver, "child_total": child}
