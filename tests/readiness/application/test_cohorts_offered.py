"""Issue 16.6: starting from the agency's previous application (copy-forward: answers only, audited, never another
agency's); which cohorts are offered when starting an application (not one the agency already applied
to, not one whose application window is past; another agency's applications do not hide a cohort), and the step
pills marking the steps with nothing missing, by the same rule as the submit check (content.missing_items)."""

import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from readiness.application import services
from readiness.application.models import Application, TrainingCohort

BASE = "/readiness/applications"


def cohort_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="cohort_id".*?</select>', html, re.S)
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select.group(0)) if select else []


def add_cohort(org, name: str, starts_on: date, due: date | None) -> TrainingCohort:
    cohort = TrainingCohort(name=name, starts_on=starts_on, applications_due_on=due, created_by_id=org.director.id)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def test_applied_and_closed_cohorts_are_not_offered(client, login, org, make_application):
    today = services.now().date()
    add_cohort(org, "Closed cohort", today + timedelta(days=30), today - timedelta(days=1))
    add_cohort(org, "Due today cohort", today + timedelta(days=40), today)
    later = add_cohort(org, "Later cohort", today + timedelta(days=90), today + timedelta(days=20))
    make_application()  # SPR applied to the 2026 spring cohort
    make_application(agency=org.other_agency, cohort=later)  # another agency's application hides nothing for SPR
    login(org.staff)
    options = cohort_options(client.get(f"{BASE}/mine").get_data(as_text=True))
    assert options == ["Later cohort", "Due today cohort"]
    client.post("/auth/logout")
    login(org.other_staff)  # HFR applied to the later cohort only
    options = cohort_options(client.get(f"{BASE}/mine").get_data(as_text=True))
    assert options == ["Due today cohort", "2026 spring cohort"]


def test_a_closed_cohort_is_refused_by_name_and_nothing_is_saved(client, login, org):
    today = services.now().date()
    closed = add_cohort(org, "Closed cohort", today + timedelta(days=30), today - timedelta(days=1))
    login(org.staff)
    r = client.post(f"{BASE}/new", data={"cohort_id": closed.id})
    assert r.status_code == 400
    assert f"Applications for the Closed cohort closed on {today - timedelta(days=1):%Y-%m-%d}" in r.get_data(
        as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Application.id))).scalar() == 0


def test_nothing_left_to_offer_says_why(client, login, org, make_application):
    make_application()
    login(org.staff)
    page = client.get(f"{BASE}/mine").get_data(as_text=True)
    assert cohort_options(page) == []
    assert "your agency has applied to every cohort still taking applications" in page


def test_director_and_admin_see_open_cohorts_whatever_the_agency(client, login, org, make_application):
    make_application()
    login(org.admin)
    assert cohort_options(client.get(f"{BASE}/mine").get_data(as_text=True)) == ["2026 spring cohort"]


def pills(html: str) -> dict[str, bool]:
    nav = re.search(r'<nav class="steps".*?</nav>', html, re.S).group(0)
    found = re.findall(r'<li class="[^"]*?(complete)?"><a [^>]*>(.*?)</a></li>', nav)
    return {re.sub(r"<[^>]+>|✓|\(complete\)", "", text).strip(): bool(done) for done, text in found}


def test_step_pills_mark_complete_steps_by_the_submit_rule(client, login, org, make_application):
    application = make_application(complete=False)  # supervisor and clinicians listed, nothing else filled in
    login(org.staff)
    url = f"{BASE}/{application.id}/step/organisation"
    marks = pills(client.get(url).get_data(as_text=True))
    # content.missing_items: organisation and acknowledgement fields are missing; the rows are complete
    assert marks == {"1. Organisation": False, "2. Supervisors": True, "3. Clinicians": True,
                     "4. Acknowledgement": False, "5. Review and submit": False}
    complete = make_application(complete=True, agency=org.other_agency)
    client.post("/auth/logout")
    login(org.other_staff)
    page = client.get(f"{BASE}/{complete.id}/step/review").get_data(as_text=True)
    marks = pills(page)
    assert marks == {"1. Organisation": True, "2. Supervisors": True, "3. Clinicians": True,
                     "4. Acknowledgement": True, "5. Review and submit": False}
    assert page.count('<span class="visually-hidden"> (complete)</span>') == 4
    # the pills agree with the submit check: nothing missing, so submission goes through
    assert client.post(f"{BASE}/{complete.id}/submit").status_code == 302


# --- copy-forward (issue 16.6 a) ----------------------------------------------------------------------------------
def copy_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="copy_from".*?</select>', html, re.S)
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select.group(0)) if select else []


def test_start_from_the_previous_cohorts_application_copies_answers_only(client, login, org, make_application):
    from app.models import AuditEvent
    from readiness.application.models import ApplicationNote

    source = make_application(status="returned", inputs={"supervisor_judges_capable": True})
    db.session.add(ApplicationNote(application=source, author_id=org.director.id, kind="return",
                                   body="Add the second supervisor.", status_from="submitted", status_to="returned"))
    db.session.commit()
    make_application(agency=org.other_agency)  # Hampden's application is never offered to Springfield
    fall = add_cohort(org, "2026 fall cohort", date(2027, 9, 14), None)
    login(org.staff)
    page = client.get(f"{BASE}/mine").get_data(as_text=True)
    assert copy_options(page) == ["Start from our 2026 spring cohort application"]
    r = client.post(f"{BASE}/new", data={"cohort_id": fall.id, "copy_from": source.id})
    assert r.status_code == 302
    new = db.session.execute(sa.select(Application).where(Application.cohort_id == fall.id)).scalar_one()
    # answers copied
    assert (new.contact_name, new.clinical_staff_total, new.service_types) == ("Sandra Pike", 30, ["outpatient"])
    assert [s.name for s in new.supervisors] == ["Dana Whitfield"]
    assert [(c.name, c.clinic_id, c.supervisor.name) for c in new.clinicians] == [
        ("Clinician 1", org.clinics[0].id, "Dana Whitfield"), ("Clinician 2", org.clinics[1].id, "Dana Whitfield")]
    assert new.supervisors[0].id != source.supervisors[0].id  # new rows, the old application untouched
    assert [c.supervisor_id for c in source.clinicians] == [source.supervisors[0].id] * 2
    # not copied: status, acknowledgement/signature, notes/decisions, eligibility inputs
    assert new.status == "draft" and new.submitted_at is None
    assert (source.ack_didactic, source.signature_name) == (True, "Sandra Pike")
    assert (new.ack_didactic, new.signature_name, new.signed_on, new.signed_by_id) == (False, None, None, None)
    assert new.notes == [] and all(c.eligibility_inputs == [] for c in new.clinicians)
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "copy-forward")).scalar_one()
    assert (event.entity, event.entity_id, event.user_id) == ("readiness_application", str(new.id), org.staff.id)
    assert event.changes == {"copied_from": source.id, "from_cohort": "2026 spring cohort", "supervisors": 1,
                             "clinicians": 2}


def test_another_agencys_application_cannot_be_copied(client, login, org, make_application):
    from app.models import AuditEvent

    theirs = make_application(agency=org.other_agency)
    fall = add_cohort(org, "2026 fall cohort", date(2027, 9, 14), None)
    login(org.staff)
    assert copy_options(client.get(f"{BASE}/mine").get_data(as_text=True)) == []
    r = client.post(f"{BASE}/new", data={"cohort_id": fall.id, "copy_from": theirs.id})
    assert r.status_code == 400 and "Start from: Choose one of the listed options." in r.get_data(as_text=True)
    client.post("/auth/logout")
    login(org.admin)  # the admin sees every agency's, but may only copy an agency's own application forward
    r = client.post(f"{BASE}/new", data={"cohort_id": fall.id, "agency_id": org.agency.id, "copy_from": theirs.id})
    assert r.status_code == 400 and "must be one of Springfield Recovery Partners&#39;s own" in r.get_data(
        as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Application.id))).scalar() == 1  # nothing half-saved
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "copy-forward")).first() is None
