"""Who sees what: agency staff, trial staff and fidelity coders never see transcripts (403 on every qualitative
page); non-members get 404; directors read every project but cannot change it; privileges gate writes."""

from __future__ import annotations

import pytest
from flask import url_for

from app.db import db
from qualitative.models import Coding, Memo, Participant

PLAIN = b"Interviewer: How is it going?\n\nCounselor: Supervision helps a lot with the recordings.\n"


@pytest.fixture
def world(project, import_text, people, code_id):
    document = import_text("talk.txt", PLAIN)
    coding = Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["manager"].id, start=40, end=60)
    memo = Memo(project_id=project.id, target_type="document", target_id=document.id, author_id=people["manager"].id,
                text="A memo")
    participant = Participant(project_id=project.id, clinic_id=document.clinic_id, pseudonym="SPR-1 counselor 1",
                              cfir_role="IV.ROLE.H")
    db.session.add_all([coding, memo, participant])
    db.session.commit()
    participant_id = participant.id
    return {"qual_project_id": project.id, "document_id": document.id, "coding_id": coding.id, "memo_id": memo.id,
            "code_id": code_id("III.K"), "participant_id": participant_id, "project_member_id": 1, "version": 1,
            "job_id": "x"}


def _qualitative_routes(app, ids):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("qualitative.") or rule.endpoint == "qualitative.static":
            continue
        values = {arg: ids.get(arg) or 1 for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


@pytest.mark.parametrize("role", ["agency_staff", "trial_staff", "fidelity_coder"])
def test_barred_roles_get_403_on_every_qualitative_page(app, client, login, people, world, role):
    login(people[role])
    routes = list(_qualitative_routes(app, world))
    assert len(routes) > 35
    for endpoint, method, url in routes:
        response = client.open(url, method=method, json={} if method != "GET" else None)
        assert response.status_code == 403, f"{method} {url} ({endpoint}) -> {response.status_code}"


def test_barred_roles_do_not_get_the_navigation_item(client, login, people, world):
    login(people["agency_staff"])
    assert b"/qualitative/" not in client.get("/").data
    client.post("/auth/logout")
    login(people["manager"])
    assert b"/qualitative/" in client.get("/").data


def test_non_member_gets_404_on_project_pages(app, client, login, people, world):
    login(people["outsider"])
    checked = 0
    for endpoint, method, url in _qualitative_routes(app, world):
        if endpoint in ("qualitative.projects", "qualitative.project_new"):
            continue
        response = client.open(url, method=method, json={} if method != "GET" else None)
        assert response.status_code == 404, f"{method} {url} ({endpoint}) -> {response.status_code}"
        checked += 1
    assert checked > 30
    assert b"MIO interviews" not in client.get("/qualitative/").data


def test_director_reads_every_project_but_cannot_change_it(client, login, people, world):
    login(people["director"])
    assert b"MIO interviews" in client.get("/qualitative/").data
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}").status_code == 200
    assert client.get(f"/qualitative/documents/{world['document_id']}").status_code == 200
    assert client.get(f"/qualitative/documents/{world['document_id']}/codings.json").status_code == 200
    response = client.post(f"/qualitative/documents/{world['document_id']}/codings",
                           json={"turn_id": 1, "start": 0, "end": 3, "code_ids": [world["code_id"]]})
    assert response.status_code == 403
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}/upload").status_code == 403
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}/members").status_code == 403


def test_read_privilege_reads_but_cannot_code_or_manage(client, login, people, world):
    login(people["reader"])
    assert client.get(f"/qualitative/documents/{world['document_id']}").status_code == 200
    assert client.get(f"/qualitative/documents/{world['document_id']}/codings/new").status_code == 403
    assert client.get(f"/qualitative/documents/{world['document_id']}/deidentify").status_code == 403
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}/codes/new").status_code == 403


def test_code_privilege_codes_but_cannot_manage(client, login, people, world):
    login(people["coder"])
    assert client.get(f"/qualitative/documents/{world['document_id']}/codings/new").status_code == 200
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}/upload").status_code == 200
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}/members").status_code == 403
    assert client.post(f"/qualitative/documents/{world['document_id']}/delete").status_code == 403
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}/codebook/import").status_code == 403


def test_admin_manages_every_project(client, login, people, world):
    login(people["admin"])
    assert client.get(f"/qualitative/projects/{world['qual_project_id']}/members").status_code == 200


def test_manager_opens_every_page(app, client, login, people, world, project):
    """Every GET page of the workspace renders for a manager (templates and queries work)."""
    from qualitative.models import ProjectMember

    world = dict(world, project_member_id=db.session.execute(
        db.select(ProjectMember.id).where(ProjectMember.project_id == project.id)).scalars().first())
    # a recording attached, so its player route (and the workspace's player) answer as well
    import io

    from qualitative.models import Document
    from qualitative.workspace.services import recordings
    from tests.qualitative.workspace.test_ws_recording import WAV
    recordings.attach(db.session.get(Document, world["document_id"]), io.BytesIO(WAV), "i.wav", "audio/wav")
    login(people["manager"])
    checked = 0
    for endpoint, method, url in _qualitative_routes(app, world):
        if method != "GET":
            continue
        response = client.get(url)
        assert response.status_code == 200, f"GET {url} ({endpoint}) -> {response.status_code}"
        assert b'style="' not in response.data, f"{url} has an inline style attribute (CSP)"
        assert b"<script>" not in response.data, f"{url} has an inline script (CSP)"
        checked += 1
    assert checked >= 20
