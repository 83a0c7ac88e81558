"""What the application asks and the rules its values meet (readiness/application/content.py)."""

import pytest

from readiness.application import content
from readiness.application.content import FIELDS_BY_KEY, field_error, missing_items

F = FIELDS_BY_KEY


def complete_snapshot():
    org = {"contact_name": "A", "contact_email": "a@b.org", "contact_phone": None, "clinical_staff_total": 10,
           "number_being_trained": 4, "client_population": "x", "parents_young_children_pct": 20,
           "parents_young_children": None, "service_types": ["outpatient"], "service_types_other": None,
           "cases_per_clinician": 30, "visit_frequency": "weekly", "visit_length_minutes": 50,
           "supervision_model": "x", "financial_sustainment": "x", "service_fit": "x"}
    supervisor = {"id": 1, "name": "S", "clinic_id": None, "title": None, "email": "s@b.org", "phone": None,
                  "experience": "x", "comfort_attachment": "very", "comfort_notes": None}
    clinician = {"id": 2, "name": "C", "clinic_id": 5, "title": None, "email": "c@b.org", "phone": None,
                 "supervisor_id": 1, "experience": "x", "knowledge_reflective_practice": "working",
                 "knowledge_child_development": "none", "knowledge_parent_needs": "advanced", "knowledge_notes": None}
    ack = {"ack_didactic": True, "ack_supervision": True, "ack_recording": True, "ack_fidelity": True,
           "signature_name": "A", "signature_title": "Director", "signed_on": "2026-01-05"}
    return {"organisation": org, "supervisors": [supervisor], "clinicians": [clinician], "acknowledgement": ack}


def test_the_application_covers_the_program_description():
    org_labels = " ".join(f.label.lower() for f in content.ORGANISATION)
    for phrase in ("clinical staff (total)", "being trained", "client population", "parents of young children",
                   "types of services", "cases per full-time clinician", "frequency of client visits",
                   "length of a client visit", "supervision", "financial sustainment", "fit the existing service"):
        assert phrase in org_labels, phrase
    assert {f.key for f in content.REQUIREMENTS} == {"ack_didactic", "ack_supervision", "ack_recording",
                                                     "ack_fidelity"}
    assert "16 hours" in F["ack_didactic"].label and "20 weekly" in F["ack_supervision"].label
    assert [k for k, _ in content.STEPS] == ["organisation", "supervisors", "clinicians", "acknowledgement", "review"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("clinical_staff_total", 0, "from 1 to 2000"),
    ("clinical_staff_total", 2001, "from 1 to 2000"),
    ("parents_young_children_pct", 101, "from 0 to 100"),
    ("parents_young_children_pct", -1, "from 0 to 100"),
    ("visit_length_minutes", 5, "from 10 to 480"),
    ("clinical_staff_total", "12", "whole number"),
    ("clinical_staff_total", True, "whole number"),
    ("contact_email", "not-an-email", "email address"),
    ("contact_email", "a@b", "email address"),
    ("contact_phone", "call me", "phone number"),
    ("contact_phone", "12-34", "phone number"),  # too few digits
    ("visit_frequency", "daily", "Choose one"),
    ("service_types", ["outpatient", "spa"], "Unknown option(s): spa"),
    ("contact_name", "x" * 121, "under 120 characters"),
])
def test_field_errors(key, value, message):
    assert message in field_error(F[key], value)


@pytest.mark.parametrize(("key", "value"), [
    ("clinical_staff_total", 1), ("clinical_staff_total", 2000), ("parents_young_children_pct", 0),
    ("contact_email", "name@agency.org"), ("contact_phone", "+1 (413) 555-0100"), ("contact_phone", "413.555.0100"),
    ("visit_frequency", "weekly"), ("service_types", []), ("contact_name", None), ("contact_name", "  "),
])
def test_acceptable_values(key, value):
    assert field_error(F[key], value) is None


def test_trained_may_not_exceed_total():
    assert content.trained_exceeds_total({"clinical_staff_total": 5, "number_being_trained": 5}) is None
    message = content.trained_exceeds_total({"clinical_staff_total": 5, "number_being_trained": 6})
    assert message == "The number being trained (6) cannot be more than the clinical staff total (5)."
    assert content.trained_exceeds_total({"clinical_staff_total": None, "number_being_trained": 6}) is None


def test_complete_snapshot_has_nothing_missing():
    assert missing_items(complete_snapshot()) == []


def test_missing_items_name_field_and_step():
    snap = complete_snapshot()
    snap["organisation"]["cases_per_clinician"] = None
    snap["organisation"]["number_being_trained"] = 12
    snap["clinicians"][0]["clinic_id"] = None
    snap["clinicians"][0]["email"] = "bad"
    snap["acknowledgement"]["ack_recording"] = False
    items = missing_items(snap)
    found = {(i["step"], i["field"], i["message"]) for i in items}
    assert ("organisation", "cases_per_clinician", "Required before submitting.") in found
    assert ("organisation", "number_being_trained",
            "The number being trained (12) cannot be more than the clinical staff total (10).") in found
    assert ("clinicians", "clinic_id", "Required before submitting.") in found
    assert ("clinicians", "email", "Enter an email address like name@agency.org.") in found
    assert ("acknowledgement", "ack_recording", "Tick to acknowledge this requirement.") in found
    assert len(items) == 5
    clinic_item = next(i for i in items if i["field"] == "clinic_id")
    assert clinic_item["row"] == "Clinician 1: C" and clinic_item["step_label"] == "Clinicians"
    assert clinic_item["row_id"] == 2


def test_at_least_one_supervisor_and_clinician():
    snap = complete_snapshot()
    snap["supervisors"] = []
    snap["clinicians"] = []
    messages = [i["message"] for i in missing_items(snap)]
    assert messages == ["Add at least one supervisor.", "Add at least one clinician."]


def test_empty_snapshot_lists_every_required_field():
    items = missing_items({})
    required = [f for f in (*content.ORGANISATION, *content.ACKNOWLEDGEMENT) if f.required]
    assert len(items) == len(required) + 2


def test_acknowledgement_signed_and_training_note():
    snap = complete_snapshot()
    assert content.acknowledgement_signed(snap["acknowledgement"])
    assert not content.acknowledgement_signed({**snap["acknowledgement"], "signature_name": ""})
    assert not content.acknowledgement_signed({**snap["acknowledgement"], "ack_fidelity": False})
    assert content.training_count_note(snap) == ("The organizational assessment says 4 clinicians will be "
                                                 "trained; 1 is listed.")
    snap["clinicians"] = snap["clinicians"] * 3
    assert content.training_count_note(snap) == ("The organizational assessment says 4 clinicians will be "
                                                 "trained; 3 are listed.")
    snap["organisation"]["number_being_trained"] = 1
    assert content.training_count_note(snap) == ("The organizational assessment says 1 clinician will be "
                                                 "trained; 3 are listed.")
    snap["clinicians"] = snap["clinicians"][:1]
    assert content.training_count_note(snap) is None
