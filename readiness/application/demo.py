"""Demo applications (deterministic: fixed dates, ``random.Random(2026)``).

The 2026 spring cohort: Springfield Recovery Partners' application accepted, all 8 clinicians with every
eligibility input (7 eligible; one with a Clinical Reflective Functioning Scale mean of 3.5, not eligible), linked to
their counselor records; Hampden Family Recovery Services' application submitted and under review, one clinician
still waiting for the supervisor's judgement. A 2026 fall cohort is open and nobody has applied to it yet.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from app.audit import acting_as
from app.db import db
from app.demo import DemoContext
from readiness.application import workflow
from readiness.application.eligibility_services import link_counselor_people
from readiness.application.models import (
    Application,
    ApplicationClinician,
    ApplicationNote,
    ApplicationSupervisor,
    EligibilityInput,
    TrainingCohort,
)

SPRING = "2026 spring cohort"
FALL = "2026 fall cohort"
NOT_ELIGIBLE_CRFS = ("SPR-1", "Alicia Moreno", 3.5)
PENDING_SUPERVISOR = ("HFR-2", "Hannah Brooks")
CREDENTIALS = ("LADC I", "LMHC", "LICSW", "CADC", "LCSW", "LADC II")
DEGREES = (("bachelor", "psychology"), ("master", "social_work"), ("master", "counseling"), ("bachelor", "related"),
           ("master", "psychology"))
EXPERIENCE = (
    "Four years of outpatient counseling with pregnant and parenting women on MOUD; co-facilitates a parenting group.",
    "Runs the clinic's family recovery group; earlier worked in early intervention home visiting.",
    "Two years of individual counseling; several current clients are mothers of toddlers with DCF involvement.",
    "Came from a residential program for women and children; trained in trauma-informed care.",
    "Mostly works with adults in intensive outpatient; a growing caseload of young parents.",
)
ORGANISATIONS = {
    "SPR": dict(
        clinical_staff_total=34, number_being_trained=8, parents_young_children_pct=38, cases_per_clinician=40,
        visit_frequency="weekly", visit_length_minutes=50, contact_phone="(413) 555-0142",
        service_types=["outpatient", "intensive_outpatient", "moud", "family_parenting", "case_management"],
        client_population="Adults in outpatient treatment for opioid, alcohol and stimulant use disorders in Hampden "
                          "County; about 60% women; referrals from detox units, DCF and the drug courts; English and "
                          "Spanish.",
        parents_young_children="About 140 current clients parent a child under five; many are pregnant or postpartum "
                               "women on MOUD and about a third have DCF involvement.",
        supervision_model="Weekly one-hour individual supervision with a licensed clinical supervisor, and a monthly "
                          "group case review; reflective supervision was introduced in 2024.",
        financial_sustainment="Clinicians are salaried. MassHealth reimburses individual sessions at the outpatient "
                              "rate, so MIO sessions are billable; training hours are paid time.",
        service_fit="MIO sessions replace one of the two weekly individual sessions for enrolled mothers; rooms are "
                    "reserved on Tuesday and Thursday afternoons, with child care on site in Chicopee.",
        signature_title="Director of Clinical Services"),
    "HFR": dict(
        clinical_staff_total=22, number_being_trained=8, parents_young_children_pct=31, cases_per_clinician=48,
        visit_frequency="weekly", visit_length_minutes=45, contact_phone="(413) 555-0178",
        service_types=["outpatient", "moud", "recovery_support", "mental_health"],
        service_types_other="Court-ordered evaluations",
        client_population="Adults in outpatient SUD treatment in Holyoke and Westfield, many with co-occurring "
                          "mental health conditions; a large Puerto Rican community; about half women.",
        parents_young_children="Roughly 90 mothers of children under five across both clinics, several in family "
                               "treatment court.",
        supervision_model="Biweekly individual supervision plus a weekly team meeting; supervisors carry caseloads.",
        financial_sustainment="Clinicians are paid per billable hour after a base caseload, so hours in training "
                              "reduce pay unless the agency covers them: leadership has agreed to cover them.",
        service_fit="Sessions will be scheduled in the evening block already used for parenting groups; Westfield "
                    "shares rooms with the medication clinic, so sessions there will be mornings.",
        signature_title="Chief Operating Officer"),
}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def seed_demo(ctx: DemoContext) -> None:
    rng = random.Random(2026)
    director = ctx.users["director@mio.example"]
    with acting_as(director.email, director.id):
        spring = TrainingCohort(name=SPRING, starts_on=ctx.start, ends_on=date(2026, 8, 14),
                                applications_due_on=date(2026, 1, 9), created_by_id=director.id,
                                description="Didactic training in February, then weekly supervision calls while each "
                                            "clinician delivers MIO to a training case.")
        # no due date: the demo's fall cohort stays open to new applications whatever day the demo runs (a past
        # due date would take it off the agencies' "Start an application" list, and the journeys start one)
        fall = TrainingCohort(name=FALL, starts_on=date(2026, 9, 14), ends_on=date(2027, 3, 26),
                              applications_due_on=None, created_by_id=director.id)
        db.session.add_all([spring, fall])
        db.session.flush()
    spr = _application(ctx, rng, "SPR", spring, ("SPR-1", "SPR-2"), created=date(2025, 11, 10),
                       submitted=date(2025, 12, 12))
    hfr = _application(ctx, rng, "HFR", spring, ("HFR-1", "HFR-2"), created=date(2025, 11, 24),
                       submitted=date(2026, 1, 8))
    _eligibility(ctx, rng, spr, skip=None)
    _eligibility(ctx, rng, hfr, skip=PENDING_SUPERVISOR)
    with acting_as(director.email, director.id):
        _note(spr, director, "review_note", "Strong supervision structure and billable sessions; Alicia Moreno's "
              "CRFS interview fell below the threshold.", date(2026, 1, 12))
        _decide(spr, director, workflow.UNDER_REVIEW, None, date(2025, 12, 15))
        _decide(spr, director, workflow.ACCEPTED, "Accepted: 7 of 8 proposed clinicians eligible, approvals and "
                "acknowledgement in place.", date(2026, 1, 16))
        link_counselor_people(spr)
        _decide(hfr, director, workflow.UNDER_REVIEW, None, date(2026, 1, 12))
        _note(hfr, director, "review_note", "Waiting for the supervisor's judgement on Hannah Brooks; ask about the "
              "per-hour pay model for training time.", date(2026, 1, 20))
        db.session.flush()


def _application(ctx, rng, code, cohort, clinic_codes, created: date, submitted: date) -> Application:
    staff = ctx.users[f"staff.{code.lower()}@mio.example"]
    name = staff.name.split(" (")[0]
    with acting_as(staff.email, staff.id):
        application = Application(
            agency=ctx.agencies[code], cohort=cohort, status=workflow.SUBMITTED, created_by_id=staff.id,
            created_at=_at(created), contact_name=name, contact_email=staff.email, **ORGANISATIONS[code],
            ack_didactic=True, ack_supervision=True, ack_recording=True, ack_fidelity=True, signature_name=name,
            signed_on=submitted, signed_by_id=staff.id, last_step="review", last_saved_at=_at(submitted, 9),
            last_saved_by_id=staff.id, submitted_at=_at(submitted), submitted_by_id=staff.id)
        db.session.add(application)
        for clinic_code in clinic_codes:
            person = ctx.supervisors[clinic_code]
            supervisor = ApplicationSupervisor(
                application=application, clinic=ctx.clinics[clinic_code], name=person.display_name,
                title="Clinical supervisor", email=person.email, phone=f"(413) 555-{rng.randint(200, 899):04d}",
                experience=rng.choice(EXPERIENCE), comfort_attachment=rng.choice(("very", "comfortable", "somewhat")))
            db.session.add(supervisor)
            for counselor in ctx.counselors[clinic_code]:
                db.session.add(ApplicationClinician(
                    application=application, clinic=ctx.clinics[clinic_code], supervisor=supervisor,
                    name=counselor.display_name, email=counselor.email, title=rng.choice(CREDENTIALS),
                    phone=f"(413) 555-{rng.randint(200, 899):04d}", experience=rng.choice(EXPERIENCE),
                    knowledge_reflective_practice=rng.choice(("introductory", "working", "advanced")),
                    knowledge_child_development=rng.choice(("introductory", "working", "advanced")),
                    knowledge_parent_needs=rng.choice(("working", "advanced"))))
        db.session.flush()
        _note(application, staff, "submission", "Submitted.", submitted, workflow.DRAFT, workflow.SUBMITTED)
        db.session.flush()
    return application


def _eligibility(ctx, rng, application, skip) -> None:
    """Every input for every clinician, entered by the right person on fixed dates; ``skip`` leaves one
    clinician's supervisor judgement missing."""
    code = application.agency.code.lower()
    staff = ctx.users[f"staff.{code}@mio.example"]
    director = ctx.users["director@mio.example"]
    base = application.submitted_at.date()
    for number, clinician in enumerate(application.clinicians):
        clinic_code = clinician.clinic.code
        level, field = DEGREES[number % len(DEGREES)]
        agency_inputs = {"age_years": rng.randint(26, 58), "degree_level": level, "degree_field": field,
                         "planned_notice_or_leave": False, "willing_to_be_recorded": True,
                         "employed_as_addiction_counselor": True, "approval_supervision": True,
                         "approval_delivery": True}
        with acting_as(staff.email, staff.id):
            for key, value in agency_inputs.items():
                entered_as = "agency" if key.startswith(("approval", "employed")) else "agency (for the counselor)"
                _input(clinician, key, value, staff, entered_as, base)
            if skip != (clinic_code, clinician.name):
                _input(clinician, "supervisor_judges_capable", True, staff, "supervisor", base,
                       supervisor=clinician.supervisor)
        crfs = NOT_ELIGIBLE_CRFS[2] if (clinic_code, clinician.name) == NOT_ELIGIBLE_CRFS[:2] \
            else round(rng.uniform(4.5, 6.5), 1)
        with acting_as(director.email, director.id):
            _input(clinician, "crfs_mean", crfs, director, "rater", date(2026, 1, 5 + number))
    db.session.flush()


def _input(clinician, key, value, user, entered_as, day: date, supervisor=None) -> None:
    db.session.add(EligibilityInput(clinician=clinician, input_key=key, value=value, entered_by_id=user.id,
                                    entered_by_role=user.role, entered_as=entered_as, entered_at=_at(day, 14),
                                    supervisor=supervisor))


def _note(application, user, kind, body, day: date, status_from=None, status_to=None) -> None:
    db.session.add(ApplicationNote(application=application, author_id=user.id, kind=kind, body=body,
                                   status_from=status_from, status_to=status_to, created_at=_at(day, 15)))


def _decide(application, director, status: str, reasons: str | None, day: date) -> None:
    if reasons:
        _note(application, director, "decision", reasons, day, application.status, status)
    application.status = status
    if status in workflow.ACCEPTED_STATUSES:
        application.decided_at = _at(day, 16)
        application.decided_by_id = director.id
    db.session.flush()
