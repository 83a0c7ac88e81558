"""Counselor eligibility: inputs entered by the right people (recorded with user, time, role), pass/fail per
criterion, summaries, counselor Person records for accepted eligible clinicians, and the hard-gate functions."""

import re

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent, Person
from readiness.application import eligibility_services
from readiness.application.eligibility_services import hard_gates_for_agency, hard_gates_for_clinic
from readiness.application.models import Application, ApplicationClinician, EligibilityInput
from tests.readiness.application.application_support import ALL_PASS

BASE = "/readiness/applications"
COUNSELOR = {"group": "counselor", "age_years": "34", "degree_level": "master", "degree_field": "social_work",
             "planned_notice_or_leave": "no", "willing_to_be_recorded": "yes"}
AGENCY = {"group": "clinic_administrator", "employed_as_addiction_counselor": "yes", "approval_supervision": "yes",
          "approval_delivery": "yes"}


def url(application, clinician):
    return f"{BASE}/{application.id}/clinicians/{clinician.id}/eligibility"


def inputs(clinician) -> dict:
    db.session.expire_all()
    rows = db.session.execute(sa.select(EligibilityInput).where(EligibilityInput.clinician_id == clinician.id)
                              ).scalars()
    return {r.input_key: r for r in rows}


def test_each_group_is_entered_by_its_role_and_recorded(client, login, org, make_application):
    application = make_application(status="submitted", clinicians=1)
    clinician = application.clinicians[0]
    supervisor = application.supervisors[0]
    login(org.staff)
    page = client.get(url(application, clinician)).get_data(as_text=True)
    assert "Counselor&#39;s own information" in page and "Rater: Clinical Reflective Functioning Scale" not in page
    assert client.post(url(application, clinician), data=COUNSELOR).status_code == 302
    assert client.post(url(application, clinician), data=AGENCY).status_code == 302
    r = client.post(url(application, clinician), data={"group": "supervisor", "supervisor_judges_capable": "yes"})
    assert r.status_code == 400 and b"Name the supervisor who makes this judgement." in r.data
    r = client.post(url(application, clinician), data={"group": "supervisor", "supervisor_judges_capable": "yes",
                                                       "supervisor_id": supervisor.id})
    assert r.status_code == 302
    r = client.post(url(application, clinician), data={"group": "rater", "crfs_mean": "5"})
    assert r.status_code == 403  # agency staff do not rate
    rows = inputs(clinician)
    assert rows["supervisor_judges_capable"].supervisor_id == supervisor.id
    assert rows["supervisor_judges_capable"].entered_as == "supervisor"
    assert rows["approval_delivery"].entered_as == "agency" and rows["age_years"].value == 34
    assert rows["age_years"].entered_as == "agency (for the counselor)"
    assert {r.entered_by_id for r in rows.values()} == {org.staff.id}
    assert {r.entered_by_role for r in rows.values()} == {"agency_staff"}
    assert "crfs_mean" not in rows
    page = client.get(url(application, clinician)).get_data(as_text=True)
    assert "waiting for Clinical Reflective Functioning Scale mean (-1 to 9)" in page and ">pending<" in page
    # every reason reads as words: no input key (snake_case) on the page (issue 16.5)
    assert not re.search(r"\b[a-z]+(?:_[a-z]+)+\b(?: =|:| \(| in )", re.sub(r"<[^>]+>", " ", page)), \
        re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", re.sub(r"<[^>]+>", " ", page))
    client.post("/auth/logout")
    login(org.director)
    page = client.get(url(application, clinician)).get_data(as_text=True)
    assert "Counselor&#39;s own information" not in page and "Rater: Clinical Reflective Functioning Scale" in page
    r = client.post(url(application, clinician), data={"group": "rater", "crfs_mean": "9.5"})
    assert r.status_code == 400 and b"Enter a value from -1 to 9." in r.data
    assert "crfs_mean" not in inputs(clinician)
    r = client.post(url(application, clinician), data={"group": "counselor", **COUNSELOR})
    assert r.status_code == 403  # the director does not enter the agency's inputs
    r = client.post(url(application, clinician), data={"group": "rater", "crfs_mean": "4.5", "note": "Video 2"})
    assert r.status_code == 302
    row = inputs(clinician)["crfs_mean"]
    assert row.value == 4.5 and row.entered_by_id == org.director.id and row.entered_by_role == "director"
    assert row.entered_as == "rater" and row.entered_at is not None and row.note == "Video 2"
    page = client.get(url(application, clinician)).get_data(as_text=True)
    assert "overall <span class=\"badge ok\">eligible</span>" in page
    assert "Dr. Eliza Chambers (Implementation director, as rater)" in page
    assert "Sandra Pike (Agency staff, as supervisor)" in page and "supervisor named: Dana Whitfield" in page


def test_failing_criteria_show_reasons_and_changes_are_audited(client, login, org, make_application):
    application = make_application(status="under_review", clinicians=1, inputs=ALL_PASS)
    clinician = application.clinicians[0]
    login(org.director)
    client.post(url(application, clinician), data={"group": "rater", "crfs_mean": "3.5"})
    page = client.get(url(application, clinician)).get_data(as_text=True)
    assert "Clinical Reflective Functioning Scale mean (-1 to 9): 3.5 (needs more than 4)" in page and "not eligible" in page
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "eligibility_input",
                                                           AuditEvent.action == "update")).scalar_one()
    assert event.changes["value"] == {"old": 5.0, "new": 3.5} and event.user_id == org.director.id
    client.post("/auth/logout")
    login(org.staff)
    r = client.post(url(application, clinician), data={**AGENCY, "approval_delivery": ""})
    assert r.status_code == 302  # blank removes the input: back to pending
    assert "approval_delivery" not in inputs(clinician)
    r = client.post(url(application, clinician), data={**COUNSELOR, "age_years": "twenty"})
    assert r.status_code == 400 and b"Enter a whole number of years." in r.data
    assert inputs(clinician)["age_years"].value == 34  # nothing of the group saved


def test_declined_applications_take_no_inputs(client, login, org, make_application):
    application = make_application(status="declined", clinicians=1)
    login(org.director)
    r = client.post(url(application, application.clinicians[0]), data={"group": "rater", "crfs_mean": "5"})
    assert r.status_code == 409 and b"declined; eligibility inputs are closed" in r.data
    assert client.post(url(application, application.clinicians[0]), data={"group": "nope"}).status_code == 400


def test_other_agency_clinician_is_not_found(client, login, org, make_application):
    theirs = make_application(agency=org.other_agency, clinicians=1)
    mine = make_application(clinicians=1)
    login(org.staff)
    assert client.get(url(theirs, theirs.clinicians[0])).status_code == 404
    assert client.get(url(mine, theirs.clinicians[0])).status_code == 404  # a clinician of another application
    assert client.post(url(theirs, theirs.clinicians[0]), data=COUNSELOR).status_code == 404


def test_summary_counts_per_application_and_agency(client, login, org, make_application):
    application = make_application(status="under_review", clinicians=4, inputs=ALL_PASS)
    first, second, third, fourth = application.clinicians
    login(org.director)
    client.post(url(application, second), data={"group": "rater", "crfs_mean": "3.5"})
    client.post(url(application, third), data={"group": "rater", "crfs_mean": ""})  # removed: pending
    assert eligibility_services.summary_for(reload(application)) == {
        "proposed": 4, "eligible": 2, "pending": 1, "not_eligible": 1}
    page = client.get(f"{BASE}/{application.id}/eligibility").get_data(as_text=True)
    assert "<dt>Eligible</dt><dd>2</dd>" in page and "<dt>Pending</dt><dd>1</dd>" in page
    assert "<dt>Not eligible</dt><dd>1</dd>" in page and "<dt>Proposed</dt><dd>4</dd>" in page
    overview = client.get(f"{BASE}/eligibility").get_data(as_text=True)
    counts = ('<td class="num" data-label="Proposed">4</td><td class="num" data-label="Eligible">2</td>'
              '<td class="num" data-label="Pending">1</td><td class="num" data-label="Not eligible">1</td>')
    assert counts in overview
    listing = client.get(f"{BASE}/").get_data(as_text=True)
    assert counts.replace('"Proposed"', '"Clinicians proposed"') in listing


def reload(application):
    db.session.expire_all()
    return db.session.get(Application, application.id)


def test_acceptance_links_eligible_clinicians_to_counselor_records(client, login, org, make_application,
                                                                   create_person):
    application = make_application(status="under_review", clinicians=3, inputs=ALL_PASS)
    first, second, third = application.clinicians
    existing = create_person(first.clinic, kind="counselor", display_name="Someone Else",
                             email=first.email.upper())
    login(org.director)
    client.post(url(application, third), data={"group": "rater", "crfs_mean": "2"})
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "accept", "text": "Good fit."})
    assert r.status_code == 302
    assert "2 eligible clinician(s) linked to counselor records (1 new)." in client.get(
        r.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    first, second, third = (db.session.get(ApplicationClinician, c.id) for c in (first, second, third))
    assert first.person_id == existing.id  # matched by e-mail at the same clinic
    created = db.session.get(Person, second.person_id)
    assert created.kind == "counselor" and created.clinic_id == second.clinic_id
    assert created.display_name == "Clinician 2" and created.email == second.email
    assert third.person_id is None  # not eligible
    people = db.session.execute(sa.select(sa.func.count(Person.id))).scalar()
    assert eligibility_services.link_counselor_people(reload(application)) == []  # idempotent
    # the third becomes eligible later: linked when the rating is corrected
    client.post(url(application, third), data={"group": "rater", "crfs_mean": "6"})
    db.session.expire_all()
    assert db.session.get(ApplicationClinician, third.id).person_id is not None
    assert db.session.execute(sa.select(sa.func.count(Person.id))).scalar() == people + 1
    client.post(url(application, third), data={"group": "rater", "crfs_mean": "6.5"})
    assert db.session.execute(sa.select(sa.func.count(Person.id))).scalar() == people + 1


def test_no_links_before_acceptance(app_ctx, org, make_application):
    application = make_application(status="under_review", clinicians=2, inputs=ALL_PASS)
    assert eligibility_services.link_counselor_people(application) == []
    assert db.session.execute(sa.select(sa.func.count(Person.id))).scalar() == 0


def test_hard_gates_for_clinic_and_agency(app_ctx, org, make_application):
    empty = hard_gates_for_clinic(org.clinics[0].id)
    assert empty["application_status"] is None and empty["eligible_counselors"] == 0
    assert empty["acknowledgement_signed"] is False and empty["admin_approvals"]["all_approved"] is None
    application = make_application(status="under_review", clinicians=4, inputs=ALL_PASS)
    c1, c2, c3, c4 = application.clinicians  # c1, c3 at SPR-1; c2, c4 at SPR-2
    c2.eligibility_inputs[[i.input_key for i in c2.eligibility_inputs].index("crfs_mean")].value = 3.5
    c4.eligibility_inputs.remove(next(i for i in c4.eligibility_inputs if i.input_key == "approval_delivery"))
    db.session.commit()
    spr1 = hard_gates_for_clinic(org.clinics[0].id)
    assert spr1 == {"eligible_counselors": 2, "pending": 0, "not_eligible": 0, "proposed": 2,
                    "admin_approvals": {"approved": 2, "refused": 0, "pending": 0, "all_approved": True},
                    "acknowledgement_signed": True, "application_status": "under_review",
                    "application_id": application.id, "cohort": "2026 spring cohort", "cohort_id": org.cohort.id,
                    "cohort_starts_on": "2026-02-02", "history": [], "newer_without_clinic": []}
    spr2 = hard_gates_for_clinic(org.clinics[1].id)
    assert (spr2["eligible_counselors"], spr2["pending"], spr2["not_eligible"]) == (0, 1, 1)
    assert spr2["admin_approvals"] == {"approved": 1, "refused": 0, "pending": 1, "all_approved": None}
    next(i for i in c2.eligibility_inputs if i.input_key == "approval_supervision").value = False
    db.session.commit()
    assert hard_gates_for_clinic(org.clinics[1].id)["admin_approvals"]["all_approved"] is False
    agency = hard_gates_for_agency(org.agency.id)
    assert (agency["eligible_counselors"], agency["pending"], agency["not_eligible"], agency["proposed"]) == \
        (2, 1, 1, 4)
    assert set(agency["clinics"]) == {org.clinics[0].id, org.clinics[1].id}
    assert {k: v for k, v in agency["clinics"][org.clinics[0].id].items()} == {
        k: v for k, v in spr1.items() if k not in ("history", "newer_without_clinic")}
    with pytest.raises(LookupError):
        hard_gates_for_clinic(999_999)
    with pytest.raises(LookupError):
        hard_gates_for_agency(999_999)


def test_hard_gates_pick_the_cohort_and_need_a_submitted_signature(app_ctx, org, make_application):
    from datetime import date

    from readiness.application.models import TrainingCohort

    draft = make_application(status="draft", clinicians=1, inputs=ALL_PASS)
    assert hard_gates_for_clinic(org.clinics[0].id)["acknowledgement_signed"] is False  # signed but not submitted
    later = TrainingCohort(name="2026 fall cohort", starts_on=date(2026, 9, 14))
    db.session.add(later)
    db.session.commit()
    fall = make_application(cohort=later, status="submitted", clinicians=2)
    gates = hard_gates_for_clinic(org.clinics[0].id)
    assert gates["cohort"] == "2026 fall cohort" and gates["application_id"] == fall.id
    assert gates["pending"] == 1 and gates["acknowledgement_signed"] is True
    assert hard_gates_for_clinic(org.clinics[0].id, cohort_id=org.cohort.id)["application_id"] == draft.id


def test_hard_gates_are_scoped_to_the_user(app_ctx, org, make_application):
    make_application(agency=org.other_agency, status="submitted", clinicians=1)
    with pytest.raises(LookupError):
        hard_gates_for_clinic(org.other_clinic.id, user=org.staff)
    with pytest.raises(LookupError):
        hard_gates_for_agency(org.other_agency.id, user=org.staff)
    assert hard_gates_for_clinic(org.other_clinic.id, user=org.director)["proposed"] == 1


def test_accepted_eligible_counselors_enter_adoption_tracking(client, login, org, make_application):
    """The readiness decision feeds adoption: invited on the submission date, eligible on the decision date
    (signal readiness.application.signals.counselors_eligible, received by implementation_outcomes)."""
    from implementation_outcomes.implementation.models import AdoptionStep

    application = make_application(status="under_review", clinicians=2, inputs=ALL_PASS)
    login(org.director)
    assert client.post(f"{BASE}/{application.id}/transition", data={"action": "accept", "text": "Ready."}).status_code == 302
    db.session.expire_all()
    application = reload(application)
    steps = db.session.execute(sa.select(AdoptionStep).order_by(AdoptionStep.person_id, AdoptionStep.id)).scalars().all()
    by_person = {}
    for step in steps:
        by_person.setdefault(step.person_id, {})[step.step] = step
    assert set(by_person) == {c.person_id for c in application.clinicians}
    for recorded in by_person.values():
        assert recorded["invited"].reached_on == application.submitted_at.date()
        assert recorded["eligible"].reached_on == application.decided_at.date()
        assert recorded["eligible"].source == "readiness screening"


def test_a_new_cohorts_application_does_not_silently_reset_a_clinics_gates(app_ctx, org, make_application):
    """Issue 12 item 3: SPR-1 met its gates with the spring cohort (4 eligible clinicians there). A later cohort's
    application with one clinician, at SPR-2, leaves SPR-1's gates with the spring cohort and names the newer
    cohort; one with a clinician at SPR-1 becomes SPR-1's headline, with the spring cohort kept in view."""
    from datetime import date

    from readiness.application.models import TrainingCohort
    from readiness.surveys.profile_service import gates_source, normalise_gates

    spring = make_application(status="accepted", clinicians=4, inputs=ALL_PASS, clinics=[org.clinics[0]])
    assert hard_gates_for_clinic(org.clinics[0].id)["eligible_counselors"] == 4
    autumn = TrainingCohort(name="2026 autumn cohort", starts_on=date(2026, 9, 7), ends_on=date(2027, 2, 1),
                            created_by_id=org.director.id)
    db.session.add(autumn)
    db.session.commit()
    new = make_application(status="submitted", clinicians=1, cohort=autumn, clinics=[org.clinics[1]])
    spr1 = hard_gates_for_clinic(org.clinics[0].id)
    assert (spr1["cohort"], spr1["application_id"], spr1["eligible_counselors"]) == ("2026 spring cohort", spring.id, 4)
    assert spr1["newer_without_clinic"] == ["2026 autumn cohort"] and spr1["history"] == []
    spr2 = hard_gates_for_clinic(org.clinics[1].id)
    assert (spr2["cohort"], spr2["application_id"], spr2["eligible_counselors"]) == ("2026 autumn cohort", new.id, 0)
    # the autumn application now proposes one clinician at SPR-1 too (no inputs yet: pending)
    db.session.add(ApplicationClinician(application=new, clinic=org.clinics[0], supervisor=new.supervisors[0],
                                        name="New Clinician", email="new@spr.example", experience="Some",
                                        knowledge_reflective_practice="working",
                                        knowledge_child_development="working", knowledge_parent_needs="advanced"))
    db.session.commit()
    db.session.expire_all()
    spr1 = hard_gates_for_clinic(org.clinics[0].id)
    assert (spr1["cohort"], spr1["eligible_counselors"], spr1["pending"]) == ("2026 autumn cohort", 0, 1)
    assert [(h["cohort"], h["eligible_counselors"]) for h in spr1["history"]] == [("2026 spring cohort", 4)]
    source = gates_source(spr1)
    assert source["cohort"] == "2026 autumn cohort" and source["application_status"] == "submitted"
    assert [(h["cohort"], h["gates_status"]) for h in source["history"]] == [("2026 spring cohort", "met")]
    assert {g["key"]: g["status"] for g in normalise_gates(spr1)}["eligible_counselors"] == "fail"
