"""Starting an application, saving steps as a draft (whole-step and autosave), the repeating blocks, resuming in a
second sitting (also after the session ended), and field-level validation."""

import re
import time
from datetime import timedelta
from urllib.parse import unquote

import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent, Role
from readiness.application.models import (
    Application,
    ApplicationClinician,
    ApplicationSupervisor,
    TrainingCohort,
)
from tests.readiness.application.application_support import ORGANISATION

BASE = "/readiness/applications"


def start(client, org) -> Application:
    r = client.post(f"{BASE}/new", data={"cohort_id": org.cohort.id})
    assert r.status_code == 302
    application = db.session.execute(sa.select(Application)).scalar_one()
    assert r.headers["Location"].endswith(f"{BASE}/{application.id}/step/organisation")
    return application


def reload(application) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application.id)


def test_agency_staff_start_an_application_for_their_agency(client, login, org):
    login(org.staff)
    page = client.get(f"{BASE}/mine")
    assert page.status_code == 200 and b"2026 spring cohort" in page.data
    application = start(client, org)
    assert application.agency_id == org.agency.id and application.status == "draft"
    assert application.contact_email == "sandra@spr.example"  # prefilled from the account
    page = client.get(f"{BASE}/{application.id}/step/organisation").get_data(as_text=True)
    assert f'data-autosave-url="{BASE}/{application.id}/autosave/organisation"' in page
    assert '<meta name="csrf-token"' in page and "application.js" in page


def test_one_application_per_agency_and_cohort(client, login, org):
    login(org.staff)
    start(client, org)
    r = client.post(f"{BASE}/new", data={"cohort_id": org.cohort.id})
    assert r.status_code == 409
    assert "already has an application for the 2026 spring cohort (draft)" in r.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Application.id))).scalar() == 1
    r = client.post(f"{BASE}/new", data={"cohort_id": ""})
    assert r.status_code == 400 and b"Choose the training cohort" in r.data


def test_admin_starts_an_application_for_a_chosen_agency(client, login, org):
    login(org.admin)
    r = client.post(f"{BASE}/new", data={"cohort_id": org.cohort.id})
    assert r.status_code == 400 and b"Choose the agency" in r.data
    r = client.post(f"{BASE}/new", data={"cohort_id": org.cohort.id, "agency_id": org.other_agency.id})
    assert r.status_code == 302
    assert db.session.execute(sa.select(Application)).scalar_one().agency_id == org.other_agency.id


def test_whole_step_save_and_continue(client, login, org):
    login(org.staff)
    application = start(client, org)
    r = client.post(f"{BASE}/{application.id}/step/organisation", data={**ORGANISATION, "then": "continue"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/step/supervisors")
    application = reload(application)
    assert application.clinical_staff_total == 30 and application.number_being_trained == 4
    assert application.service_types == ["outpatient", "moud"]
    assert application.last_step == "organisation" and application.last_saved_by_id == org.staff.id
    page = client.get(f"{BASE}/{application.id}/step/organisation").get_data(as_text=True)
    assert 'value="30"' in page
    assert re.search(r'<input checked id="service_types-\d" name="service_types" type="checkbox" value="moud">', page)
    assert not re.search(r'<input checked [^>]*value="residential">', page)


def test_bad_input_gives_field_messages_and_saves_nothing_of_the_step(client, login, org):
    login(org.staff)
    application = start(client, org)
    bad = {**ORGANISATION, "clinical_staff_total": "5", "number_being_trained": "8",
           "parents_young_children_pct": "140", "contact_email": "sandra-at-spr", "contact_phone": "ask reception",
           "cases_per_clinician": "forty"}
    r = client.post(f"{BASE}/{application.id}/step/organisation", data=bad)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "The number being trained (8) cannot be more than the clinical staff total (5)." in page
    assert "Enter a whole number from 0 to 100." in page
    assert "Enter an email address like name@agency.org." in page
    assert "Enter a phone number of digits" in page
    assert "Enter a whole number, e.g. 12." in page
    assert "Please correct 5 fields" in page
    assert 'value="ask reception"' in page  # what was typed is shown again
    application = reload(application)
    assert application.clinical_staff_total is None and application.client_population is None
    assert application.last_saved_at is None


def test_autosave_saves_valid_fields_and_reports_invalid_ones(client, login, org):
    login(org.staff)
    application = start(client, org)
    url = f"{BASE}/{application.id}/autosave/organisation"
    r = client.post(url, data={"clinical_staff_total": "12", "client_population": "Mothers in recovery"})
    assert r.status_code == 200 and r.json["ok"] and r.json["saved"] == ["client_population", "clinical_staff_total"]
    application = reload(application)
    assert application.clinical_staff_total == 12 and application.contact_email == "sandra@spr.example"  # untouched
    r = client.post(url, data={"number_being_trained": "20", "cases_per_clinician": "35",
                               "contact_email": "nope"})
    assert r.status_code == 400 and not r.json["ok"]
    assert r.json["errors"] == {
        "number_being_trained": "The number being trained (20) cannot be more than the clinical staff total (12).",
        "contact_email": "Enter an email address like name@agency.org."}
    assert r.json["saved"] == ["cases_per_clinician"]
    application = reload(application)
    assert application.number_being_trained is None and application.cases_per_clinician == 35
    assert application.contact_email == "sandra@spr.example"
    # lowering the total below the saved number being trained is refused on the total
    client.post(url, data={"number_being_trained": "10"})
    r = client.post(url, data={"clinical_staff_total": "8"})
    assert r.status_code == 400 and "cannot be more than the clinical staff total (8)" in r.json["errors"][
        "clinical_staff_total"]
    assert reload(application).clinical_staff_total == 12


def test_autosave_clears_unticked_checkboxes_named_in_fields(client, login, org):
    login(org.staff)
    application = start(client, org)
    url = f"{BASE}/{application.id}/autosave/organisation"
    client.post(url, data={"service_types": ["", "outpatient", "residential"]})
    assert reload(application).service_types == ["outpatient", "residential"]
    client.post(url, data={"service_types": "", "_fields": "service_types contact_name"})
    assert reload(application).service_types == []
    r = client.post(url, data={"service_types": ["outpatient", "spa"]})
    assert r.status_code == 400 and "spa" in r.json["errors"]["service_types"]


def test_acknowledgement_step_records_the_signer(client, login, org):
    login(org.staff)
    application = start(client, org)
    r = client.post(f"{BASE}/{application.id}/step/acknowledgement",
                    data={"ack_didactic": "y", "ack_supervision": "y", "signature_name": "Sandra Pike",
                          "signed_on": "2099-01-01"})
    assert r.status_code == 400 and b"not in the future" in r.data
    r = client.post(f"{BASE}/{application.id}/step/acknowledgement",
                    data={"ack_didactic": "y", "ack_supervision": "y", "signature_name": "Sandra Pike",
                          "signature_title": "Director", "signed_on": "2026-01-05", "then": "continue"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/step/review")
    application = reload(application)
    assert application.ack_didactic and application.ack_supervision and not application.ack_recording
    assert application.signed_by_id == org.staff.id and str(application.signed_on) == "2026-01-05"
    # autosave of the ticked boxes: an unticked box is cleared because _fields names it
    client.post(f"{BASE}/{application.id}/autosave/acknowledgement",
                data={"ack_didactic": "y", "_fields": "ack_didactic ack_supervision"})
    application = reload(application)
    assert application.ack_didactic and not application.ack_supervision


def test_supervisors_and_clinicians_add_edit_remove(client, login, org):
    login(org.staff)
    application = start(client, org)
    r = client.post(f"{BASE}/{application.id}/supervisors/new",
                    data={"name": "Dana Whitfield", "email": "dana@spr.example", "clinic_id": "",
                          "comfort_attachment": "very", "experience": "Ten years"})
    assert r.status_code == 302
    supervisor = db.session.execute(sa.select(ApplicationSupervisor)).scalar_one()
    assert supervisor.clinic_id is None  # all clinics
    page = client.get(f"{BASE}/{application.id}/step/clinicians").get_data(as_text=True)
    assert "Dana Whitfield" in page and "SPR-1 Main Street" in page and "Holyoke" not in page
    r = client.post(f"{BASE}/{application.id}/clinicians/new",
                    data={"name": "Rosa Delgado", "clinic_id": org.clinics[0].id, "email": "rosa@spr.example",
                          "supervisor_id": supervisor.id, "then": "another"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/clinicians/new")
    client.post(f"{BASE}/{application.id}/clinicians/new", data={"name": "Kim Tran", "clinic_id": org.clinics[1].id})
    rosa, kim = db.session.execute(sa.select(ApplicationClinician).order_by(ApplicationClinician.id)).scalars()
    assert rosa.supervisor_id == supervisor.id and kim.clinic_id == org.clinics[1].id
    r = client.post(f"{BASE}/{application.id}/clinicians/{kim.id}/edit",
                    data={"name": "Kim Tran", "clinic_id": org.clinics[0].id, "phone": "(413) 555-0199"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApplicationClinician, kim.id).clinic_id == org.clinics[0].id
    r = client.post(f"{BASE}/{application.id}/clinicians/{kim.id}/delete")
    assert r.status_code == 302
    assert [c.name for c in db.session.execute(sa.select(ApplicationClinician)).scalars()] == ["Rosa Delgado"]
    events = db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.entity == "application_clinician")
                                .order_by(AuditEvent.id)).scalars().all()
    assert events == ["create", "create", "update", "delete"]


def test_row_validation(client, login, org):
    login(org.staff)
    application = start(client, org)
    r = client.post(f"{BASE}/{application.id}/clinicians/new",
                    data={"name": "", "clinic_id": org.other_clinic.id, "email": "x@", "phone": "12"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Enter the clinician&#39;s name; a clinician is saved once it has a name." in page
    assert "Choose one of the listed options." in page  # another agency's clinic is not offered
    assert "Enter an email address" in page and "Enter a phone number" in page
    assert db.session.execute(sa.select(sa.func.count(ApplicationClinician.id))).scalar() == 0


def test_row_autosave_creates_the_row_once_it_has_a_name(client, login, org):
    login(org.staff)
    application = start(client, org)
    r = client.post(f"{BASE}/{application.id}/clinicians/autosave", data={"email": "rosa@spr.example", "name": ""})
    assert r.status_code == 400 and "name" in r.json["errors"]
    assert db.session.execute(sa.select(sa.func.count(ApplicationClinician.id))).scalar() == 0
    r = client.post(f"{BASE}/{application.id}/clinicians/autosave",
                    data={"name": "Rosa Delgado", "email": "rosa@spr.example", "phone": "bad"})
    assert r.status_code == 400 and r.json["errors"] == {
        "phone": "Enter a phone number of digits, spaces, +, -, ( ) only, e.g. (413) 555-0100."}
    clinician = db.session.execute(sa.select(ApplicationClinician)).scalar_one()
    assert r.json["row_id"] == clinician.id and r.json["edit_url"].endswith(f"/clinicians/{clinician.id}/edit")
    assert r.json["storage_key"] == f"mio-application:{org.staff.id}:{application.id}:clinicians:{clinician.id}"
    r = client.post(r.json["autosave_url"], data={"phone": "(413) 555-0100"})
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(ApplicationClinician, clinician.id).phone == "(413) 555-0100"
    r = client.post(f"{BASE}/{application.id}/clinicians/{clinician.id}/autosave", data={"name": "  "})
    assert r.status_code == 400 and "name" in r.json["errors"]


def test_second_sitting_by_a_colleague_resumes_the_draft(client, login, org):
    login(org.staff)
    application = start(client, org)
    client.post(f"{BASE}/{application.id}/autosave/organisation",
                data={"clinical_staff_total": "30", "supervision_model": "Weekly reflective supervision"})
    client.post(f"{BASE}/{application.id}/supervisors/new", data={"name": "Dana Whitfield"})
    client.post("/auth/logout")
    login(org.staff2)  # later, a colleague at the same agency
    mine = client.get(f"{BASE}/mine").get_data(as_text=True)
    assert "Resume" in mine and "Sandra Pike" in mine and f"{BASE}/{application.id}/step/supervisors" in mine
    page = client.get(f"{BASE}/{application.id}/step/organisation").get_data(as_text=True)
    assert "Weekly reflective supervision" in page and 'value="30"' in page
    assert "Dana Whitfield" in client.get(f"{BASE}/{application.id}/step/supervisors").get_data(as_text=True)
    client.post(f"{BASE}/{application.id}/autosave/organisation", data={"number_being_trained": "6"})
    application = reload(application)
    assert application.number_being_trained == 6 and application.last_saved_by_id == org.staff2.id


def test_session_expired_sign_in_returns_to_the_step_with_the_saved_draft(client, login, org):
    login(org.staff)
    application = start(client, org)
    step = f"{BASE}/{application.id}/step/organisation"
    client.post(f"{BASE}/{application.id}/autosave/organisation", data={"client_population": "Saved before expiry"})
    client.post("/auth/logout")  # the session is gone
    r = client.post(f"{BASE}/{application.id}/autosave/organisation", data={"client_population": "Typed after"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json["error"] == "session_expired"
    assert r.json["login_url"] == f"/auth/login?next={step}"
    r = client.get(step)
    assert r.status_code == 302 and "/auth/login?next=" in r.headers["Location"]
    r = client.post(r.headers["Location"], data={"email": org.staff.email, "password": "correct horse battery staple"})
    assert r.status_code == 302 and r.headers["Location"] == step
    page = client.get(step).get_data(as_text=True)
    assert "Saved before expiry" in page and "Typed after" not in page


def test_a_really_expired_session_also_leads_back_to_the_step(app, client, login, org):
    """The session cookie outlives its lifetime (no logout). Each request runs in its own application context, as
    in production, so no signed-in user is carried over in ``g``."""
    login(org.staff)
    application = start(client, org)
    step = f"{BASE}/{application.id}/step/organisation"
    client.post(f"{BASE}/{application.id}/autosave/organisation", data={"client_population": "Kept on the server"})
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    try:
        time.sleep(2.1)  # the signed session cookie is now older than its lifetime
        with app.app_context():
            r = client.post(f"{BASE}/{application.id}/autosave/organisation", data={"client_population": "lost?"})
            assert r.status_code == 401 and r.json["login_url"] == f"/auth/login?next={step}"
        with app.app_context():
            r = client.get(step)
            assert r.status_code == 302 and unquote(r.headers["Location"]) == f"/auth/login?next={step}"
    finally:
        app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    with app.app_context():
        r = client.post(r.headers["Location"], data={"email": org.staff.email,
                                                     "password": "correct horse battery staple"})
        assert r.headers["Location"] == step
    with app.app_context():
        page = client.get(step).get_data(as_text=True)
    assert "Kept on the server" in page and "lost?" not in page


def test_other_roles_and_agencies(client, login, org, make_application):
    theirs = make_application(agency=org.other_agency)
    login(org.staff)
    for url in (f"{BASE}/{theirs.id}", f"{BASE}/{theirs.id}/step/organisation", f"{BASE}/{theirs.id}/print",
                f"{BASE}/{theirs.id}/eligibility"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{BASE}/{theirs.id}/autosave/organisation", data={"contact_name": "x"}).status_code == 404
    assert client.post(f"{BASE}/{theirs.id}/step/organisation", data=ORGANISATION).status_code == 404
    r = client.post(f"{BASE}/new", data={"cohort_id": org.cohort.id, "agency_id": org.other_agency.id})
    assert r.status_code == 400 and b"Choose one of the listed options" in r.data  # not their agency to pick
    assert client.post(f"{BASE}/new", data={"cohort_id": org.cohort.id}).status_code == 302
    assert db.session.execute(sa.select(Application).where(Application.agency_id == org.agency.id)).scalar_one()
    assert b"Hampden" not in client.get(f"{BASE}/mine").data
    assert client.get(f"{BASE}/").status_code == 403  # the director's list
    assert client.get(f"{BASE}/{theirs.id}/step/nonsense").status_code == 404


def test_director_cannot_edit_agency_content(client, login, org, make_application):
    application = make_application()
    login(org.director)
    assert client.get(f"{BASE}/{application.id}/step/organisation").status_code == 403
    r = client.post(f"{BASE}/{application.id}/autosave/organisation", data={"contact_name": "x"})
    assert r.status_code == 403 and r.json["error"] == "forbidden"


def test_nav_items(client, login, org, fast_user):
    login(org.staff)
    home = client.get("/").get_data(as_text=True)
    assert f'href="{BASE}/mine">Application<' in home and f'href="{BASE}/">Applications<' not in home
    client.post("/auth/logout")
    login(org.director)
    home = client.get("/").get_data(as_text=True)
    assert f'href="{BASE}/">Applications<' in home and f'href="{BASE}/mine">Application<' not in home
    client.post("/auth/logout")
    login(fast_user(Role.TRIAL_STAFF, agency=org.agency))
    assert b"Application" not in client.get("/").data


def test_no_open_cohort(client, login, org):
    db.session.delete(db.session.get(TrainingCohort, org.cohort.id))
    db.session.commit()
    login(org.staff)
    assert b"No training cohort is open yet" in client.get(f"{BASE}/mine").data


def test_removing_a_supervisor_clears_the_references_in_the_audit_trail(client, login, org, make_application):
    application = make_application(clinicians=2, inputs={"supervisor_judges_capable": True})
    supervisor = application.supervisors[0]
    login(org.staff)
    r = client.post(f"{BASE}/{application.id}/supervisors/{supervisor.id}/delete")
    assert r.status_code == 302
    application = reload(application)
    assert application.supervisors == []
    assert [c.supervisor_id for c in application.clinicians] == [None, None]
    assert all(i.supervisor_id is None for c in application.clinicians for i in c.eligibility_inputs)
    updates = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "application_clinician",
                                                             AuditEvent.action == "update")).scalars().all()
    assert len(updates) == 2 and all(e.changes["supervisor_id"]["new"] is None for e in updates)


def test_successful_whole_form_saves_are_listed_for_the_browser_copy(client, login, org):
    """application.js keeps a copy of the fields in the browser and names each whole-form save with an id; the
    next page lists the ids of saves that succeeded (``data-saved-submits``) so the copy is dropped instead of
    offered for restoring (which re-added the supervisor). Failed saves and malformed ids are not listed."""
    login(org.staff)
    application = start(client, org)
    r = client.post(f"{BASE}/{application.id}/supervisors/new",
                    data={"name": "Rosa Delgado", "email": "rosa@spr.example", "then": "list",
                          "_submit_id": "lq3x9abc12"})
    assert r.status_code == 302
    r = client.post(f"{BASE}/{application.id}/clinicians/new",
                    data={"name": "Tom Keller", "email": "not-an-email", "_submit_id": "failedsave1"})
    assert r.status_code == 400
    r = client.post(f"{BASE}/{application.id}/step/organisation",
                    data={**ORGANISATION, "then": "stay", "_submit_id": "<b>x</b>"})
    assert r.status_code == 302
    r = client.post(f"{BASE}/{application.id}/step/organisation",
                    data={**ORGANISATION, "then": "stay", "_submit_id": "org-save-2"})
    assert r.status_code == 302
    page = client.get(f"{BASE}/{application.id}/step/supervisors").get_data(as_text=True)
    assert 'data-saved-submits="lq3x9abc12 org-save-2"' in page
    assert "failedsave1" not in page and "&lt;b&gt;" not in page
