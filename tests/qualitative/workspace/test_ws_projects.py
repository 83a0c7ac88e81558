"""Projects and members through the pages: create (CFIR preloaded), list, edit, add/change/remove members with at
least one manager kept; and participants with speaker mapping."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from app.models import Role
from qualitative.models import Code, DocumentTurn, Participant, ProjectMember, QualProject


def test_analyst_creates_a_project_and_becomes_its_manager(client, login, people):
    login(people["manager"])
    response = client.post("/qualitative/projects/new", data={"name": "Exit interviews", "description": "Wave 2"})
    assert response.status_code == 302
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == "Exit interviews")).scalar_one()
    member = db.session.execute(sa.select(ProjectMember).where(ProjectMember.project_id == project.id)).scalar_one()
    assert (member.user_id, member.privilege) == (people["manager"].id, "manage")
    count = db.session.execute(sa.select(sa.func.count(Code.id)).where(Code.project_id == project.id)).scalar()
    assert count == 74
    page = client.get(response.headers["Location"]).data.decode()
    assert "Exit interviews" in page and "codebook version 1" in page
    again = client.post("/qualitative/projects/new", data={"name": "exit interviews"})
    assert again.status_code == 400 and "already exists" in again.data.decode()
    blank = client.post("/qualitative/projects/new", data={"name": ""})
    assert blank.status_code == 400


def test_project_list_shows_only_visible_projects(client, login, people, project):
    login(people["coder"])
    page = client.get("/qualitative/").data.decode()
    assert "MIO interviews" in page and "Code" in page
    client.post("/auth/logout")
    login(people["outsider"])
    assert "MIO interviews" not in client.get("/qualitative/").data.decode()


def test_members_add_change_remove_and_keep_a_manager(client, login, people, project, factories):
    login(people["manager"])
    url = f"/qualitative/projects/{project.id}/members"
    page = client.get(url).data.decode()
    assert "Olly Outsider" in page and people["agency_staff"].email not in page  # barred roles are not offered
    assert client.post(url, data={"user_id": people["outsider"].id, "privilege": "read"}).status_code == 302
    member = db.session.execute(sa.select(ProjectMember).where(ProjectMember.user_id == people["outsider"].id)).scalar_one()
    assert member.privilege == "read"
    twice = client.post(url, data={"user_id": people["outsider"].id, "privilege": "read"})
    assert twice.status_code == 400
    client.post(f"{url}/{member.id}", data={f"m{member.id}-privilege": "code"})
    db.session.refresh(member)
    assert member.privilege == "code"
    client.post(f"{url}/{member.id}/remove")
    assert db.session.get(ProjectMember, member.id) is None
    # the only manager cannot step down or leave
    manager = db.session.execute(sa.select(ProjectMember).where(ProjectMember.user_id == people["manager"].id)).scalar_one()
    response = client.post(f"{url}/{manager.id}", data={f"m{manager.id}-privilege": "read"}, follow_redirects=True)
    assert "at least one manager" in response.data.decode()
    db.session.refresh(manager)
    assert manager.privilege == "manage"
    client.post(f"{url}/{manager.id}/remove")
    assert db.session.get(ProjectMember, manager.id) is not None
    staff = factories.user(Role.TRIAL_STAFF)
    refused = client.post(url, data={"user_id": staff.id, "privilege": "read"})
    assert refused.status_code == 400


def test_edit_project(client, login, people, project):
    login(people["manager"])
    response = client.post(f"/qualitative/projects/{project.id}/edit", data={"name": "Renamed", "description": "x"})
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.name == "Renamed"


def test_speaker_mapping_creates_and_reuses_participants(client, login, people, project, import_text, org):
    first = import_text("a.txt", b"Interviewer: Hi.\n\nSupervisor: Hello.\n\nInterviewer: More?\n\nSupervisor: Yes.\n")
    second = import_text("b.txt", b"Facilitator: Hi.\n\nSupervisor: Again.\n")
    login(people["coder"])
    url = f"/qualitative/documents/{first.id}/speakers"
    page = client.get(url).data.decode()
    assert "SPR-1 Supervisor" in page and "IV.B Mid-level Leaders" in page  # suggested pseudonym, CFIR roles
    # labels in order of first appearance: Interviewer (0), Supervisor (1)
    response = client.post(url, data={"choice-0": "", "choice-1": "new", "pseudonym-1": "SPR-1 supervisor",
                                      "role-1": "IV.ROLE.B", "clinic-1": org["clinic"].id})
    assert response.status_code == 302
    participant = db.session.execute(sa.select(Participant)).scalar_one()
    assert (participant.pseudonym, participant.cfir_role) == ("SPR-1 supervisor", "IV.ROLE.B")
    turns = db.session.execute(sa.select(DocumentTurn).where(DocumentTurn.document_id == first.id)
                               .order_by(DocumentTurn.index)).scalars().all()
    assert [t.participant_id for t in turns] == [None, participant.id, None, participant.id]
    # the same person in another transcript: choose the existing participant
    response = client.post(f"/qualitative/documents/{second.id}/speakers",
                           data={"choice-0": "", "choice-1": str(participant.id)})
    assert response.status_code == 302
    listing = client.get(f"/qualitative/projects/{project.id}/participants").data.decode()
    assert "SPR-1 supervisor" in listing and "IV.B Mid-level Leaders" in listing
    # errors: a taken pseudonym, an unknown role; nothing is written
    clash = client.post(f"/qualitative/documents/{second.id}/speakers",
                        data={"choice-0": "new", "pseudonym-0": "spr-1 SUPERVISOR", "role-0": ""})
    assert clash.status_code == 400 and "already used" in clash.data.decode()
    bad_role = client.post(f"/qualitative/documents/{second.id}/speakers",
                           data={"choice-0": "new", "pseudonym-0": "New one", "role-0": "IV.ROLE.Z"})
    assert bad_role.status_code == 400 and "not a CFIR 2.0 role" in bad_role.data.decode()
    assert db.session.execute(sa.select(sa.func.count(Participant.id))).scalar() == 1


def test_participant_pages(client, login, people, project, org):
    login(people["coder"])
    url = f"/qualitative/projects/{project.id}/participants"
    response = client.post(url, data={"pseudonym": "HFR-2 counselor 9", "clinic_id": org["clinic"].id,
                                      "cfir_role": "IV.ROLE.H", "description": "Joined in spring"})
    assert response.status_code == 302
    participant = db.session.execute(sa.select(Participant)).scalar_one()
    edit = f"/qualitative/participants/{participant.id}/edit"
    response = client.post(edit, data={"pseudonym": "HFR-2 counselor 8", "clinic_id": org["clinic"].id,
                                       "cfir_role": "IV.ROLE.C"})
    assert response.status_code == 302
    db.session.refresh(participant)
    assert (participant.pseudonym, participant.cfir_role) == ("HFR-2 counselor 8", "IV.ROLE.C")
    missing = client.post(url, data={"pseudonym": "", "clinic_id": "0"})
    assert missing.status_code == 400
    # a description that identifies the person (issue 14.4: participant free text through the detector) is refused,
    # on creation and on edit, and nothing is saved
    for address, data in ((url, {"pseudonym": "HFR-2 counselor 7", "clinic_id": org["clinic"].id,
                                 "description": "lives at 42 Elm Street, call 413-555-0199"}),
                          (edit, {"pseudonym": "HFR-2 counselor 6", "clinic_id": org["clinic"].id,
                                  "description": "born 03/14/1990"})):
        refused = client.post(address, data=data)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 400 and "Description holds what looks like an identifier" in page, address
    db.session.expire_all()
    assert db.session.execute(sa.select(Participant.pseudonym)).scalars().all() == ["HFR-2 counselor 8"]
    assert db.session.execute(sa.select(Participant.description)).scalar_one() == "Joined in spring"


def test_document_attributes_and_delete(client, login, people, project, import_text, org, code_id):
    from qualitative.models import Coding, Document

    document = import_text("a.txt", b"Interviewer: Hi.\n\nSupervisor: Hello.\n")
    other = import_text("b.txt", b"Interviewer: Hi.\n\nSupervisor: Hello.\n")
    db.session.add(Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["coder"].id,
                          start=document.turns[1].start, end=document.turns[1].end))
    db.session.commit()
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/edit"
    response = client.post(url, data={"name": "SPR-1 supervisor", "kind": "focus-group", "clinic_id": org["clinic"].id,
                                      "interview_date": "2026-05-04", "interviewer": "RS"})
    assert response.status_code == 302
    db.session.refresh(document)
    assert (document.name, document.kind, str(document.interview_date), document.interviewer) == (
        "SPR-1 supervisor", "focus-group", "2026-05-04", "RS")
    clash = client.post(url, data={"name": other.name, "kind": "interview", "clinic_id": org["clinic"].id})
    assert clash.status_code == 400 and "already has a document" in clash.data.decode()
    assert client.post(f"/qualitative/documents/{document.id}/delete").status_code == 403  # code privilege
    client.post("/auth/logout")
    login(people["manager"])
    assert client.post(f"/qualitative/documents/{document.id}/delete").status_code == 302
    assert db.session.get(Document, document.id) is None
    assert not db.session.execute(sa.select(Coding)).first()


def test_speaker_page_defaults(client, login, people, import_text):
    from qualitative.workspace.services.participants import is_interviewer, suggested_role

    assert is_interviewer("Facilitator 2") and is_interviewer("interviewer") and not is_interviewer("Counselor A")
    assert suggested_role("Supervisor") == "IV.ROLE.B" and suggested_role("Counselor 3") == "IV.ROLE.H"
    assert suggested_role("Program director") == "IV.ROLE.A" and suggested_role("Participant 2") == ""
    document = import_text("a.txt", b"Interviewer: Hi.\n\nSupervisor: Hello.\n")
    login(people["coder"])
    page = client.get(f"/qualitative/documents/{document.id}/speakers").data.decode()
    # the interviewer is not a participant by default; the supervisor becomes a new one with a suggested role
    assert '<option value="" selected>' in page and '<option value="new" selected>' in page
    assert '<option value="IV.ROLE.B" selected>' in page
