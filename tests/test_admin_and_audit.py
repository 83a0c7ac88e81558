import sqlalchemy as sa

from app.db import db
from app.models import Agency, AuditEvent, Clinic, Person, Role, User


def test_admin_creates_agency_and_clinic_and_the_audit_trail_records_it(client, create_user, login):
    admin = create_user(Role.ADMIN, email="root@example.org")
    login(admin)
    r = client.post("/admin/agencies/new", data={"name": "Springfield Recovery Partners", "code": "SPR", "active": "y"})
    assert r.status_code == 302
    agency = db.session.execute(sa.select(Agency)).scalar_one()
    r = client.post("/admin/clinics/new", data={"agency_id": agency.id, "name": "Main Street", "code": "SPR-1"})
    assert r.status_code == 302
    clinic = db.session.execute(sa.select(Clinic)).scalar_one()
    client.post(f"/admin/clinics/{clinic.id}/edit", data={"agency_id": agency.id, "name": "Main Street Outpatient",
                                                          "code": "SPR-1"})
    events = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.entity == "clinic").order_by(AuditEvent.id)).scalars().all()
    assert [e.action for e in events] == ["create", "update"]
    assert events[0].actor == "root@example.org" and events[0].user_id == admin.id
    assert events[0].changes["code"] == {"old": None, "new": "SPR-1"}
    assert events[1].changes["name"] == {"old": "Main Street", "new": "Main Street Outpatient"}
    assert "code" not in events[1].changes and "agency_id" not in events[1].changes  # only changed fields


def test_duplicate_code_gives_field_message_and_saves_nothing(client, create_user, create_agency, login):
    create_agency(name="One", code="ONE")
    login(create_user(Role.ADMIN))
    r = client.post("/admin/agencies/new", data={"name": "Two", "code": "ONE"})
    assert r.status_code == 400
    assert "Another record already uses “ONE”".encode() in r.data
    bad = client.post("/admin/agencies/new", data={"name": "Three", "code": "bad code!"})
    assert bad.status_code == 400 and b"Use capital letters" in bad.data
    assert db.session.execute(sa.select(sa.func.count(Agency.id))).scalar() == 1


def test_user_form_binds_agency_roles(client, create_user, create_agency, login):
    agency = create_agency(code="SPR")
    login(create_user(Role.ADMIN))
    r = client.post("/admin/users/new", data={"email": "s@x.org", "name": "S", "role": "agency_staff", "agency_id": 0})
    assert r.status_code == 400 and b"must belong to an agency" in r.data
    r = client.post("/admin/users/new", data={"email": "D@X.org", "name": "D", "role": "director", "agency_id": agency.id})
    assert r.status_code == 400 and b"not bound to an agency" in r.data
    r = client.post("/admin/users/new", data={"email": "S@X.org", "name": "S", "role": "agency_staff",
                                             "agency_id": agency.id, "active": "y"}, follow_redirects=True)
    assert b"One-time password" in r.data
    user = db.session.execute(sa.select(User).where(User.email == "s@x.org")).scalar_one()
    assert user.must_change_password and user.agency_id == agency.id
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "user_account")).scalars().first()
    assert "password_hash" not in event.changes


def test_agency_staff_manage_only_their_own_people(client, create_user, create_clinic, create_person, login):
    mine = create_clinic()
    theirs = create_clinic()
    staff = create_user(Role.AGENCY_STAFF, agency=mine.agency)
    other_person = create_person(theirs, display_name="Not Yours")
    login(staff)
    page = client.get("/admin/people/new").get_data(as_text=True)
    assert mine.code in page and theirs.code not in page
    r = client.post("/admin/people/new", data={"clinic_id": theirs.id, "kind": "counselor", "display_name": "Sneaky"})
    assert r.status_code == 400 and b"Not a valid choice" in r.data
    r = client.post("/admin/people/new", data={"clinic_id": mine.id, "kind": "counselor", "display_name": "Rosa",
                                              "phone": "(413) 555-0100"})
    assert r.status_code == 302
    assert "<td>Rosa</td>" in client.get("/admin/people").get_data(as_text=True)
    assert b"Not Yours" not in client.get("/admin/people").data
    assert client.post(f"/admin/people/{other_person.id}/delete").status_code == 404
    bad = client.post("/admin/people/new", data={"clinic_id": mine.id, "kind": "counselor", "display_name": "X",
                                                "phone": "call me"})
    assert bad.status_code == 400 and b"Enter a phone number" in bad.data


def test_delete_with_dependents_is_refused_not_500(client, create_user, create_clinic, login):
    clinic = create_clinic()
    login(create_user(Role.ADMIN))
    r = client.post(f"/admin/agencies/{clinic.agency_id}/delete", follow_redirects=True)
    assert r.status_code == 200 and b"Mark it inactive instead" in r.data
    assert db.session.get(Agency, clinic.agency_id) is not None


def test_delete_is_audited_with_old_values(client, create_user, create_person, login):
    person = create_person(display_name="Leaving Counselor")
    login(create_user(Role.ADMIN))
    assert client.post(f"/admin/people/{person.id}/delete").status_code == 302
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "delete")).scalar_one()
    assert event.entity == "person" and event.changes["display_name"] == {"old": "Leaving Counselor", "new": None}
    assert db.session.get(Person, person.id) is None


def test_audit_browse_filter_and_csv(client, create_user, create_agency, login):
    director = create_user(Role.DIRECTOR)
    create_agency(name="Filter Me", code="FLT")
    login(director)
    page = client.get("/admin/audit?entity=agency&action=create").get_data(as_text=True)
    assert "Filter Me" in page
    assert "Filter Me" not in client.get("/admin/audit?entity=clinic").get_data(as_text=True)
    assert "Filter Me" not in client.get("/admin/audit?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    csv_response = client.get("/admin/audit.csv?entity=agency")
    assert csv_response.mimetype == "text/csv"
    lines = csv_response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "at_utc,actor,user_id,action,entity,entity_id,field,old,new"
    assert any(',name,null,"""Filter Me"""' in line for line in lines)


def test_audit_trail_is_for_directors_and_admins_only(client, create_user, login):
    login(create_user(Role.ANALYST))
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403


def test_rolled_back_change_leaves_no_audit_event(app_ctx, create_agency):
    agency = create_agency(name="Keep")
    before = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar()
    agency.name = "Changed then rolled back"
    db.session.flush()
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar() == before
