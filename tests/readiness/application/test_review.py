"""Submission (completeness, locking), the director's review (notes, return with comments, decisions, audit
trail), comparison, the print view and training cohorts."""

from datetime import timedelta

import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from readiness.application import services
from readiness.application.models import Application, ApplicationNote, TrainingCohort
from tests.readiness.application.application_support import ACKNOWLEDGEMENT, ORGANISATION

BASE = "/readiness/applications"


def reload(application) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application.id)


def test_submit_lists_every_missing_field_with_its_step(client, login, org, make_application):
    application = make_application(complete=False, clinicians=1)
    login(org.staff)
    r = client.post(f"{BASE}/{application.id}/submit")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "to complete before submitting" in page
    for text in ("Organisation</strong></a> · Number of clinical staff (total): Required before submitting.",
                 "Acknowledgement</strong></a> · Date signed: Required before submitting.",
                 "Acknowledgement</strong></a> · Signature: type your full name: Required before submitting.",
                 "Tick to acknowledge this requirement."):
        assert text in page, text
    assert f'href="{BASE}/{application.id}/step/organisation"' in page
    assert reload(application).status == "draft"
    review = client.get(f"{BASE}/{application.id}/step/review")
    assert review.status_code == 200 and "Required before submitting." in review.get_data(as_text=True)


def test_fill_in_every_step_then_submit_locks_it(client, login, org):
    login(org.staff)
    client.post(f"{BASE}/new", data={"cohort_id": org.cohort.id})
    application = db.session.execute(sa.select(Application)).scalar_one()
    assert client.post(f"{BASE}/{application.id}/step/organisation", data=ORGANISATION).status_code == 302
    client.post(f"{BASE}/{application.id}/supervisors/new",
                data={"name": "Dana Whitfield", "email": "dana@spr.example", "experience": "Ten years",
                      "comfort_attachment": "very"})
    for i, clinic in enumerate(org.clinics * 2):
        r = client.post(f"{BASE}/{application.id}/clinicians/new",
                        data={"name": f"Clinician {i}", "clinic_id": clinic.id, "email": f"c{i}@spr.example",
                              "experience": "Some", "knowledge_reflective_practice": "working",
                              "knowledge_child_development": "introductory", "knowledge_parent_needs": "advanced"})
        assert r.status_code == 302
    assert client.post(f"{BASE}/{application.id}/step/acknowledgement", data=ACKNOWLEDGEMENT).status_code == 302
    review = client.get(f"{BASE}/{application.id}/step/review").get_data(as_text=True)
    assert "Everything required is filled in" in review and "Adults in outpatient SUD care" in review
    r = client.post(f"{BASE}/{application.id}/submit")
    assert r.status_code == 302 and r.headers["Location"] == f"{BASE}/{application.id}"
    application = reload(application)
    assert application.status == "submitted" and application.submitted_by_id == org.staff.id
    # locked: every edit is refused with a clear message, nothing changes
    edits = [
        (f"{BASE}/{application.id}/step/organisation", {**ORGANISATION, "contact_name": "Changed"}),
        (f"{BASE}/{application.id}/supervisors/new", {"name": "Late Supervisor"}),
        (f"{BASE}/{application.id}/clinicians/{application.clinicians[0].id}/edit", {"name": "Renamed"}),
        (f"{BASE}/{application.id}/clinicians/{application.clinicians[0].id}/delete", {}),
        (f"{BASE}/{application.id}/submit", {}),
    ]
    for url, data in edits:
        r = client.post(url, data=data)
        assert r.status_code == 409, url
        assert "is locked while it is submitted: agency staff can no longer edit it" in r.get_data(as_text=True)
    r = client.post(f"{BASE}/{application.id}/autosave/organisation", data={"contact_name": "Changed"})
    assert r.status_code == 409 and r.json["error"] == "locked" and "locked" in r.json["message"]
    r = client.post(f"{BASE}/{application.id}/clinicians/autosave", data={"name": "Sneaky"})
    assert r.status_code == 409
    application = reload(application)
    assert application.contact_name == "Sandra Pike" and len(application.clinicians) == 4
    assert len(application.supervisors) == 1
    r = client.get(f"{BASE}/{application.id}/step/organisation")
    assert r.status_code == 302 and r.headers["Location"] == f"{BASE}/{application.id}"
    assert "can no longer edit it" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_director_sees_all_with_status_and_filters(client, login, org, make_application):
    make_application(status="submitted")
    make_application(agency=org.other_agency, status="draft")
    login(org.director)
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Springfield Recovery Partners" in page and "Hampden Family Recovery" in page
    assert ">Submitted<" in page and ">Draft<" in page
    filtered = client.get(f"{BASE}/?status=draft").get_data(as_text=True)
    assert "Hampden Family Recovery" in filtered and "Springfield Recovery Partners" not in filtered
    assert b"Unknown status" in client.get(f"{BASE}/?status=bogus").data


def test_return_with_comments_then_edit_and_resubmit(client, login, org, make_application):
    application = make_application(status="submitted")
    login(org.director)
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "start_review"})
    assert r.status_code == 302 and reload(application).status == "under_review"
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "return", "text": ""})
    assert r.status_code == 400 and "needs comments for the agency" in r.get_data(as_text=True)
    assert reload(application).status == "under_review"
    r = client.post(f"{BASE}/{application.id}/notes", data={"body": "Internal: check the fee model"})
    assert r.status_code == 302
    r = client.post(f"{BASE}/{application.id}/transition",
                    data={"action": "return", "text": "Please describe how sessions will be billed."})
    assert r.status_code == 302 and reload(application).status == "returned"
    client.post("/auth/logout")
    login(org.staff)
    page = client.get(f"{BASE}/{application.id}/step/organisation").get_data(as_text=True)
    assert "Please describe how sessions will be billed." in page and "Returned for changes" in page
    view = client.get(f"{BASE}/{application.id}").get_data(as_text=True)
    assert "Please describe how sessions will be billed." in view
    assert "Internal: check the fee model" not in view  # review notes stay with the review team
    r = client.post(f"{BASE}/{application.id}/autosave/organisation",
                    data={"financial_sustainment": "Billed to MassHealth as individual therapy"})
    assert r.status_code == 200
    r = client.post(f"{BASE}/{application.id}/submit")
    assert r.status_code == 302
    application = reload(application)
    assert application.status == "submitted" and application.financial_sustainment.startswith("Billed")
    assert [n.body for n in application.notes if n.kind == "submission"] == ["Resubmitted after changes."]


def test_decisions_record_reasons_and_are_audited(client, login, org, make_application):
    application = make_application(status="submitted")
    login(org.director)
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "accept"})
    assert r.status_code == 400 and "needs reasons for the decision" in r.get_data(as_text=True)
    r = client.post(f"{BASE}/{application.id}/transition",
                    data={"action": "conditionally_accept", "text": "Accepted if two more supervisors attend."})
    assert r.status_code == 302
    application = reload(application)
    assert application.status == "conditionally_accepted" and application.decided_by_id == org.director.id
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "start_review"})
    assert r.status_code == 409 and "not possible while the application is conditionally accepted" in \
        r.get_data(as_text=True)
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "decline", "text": "Conditions unmet."})
    assert r.status_code == 302 and reload(application).status == "declined"
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "readiness_application")
                                .order_by(AuditEvent.id)).scalars().all()
    status_changes = [e.changes["status"] for e in events if "status" in e.changes]
    assert status_changes[-2:] == [{"old": "submitted", "new": "conditionally_accepted"},
                                   {"old": "conditionally_accepted", "new": "declined"}]
    assert all(e.actor == "director@x.org" and e.user_id == org.director.id for e in events[-2:])
    note_events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "application_note")
                                     .order_by(AuditEvent.id)).scalars().all()
    assert [e.changes["body"]["new"] for e in note_events] == ["Accepted if two more supervisors attend.",
                                                              "Conditions unmet."]
    assert note_events[0].changes["status_to"] == {"old": None, "new": "conditionally_accepted"}
    client.post("/auth/logout")
    login(org.staff)
    view = client.get(f"{BASE}/{application.id}").get_data(as_text=True)
    assert "Conditions unmet." in view and ">Declined<" in view


def test_agency_staff_cannot_review(client, login, org, make_application):
    application = make_application(status="submitted")
    login(org.staff)
    assert client.post(f"{BASE}/{application.id}/transition", data={"action": "accept", "text": "x"}
                       ).status_code == 403
    assert client.post(f"{BASE}/{application.id}/notes", data={"body": "x"}).status_code == 403
    assert client.get(f"{BASE}/compare?application_id={application.id}").status_code == 403
    assert reload(application).status == "submitted"


def test_admin_may_review_too(client, login, org, make_application):
    application = make_application(status="submitted")
    login(org.admin)
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "accept", "text": "Strong."})
    assert r.status_code == 302 and reload(application).status == "accepted"


def test_empty_note_and_unknown_action(client, login, org, make_application):
    application = make_application(status="submitted")
    login(org.director)
    r = client.post(f"{BASE}/{application.id}/notes", data={"body": " "})
    assert r.status_code == 400 and b"Write the note first." in r.data
    r = client.post(f"{BASE}/{application.id}/transition", data={"action": "approve", "text": "x"})
    assert r.status_code == 400 and b"Not a valid choice" in r.data
    assert db.session.execute(sa.select(sa.func.count(ApplicationNote.id))).scalar() == 0


def test_compare_side_by_side(client, login, org, make_application):
    spr = make_application(status="submitted", clinicians=3, inputs={"crfs_mean": 3.0})
    hfr = make_application(agency=org.other_agency, status="under_review", clinicians=2)
    login(org.director)
    page = client.get(f"{BASE}/compare?application_id={spr.id}&application_id={hfr.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "SPR · 2026 spring cohort" in text and "HFR · 2026 spring cohort" in text
    assert '<th scope="row">Clinicians proposed</th><td class="num">3</td><td class="num">2</td>' in text
    assert '<th scope="row">Clinicians not eligible</th><td class="num">3</td><td class="num">0</td>' in text
    assert '<th scope="row">Types of services the agency typically provides</th><td>Outpatient counseling</td>' in text
    csv = client.get(f"{BASE}/compare?application_id={spr.id}&application_id={hfr.id}&format=csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Item,SPR · 2026 spring cohort,HFR · 2026 spring cohort"
    assert "Clinicians pending,0,2" in lines and "Number of clinical staff (total),30,30" in lines
    xlsx = client.get(f"{BASE}/compare?application_id={spr.id}&application_id={hfr.id}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    one = client.get(f"{BASE}/compare?application_id={spr.id}")
    assert one.status_code == 400 and b"Choose at least two applications" in one.data
    assert client.get(f"{BASE}/compare?application_id=abc").status_code == 400


def test_print_view(client, login, org, make_application):
    application = make_application(status="submitted")
    login(org.staff)
    page = client.get(f"{BASE}/{application.id}/print").get_data(as_text=True)
    assert "Training &amp; Learning Collaborative application" in page
    assert "Springfield Recovery Partners" in page and "Clinician 2" in page
    assert "Acknowledged" in page and "Sandra Pike" in page and "data-print" in page
    assert "<script>" not in page and "onclick" not in page and 'style="' not in page
    assert "application.css" in page  # print rules hide navigation and controls


def test_cohorts(client, login, org):
    login(org.director)
    r = client.post(f"{BASE}/cohorts/new", data={"name": "2026 fall cohort", "starts_on": "2026-09-14",
                                                 "ends_on": "2026-09-01"})
    assert r.status_code == 400 and b"cannot be before the start date" in r.data
    r = client.post(f"{BASE}/cohorts/new", data={"name": "2026 SPRING cohort", "starts_on": "2026-09-14"})
    assert r.status_code == 400 and "Another cohort is already called" in r.get_data(as_text=True)
    r = client.post(f"{BASE}/cohorts/new", data={"name": "2026 fall cohort", "starts_on": "2026-09-14",
                                                 "applications_due_on": "2026-08-14"})
    assert r.status_code == 302
    fall = db.session.execute(sa.select(TrainingCohort).where(TrainingCohort.name == "2026 fall cohort")
                              ).scalar_one()
    assert fall.created_by_id == org.director.id
    r = client.post(f"{BASE}/cohorts/{fall.id}/edit", data={"name": "2026 autumn cohort", "starts_on": "bad"})
    assert r.status_code == 400 and b"Enter a date as YYYY-MM-DD" in r.data
    assert b"2026 fall cohort" in client.get(f"{BASE}/cohorts").data
    assert client.get(f"{BASE}/cohorts/999/edit").status_code == 404
    client.post("/auth/logout")
    login(org.staff)
    assert client.get(f"{BASE}/cohorts").status_code == 403
    # offered to agencies while its application window is open (test_cohorts_offered.py covers the rule)
    fall.applications_due_on = services.now().date()
    db.session.commit()
    assert b"2026 fall cohort" in client.get(f"{BASE}/mine").data
    fall.applications_due_on = services.now().date() - timedelta(days=1)
    db.session.commit()
    assert b"2026 fall cohort" not in client.get(f"{BASE}/mine").data
