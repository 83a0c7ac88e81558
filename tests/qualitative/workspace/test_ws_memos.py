"""Memos on the project, a transcript, a code, a coding and a clinic; only the author edits or deletes."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from qualitative.models import Coding, Memo


def test_memos_on_each_target(client, login, people, project, import_text, code_id, org):
    document = import_text("a.txt", b"Interviewer: Hi.\n\nSupervisor: Hello there.\n")
    coding = Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["coder"].id,
                    start=document.turns[1].start, end=document.turns[1].end)
    db.session.add(coding)
    db.session.commit()
    login(people["coder"])
    url = f"/qualitative/projects/{project.id}/memos"
    targets = [("project", ""), ("document", document.id), ("code", code_id("III.K")), ("coding", coding.id),
               ("clinic", org["clinic"].id)]
    for target_type, target_id in targets:
        response = client.post(url, data={"target_type": target_type, "target_id": target_id,
                                          "title": f"On the {target_type}", "text": "Thoughts.",
                                          "next": f"/qualitative/documents/{document.id}"})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/documents/{document.id}")
    assert db.session.execute(sa.select(sa.func.count(Memo.id))).scalar() == 5
    page = client.get(url).data.decode()
    assert "Coding: III.K Access to Knowledge &amp; Information on “Hello there.” in a" in page
    assert "Clinic: SPR-1 Main Street Outpatient" in page
    only_codings = client.get(f"{url}?target_type=coding&target_id={coding.id}").data.decode()
    assert "On the coding" in only_codings and "On the project" not in only_codings
    workspace = client.get(f"/qualitative/documents/{document.id}").data.decode()
    assert "On the document" in workspace and "1 memo" in workspace
    # errors and safety
    assert client.post(url, data={"target_type": "coding", "target_id": 99999, "text": "x"}).status_code == 400
    assert client.post(url, data={"target_type": "document", "target_id": document.id, "text": ""}).status_code == 400
    outside = client.post(url, data={"target_type": "project", "text": "x", "next": "https://evil.example/"})
    assert outside.headers["Location"].endswith(f"/projects/{project.id}/memos")


def test_only_the_author_edits_or_deletes(client, login, people, project):
    memo = Memo(project_id=project.id, target_type="project", author_id=people["manager"].id, text="Mine")
    db.session.add(memo)
    db.session.commit()
    login(people["coder"])
    assert client.get(f"/qualitative/memos/{memo.id}/edit").status_code == 403
    assert client.post(f"/qualitative/memos/{memo.id}/delete").status_code == 403
    client.post("/auth/logout")
    login(people["manager"])
    assert client.post(f"/qualitative/memos/{memo.id}/edit", data={"title": "T", "text": "Changed"}).status_code == 302
    db.session.refresh(memo)
    assert memo.text == "Changed"
    assert client.post(f"/qualitative/memos/{memo.id}/delete").status_code == 302
    assert db.session.get(Memo, memo.id) is None


def test_deleting_a_coding_deletes_its_memos(client, login, people, project, import_text, code_id):
    document = import_text("a.txt", b"Interviewer: Hi.\n\nSupervisor: Hello there.\n")
    coding = Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["coder"].id,
                    start=document.turns[1].start, end=document.turns[1].end)
    db.session.add(coding)
    db.session.flush()
    db.session.add(Memo(project_id=project.id, target_type="coding", target_id=coding.id,
                        author_id=people["coder"].id, text="why"))
    db.session.commit()
    login(people["coder"])
    assert client.post(f"/qualitative/codings/{coding.id}/delete", json={"version": 1}).status_code == 200
    assert not db.session.execute(sa.select(Memo)).first()
