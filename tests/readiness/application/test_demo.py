"""The demo seeder: SPR accepted (8 clinicians, 7 eligible, one failing the CRFS at 3.5), HFR under review with one
clinician waiting for the supervisor's judgement, a fall cohort nobody has applied to; deterministic."""

import sqlalchemy as sa

from app import demo
from app.db import db
from readiness.application.demo import seed_demo
from readiness.application.eligibility_services import evaluate_clinician, hard_gates_for_agency, summary_for
from readiness.application.models import Application, EligibilityInput, TrainingCohort


def _seed(monkeypatch):
    monkeypatch.setattr(demo, "hash_password", lambda password: "not-a-real-hash")  # sign-in is not tested here
    context = demo._seed_organisation()
    db.session.commit()
    seed_demo(context)
    db.session.commit()
    return context


def _fingerprint() -> list:
    rows = []
    for application in db.session.execute(sa.select(Application).order_by(Application.id)).scalars():
        rows.append((application.agency.code, application.status, application.clinical_staff_total,
                     tuple((c.name, c.clinic.code, c.title, c.phone, c.person_id is not None,
                            tuple(sorted((i.input_key, str(i.value), i.entered_as, i.entered_at.isoformat())
                                         for i in c.eligibility_inputs)))
                           for c in application.clinicians)))
    return rows


def _wipe() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def test_demo_applications(app_ctx, monkeypatch):
    context = _seed(monkeypatch)
    cohorts = {c.name: c for c in db.session.execute(sa.select(TrainingCohort)).scalars()}
    assert set(cohorts) == {"2026 spring cohort", "2026 fall cohort"}
    applications = {a.agency.code: a for a in db.session.execute(sa.select(Application)).scalars()}
    assert set(applications) == {"SPR", "HFR"}
    assert all(a.cohort.name == "2026 spring cohort" for a in applications.values())
    spr, hfr = applications["SPR"], applications["HFR"]
    assert spr.status == "accepted" and hfr.status == "under_review"
    assert summary_for(spr) == {"proposed": 8, "eligible": 7, "pending": 0, "not_eligible": 1}
    failing = [c for c in spr.clinicians if evaluate_clinician(c)["overall"] == "not_eligible"]
    assert [c.name for c in failing] == ["Alicia Moreno"]
    crfs = next(r for r in evaluate_clinician(failing[0])["results"] if r["key"] == "crfs_mean_above_4")
    # the reason names the input by its label (eligibility_inputs.INPUTS), not by its key (issue 16.5)
    assert crfs["status"] == "fail"
    assert crfs["reason"] == "Clinical Reflective Functioning Scale mean (-1 to 9): 3.5 (needs more than 4)"
    assert summary_for(hfr) == {"proposed": 8, "eligible": 7, "pending": 1, "not_eligible": 0}
    pending = [c for c in hfr.clinicians if evaluate_clinician(c)["overall"] == "pending"][0]
    statuses = {r["key"]: r["status"] for r in evaluate_clinician(pending)["results"]}
    assert [k for k, s in statuses.items() if s != "pass"] == ["supervisor_judges_capable"]
    # names and people come from the demo organisation; eligible SPR clinicians are linked to their records
    counselors = {p.display_name: p for people in context.counselors.values() for p in people}
    assert {c.name for c in spr.clinicians + hfr.clinicians} == set(counselors)
    linked = {c.name: c.person_id for c in spr.clinicians if c.person_id}
    assert len(linked) == 7 and all(counselors[name].id == pid for name, pid in linked.items())
    assert not any(c.person_id for c in hfr.clinicians)
    # inputs were entered by the right accounts
    director = context.users["director@mio.example"]
    rows = db.session.execute(sa.select(EligibilityInput)).scalars().all()
    assert {r.entered_by_id for r in rows if r.input_key == "crfs_mean"} == {director.id}
    assert {r.entered_as for r in rows if r.input_key == "supervisor_judges_capable"} == {"supervisor"}
    assert all(r.supervisor_id for r in rows if r.input_key == "supervisor_judges_capable")
    gates = hard_gates_for_agency(context.agencies["SPR"].id)
    assert gates["eligible_counselors"] == 7 and gates["acknowledgement_signed"] is True
    assert gates["clinics"][context.clinics["SPR-1"].id]["not_eligible"] == 1


def test_demo_is_deterministic(app_ctx, monkeypatch):
    _seed(monkeypatch)
    first = _fingerprint()
    _wipe()
    _seed(monkeypatch)
    assert _fingerprint() == first
