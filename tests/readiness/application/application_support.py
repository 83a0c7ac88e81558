"""Shared data and builders for the application tests (imported by conftest.py and the tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.db import db
from app.models import Agency, Clinic, User
from readiness.application.models import (
    Application,
    ApplicationClinician,
    ApplicationSupervisor,
    EligibilityInput,
    TrainingCohort,
)

ORGANISATION = {
    "contact_name": "Sandra Pike", "contact_email": "sandra@spr.example", "contact_phone": "(413) 555-0142",
    "clinical_staff_total": "30", "number_being_trained": "4", "client_population": "Adults in outpatient SUD care",
    "parents_young_children_pct": "35", "parents_young_children": "Many postpartum mothers on MOUD",
    "service_types": ["outpatient", "moud"], "service_types_other": "", "cases_per_clinician": "40",
    "visit_frequency": "weekly", "visit_length_minutes": "50", "supervision_model": "Weekly individual supervision",
    "financial_sustainment": "Salaried clinicians; MIO sessions billable", "service_fit": "Tuesday afternoons",
}
ACKNOWLEDGEMENT = {"ack_didactic": "y", "ack_supervision": "y", "ack_recording": "y", "ack_fidelity": "y",
                   "signature_name": "Sandra Pike", "signature_title": "Clinical director", "signed_on": "2026-01-05"}
ALL_PASS = {"age_years": 34, "employed_as_addiction_counselor": True, "degree_level": "master",
            "degree_field": "social_work", "approval_supervision": True, "approval_delivery": True,
            "planned_notice_or_leave": False, "willing_to_be_recorded": True, "crfs_mean": 5.0,
            "supervisor_judges_capable": True}


def build_application(agency: Agency, cohort: TrainingCohort, clinics: list[Clinic], *, status: str = "draft",
                      complete: bool = True, clinicians: int = 2, inputs: dict | None = None,
                      entered_by: User | None = None) -> Application:
    """A (complete) application written directly through the models, for review and eligibility tests."""
    values = {}
    if complete:
        values = dict(contact_name="Sandra Pike", contact_email="sandra@spr.example", clinical_staff_total=30,
                      number_being_trained=clinicians, client_population="Adults", parents_young_children_pct=35,
                      service_types=["outpatient"], cases_per_clinician=40, visit_frequency="weekly",
                      visit_length_minutes=50, supervision_model="Weekly", financial_sustainment="Salaried",
                      service_fit="Tuesdays", ack_didactic=True, ack_supervision=True, ack_recording=True,
                      ack_fidelity=True, signature_name="Sandra Pike", signature_title="Director",
                      signed_on=date(2026, 1, 5))
    application = Application(agency=agency, cohort=cohort, status=status, **values)
    if status != "draft":
        application.submitted_at = datetime(2026, 1, 6, 12, tzinfo=UTC)
    db.session.add(application)
    supervisor = ApplicationSupervisor(application=application, name="Dana Whitfield", email="dana@spr.example",
                                       clinic=clinics[0], experience="Ten years", comfort_attachment="very")
    db.session.add(supervisor)
    for i in range(clinicians):
        clinic = clinics[i % len(clinics)]
        clinician = ApplicationClinician(
            application=application, clinic=clinic, supervisor=supervisor, name=f"Clinician {i + 1}",
            email=f"clin{i + 1}@{agency.code.lower()}.example", experience="Some", knowledge_reflective_practice="working",
            knowledge_child_development="working", knowledge_parent_needs="advanced")
        db.session.add(clinician)
        if inputs is not None:
            for key, value in inputs.items():
                clinician.eligibility_inputs.append(EligibilityInput(
                    input_key=key, value=value, entered_by_id=entered_by.id, entered_by_role=entered_by.role,
                    entered_as="test", supervisor=supervisor if key == "supervisor_judges_capable" else None))
    db.session.commit()
    return application
