import re

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


# --- the people list: 50 a page, filters, refusals, scoping --------------------------------------------------------

PERSON_ROW = re.compile(r'href="/admin/people/(\d+)/edit"')


def _people_world(create_agency, create_clinic):
    """Agency AAA: clinic AAA-1 with 60 active counselors and 3 supervisors (one inactive), AAA-2 with 5 counselors
    (2 inactive, one Rosa Diaz); agency BBB: clinic BBB-1 with 4 counselors (one Rosa Bianchi). 72 people."""
    a, b = create_agency(name="Alpha", code="AAA"), create_agency(name="Beta", code="BBB")
    a1, a2, b1 = create_clinic(a, code="AAA-1"), create_clinic(a, code="AAA-2"), create_clinic(b, code="BBB-1")
    people = [Person(clinic=a1, kind="counselor", display_name=f"Counselor {n:02d}") for n in range(1, 61)]
    people += [Person(clinic=a1, kind="supervisor", display_name=f"Supervisor {n}", active=n != 3) for n in (1, 2, 3)]
    people += [Person(clinic=a2, kind="counselor", display_name=name, active=n < 3)
               for n, name in enumerate(("Rosa Diaz", "Sam Lee", "Kim Park", "Lou Hart", "Ann Ray"))]
    people += [Person(clinic=b1, kind="counselor", display_name=name)
               for name in ("Rosa Bianchi", "Bo Chan", "Cy Dunn", "Di Eve")]
    db.session.add_all(people)
    db.session.commit()
    return a1, b1


def _people(client, query: str = "") -> tuple[str, list[int]]:
    response = client.get(f"/admin/people?{query}")
    assert response.status_code == 200, (query, response.status_code)
    page = response.get_data(as_text=True)
    return page, [int(i) for i in PERSON_ROW.findall(page)]


def test_people_list_pages_fifty_at_a_time(client, create_user, create_agency, create_clinic, login):
    _people_world(create_agency, create_clinic)
    login(create_user(Role.DIRECTOR))
    first, first_ids = _people(client)
    assert len(first_ids) == 50 and "Rows 1–50 of 72, page 1 of 2" in first
    assert 'href="/admin/people?page=2" rel="next"' in first
    second, second_ids = _people(client, "page=2")
    assert len(second_ids) == 22 and "Rows 51–72 of 72, page 2 of 2" in second
    assert not set(first_ids) & set(second_ids)
    assert len(set(first_ids) | set(second_ids)) == db.session.execute(sa.select(sa.func.count(Person.id))).scalar()
    past_end, past_ids = _people(client, "page=9")  # clamped to the last page
    assert "Rows 51–72 of 72" in past_end and past_ids == second_ids
    for bad in ("abc", "0", "-2"):
        response = client.get(f"/admin/people?page={bad}")
        assert response.status_code == 400
        assert f"The “page” filter: “{bad}” is not a page number" in response.get_data(as_text=True)


def test_people_filters_by_agency_clinic_kind_active_and_name(client, create_user, create_agency, create_clinic,
                                                              login):
    _people_world(create_agency, create_clinic)
    login(create_user(Role.DIRECTOR))
    counts = {  # by hand from _people_world
        "agency=AAA": 68, "agency=BBB": 4, "clinic=AAA-2": 5, "kind=supervisor": 3, "kind=counselor": 69,
        "active=no": 3, "active=yes": 69, "q=rosa": 2, "q=ROSA&agency=AAA": 1, "q=%25": 0,
        "clinic=AAA-1&kind=supervisor&active=yes": 2, "agency=BBB&clinic=AAA-1": 0,
    }
    for query, expected in counts.items():
        page, ids = _people(client, query)
        assert len(ids) == min(expected, 50), query
        assert (f"of {expected}," in page or f"of {expected}<" in page) if expected else "No rows" in page, query
    page, _ = _people(client, "agency=AAA&kind=counselor")
    # the pager keeps the filters; the agency's clinics only are offered
    assert 'href="/admin/people?page=2&amp;agency=AAA&amp;kind=counselor" rel="next"' in page
    assert 'href="/admin/people?page=2&amp;agency=AAA&amp;kind=counselor">Last' in page
    assert '<option value="AAA-2">' in page and '<option value="BBB-1">' not in page
    assert '<option value="AAA" selected>' in page and '<option value="counselor" selected>' in page
    for query, name in (("clinic=ZZZ-9", "clinic"), ("agency=ZZZ", "agency"), ("kind=mother", "kind"),
                        ("active=maybe", "active"), ("q=" + "x" * 101, "q")):
        response = client.get(f"/admin/people?{query}")
        assert response.status_code == 400, query
        assert f"The “{name}” filter" in response.get_data(as_text=True), query


def test_people_filters_are_scoped_to_the_staff_users_agency(client, create_user, create_agency, create_clinic,
                                                             login):
    a1, b1 = _people_world(create_agency, create_clinic)
    login(create_user(Role.AGENCY_STAFF, agency=a1.agency))
    page, ids = _people(client)
    assert "Rows 1–50 of 68" in page and 'id="f-agency"' not in page and "BBB-1" not in page
    assert _people(client, "clinic=AAA-2")[1] and len(_people(client, "q=rosa")[1]) == 1  # only their Rosa

    def refusal(query):
        response = client.get(f"/admin/people?{query}")
        assert response.status_code == 400
        return response.get_data(as_text=True)

    # another agency's clinic or agency reads exactly like one that does not exist
    assert refusal("clinic=BBB-1") == refusal("clinic=NOPE-1").replace("NOPE-1", "BBB-1")
    assert refusal("agency=BBB") == refusal("agency=NOP").replace("NOP", "BBB")
    assert "not a known clinic code" in refusal("clinic=BBB-1")


def test_deleting_a_person_returns_to_the_same_filtered_page(client, create_user, create_agency, create_clinic,
                                                             login):
    _people_world(create_agency, create_clinic)
    login(create_user(Role.ADMIN))
    _, ids = _people(client, "kind=counselor&page=2")
    response = client.post(f"/admin/people/{ids[0]}/delete?kind=counselor&page=2&evil=x")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/people?kind=counselor&page=2")
    assert db.session.get(Person, ids[0]) is None
