"""De-identification before coding: proposals reviewed through the page, manual redactions (a browser selection in
UTF-16 units, or an exact quote), apply; afterwards the original identifiers are stored nowhere in the database."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from qualitative.models import Coding, Document, RedactionProposal
from qualitative.offsets import codepoint_to_utf16

TRANSCRIPT = (
    "Interviewer: Thanks for talking with me, Maria.\n\n"
    "Maria Lopez: Sure. My supervisor Dana Whitfield calls me at 413-555-0199 or writes to maria.lopez@example.org.\n\n"
    "Interviewer: How old is your daughter?\n\n"
    "Maria Lopez: She was born on March 4, 2021. My cousin 😊 Jo-Anne watches her during sessions.\n"
).encode()
SECRETS = ["Maria", "Lopez", "413-555-0199", "maria.lopez@example.org", "March 4, 2021", "Jo-Anne", "Whitfield"]


def _all_database_text() -> dict[str, str]:
    """Every table's rows as text (JSON columns included), to search for strings that must be gone. The clinic's
    staff records (``person`` and its audit events) legitimately hold the staff member's name."""
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name == "person":
                continue
            stmt = sa.select(table)
            if table.name == "audit_event":
                stmt = stmt.where(table.c.entity != "person")
            rows = conn.execute(stmt).all()
            out[table.name] = json.dumps([[str(v) for v in row] for row in rows], ensure_ascii=False)
    return out


def _upload(client, project, org):
    response = client.post(f"/qualitative/projects/{project.id}/upload", content_type="multipart/form-data", data={
        "files": [(io.BytesIO(TRANSCRIPT), "interview 7.txt")], "clinic_id": str(org["clinic"].id), "kind": "interview"})
    assert response.status_code == 302
    return db.session.execute(sa.select(Document).where(Document.project_id == project.id)).scalar_one()


def test_review_and_apply_leaves_no_original_anywhere(client, login, people, project, org, factories, code_id):
    factories.person(org["clinic"], kind="supervisor", display_name="Dana Whitfield")
    login(people["coder"])
    document = _upload(client, project, org)
    url = f"/qualitative/documents/{document.id}/deidentify"
    assert b"Find identifiers" in client.get(url).data

    # coding is blocked until de-identification
    blocked = client.post(f"/qualitative/documents/{document.id}/codings",
                          json={"turn_id": document.turns[1].id, "start": 0, "end": 4, "code_ids": [code_id("III.K")]})
    assert blocked.status_code == 409 and "de-identified" in blocked.get_json()["error"]

    assert client.post(f"{url}/propose", data={"extra_names": ""}).status_code == 302
    proposals = {p.original: p for p in db.session.execute(
        sa.select(RedactionProposal).where(RedactionProposal.document_id == document.id)).scalars()}
    kinds = {original: p.kind for original, p in proposals.items()}
    assert kinds["Maria Lopez"] == "speaker" and proposals["Maria Lopez"].suggestion == "Participant 1"
    assert kinds["Maria"] == "participant_name" and proposals["Maria"].suggestion == "[P1]"
    assert kinds["Dana Whitfield"] == "participant_name"  # a staff member of the clinic
    assert kinds["413-555-0199"] == "phone" and kinds["maria.lopez@example.org"] == "email"
    assert kinds["March 4, 2021"] == "date_of_birth"
    page = client.get(url).data.decode()
    assert "Maria Lopez" in page and "not yet reviewed" in page

    # a manual redaction from a browser selection: UTF-16 offsets within the turn, after an astral emoji
    last_turn = document.turns[3]
    utterance = document.text[last_turn.start:last_turn.end]
    cp = utterance.index("Jo-Anne")
    start16 = codepoint_to_utf16(utterance, cp)
    assert start16 == cp + 1  # the emoji counts two UTF-16 units
    response = client.post(f"{url}/manual", json={"turn_id": last_turn.id, "start": start16, "end": start16 + 7,
                                                  "replacement": "[relative]"})
    assert response.status_code == 201, response.get_json()
    manual = db.session.get(RedactionProposal, response.get_json()["id"])
    assert manual.original == "Jo-Anne" and manual.status == "accepted"
    # a selection splitting the emoji's surrogate pair is refused
    split = client.post(f"{url}/manual", json={"turn_id": last_turn.id, "start": start16 - 2, "end": start16})
    assert split.status_code == 400 and "surrogate" in split.get_json()["error"]

    # applying with proposals still unreviewed is refused
    refused = client.post(f"{url}/apply")
    assert refused.status_code == 400 and b"not reviewed yet" in refused.data

    # review: edit one replacement, reject nothing, accept the rest
    dana = proposals["Dana Whitfield"]
    response = client.post(f"{url}/review", data={f"status-{dana.id}": "accepted",
                                                  f"replacement-{dana.id}": "[supervisor]", "action": "accept-rest"})
    assert response.status_code == 302
    response = client.post(f"{url}/apply")
    assert response.status_code == 302 and "/speakers" in response.headers["Location"]

    db.session.expire_all()
    document = db.session.get(Document, document.id)
    assert document.deidentification == "applied"
    assert "Participant 1: Sure. My supervisor [supervisor] calls me at [PHONE] or writes to [EMAIL]." in document.text
    assert "Thanks for talking with me, [P1]." in document.text
    assert "born on [DOB]. My cousin 😊 [relative] watches" in document.text
    assert [t.speaker for t in document.turns] == ["Interviewer", "Participant 1", "Interviewer", "Participant 1"]
    for turn in document.turns:  # turns still point at their utterances
        assert document.text[turn.start - len(turn.speaker) - 2:turn.start] == f"{turn.speaker}: "
    assert not db.session.execute(sa.select(RedactionProposal)).first()

    everything = _all_database_text()
    for secret in SECRETS:
        where = [table for table, text in everything.items() if secret in text]
        assert not where, f"{secret!r} is still stored in {where}"
    # the de-identification itself is in the audit trail (without the text)
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.entity == "qual_document")).scalars().all()
    assert any(e.changes.get("deidentification", {}).get("new") == "applied" for e in events)

    # now coding is open
    ok = client.post(f"/qualitative/documents/{document.id}/codings",
                     json={"turn_id": document.turns[1].id, "start": 0, "end": 4, "code_ids": [code_id("III.K")]})
    assert ok.status_code == 201


def test_manual_redaction_by_quote_every_occurrence(client, login, people, project, import_text):
    document = import_text("t.txt", b"Interviewer: Tell me about the Elm Street office.\n\nCounselor: Elm Street is small.\n",
                           deidentified=False)
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/deidentify"
    response = client.post(f"{url}/manual", data={"quote": "Elm Street", "replacement": "[place]", "every": "y"})
    assert response.status_code == 302
    rows = db.session.execute(sa.select(RedactionProposal)).scalars().all()
    assert [(r.original, r.status) for r in rows] == [("Elm Street", "accepted"), ("Elm Street", "accepted")]
    missing = client.post(f"{url}/manual", data={"quote": "Oak Avenue", "replacement": "[place]"})
    assert missing.status_code == 400 and b"does not occur" in missing.data
    assert client.post(f"{url}/apply").status_code == 302
    db.session.expire_all()
    assert db.session.get(Document, document.id).text.count("[place]") == 2


def test_rejected_proposals_keep_the_text(client, login, people, project, import_text):
    document = import_text("t.txt", b"Interviewer: Hello.\n\nCounselor: Call 413-555-0100 please.\n", deidentified=False)
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/deidentify"
    client.post(f"{url}/propose", data={})
    phone = db.session.execute(sa.select(RedactionProposal).where(RedactionProposal.kind == "phone")).scalar_one()
    client.post(f"{url}/review", data={f"status-{phone.id}": "rejected"})
    assert client.post(f"{url}/apply").status_code == 302
    db.session.expire_all()
    assert "413-555-0100" in db.session.get(Document, document.id).text


def test_bad_review_input_is_refused(client, login, people, project, import_text):
    document = import_text("t.txt", b"Interviewer: Hello.\n\nCounselor: Call 413-555-0100 please.\n", deidentified=False)
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/deidentify"
    client.post(f"{url}/propose", data={})
    phone = db.session.execute(sa.select(RedactionProposal)).scalar_one()
    response = client.post(f"{url}/review", data={f"status-{phone.id}": "maybe"})
    assert response.status_code == 400 and b"unknown decision" in response.data
    response = client.post(f"{url}/review", data={f"status-{phone.id}": "accepted", f"replacement-{phone.id}": "x" * 200})
    assert response.status_code == 400 and b"longer than 120" in response.data
    response = client.post(f"{url}/manual", json={"turn_id": document.turns[0].id, "start": 3, "end": 999})
    assert response.status_code == 400


def test_only_a_manager_can_skip_and_it_is_audited(client, login, people, project, import_text):
    document = import_text("t.txt", b"Interviewer: Hello.\n\nCounselor: Fine.\n", deidentified=False)
    login(people["coder"])
    assert client.post(f"/qualitative/documents/{document.id}/deidentify/skip").status_code == 403
    client.post("/auth/logout")
    login(people["manager"])
    response = client.post(f"/qualitative/documents/{document.id}/deidentify/skip")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Document, document.id).deidentification == "skipped"
    event = db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.entity == "qual_document", AuditEvent.action == "update")).scalars().all()[-1]
    assert event.changes["deidentification"] == {"old": "pending", "new": "skipped"}
    assert event.actor == people["manager"].email


def test_applying_after_a_skip_moves_existing_codings(project, import_text, people, code_id):
    from qualitative.workspace.services import coding, deidentify

    document = import_text("t.txt", b"Interviewer: Hello.\n\nCounselor: Ask Rosalind Pemberton about the recorder.\n")
    text = document.text
    start = text.index("about the recorder")
    created, _ = coding.create_codings(document, people["manager"], start, start + len("about the recorder"),
                                       [code_id("III.J.3")])
    deidentify.add_manual_quote(document, "Rosalind Pemberton", "[NAME]", every=True)
    deidentify.apply(document)
    db.session.commit()
    db.session.expire_all()
    moved = db.session.get(Coding, created[0].id)
    document = db.session.get(Document, document.id)
    assert document.text[moved.start:moved.end] == "about the recorder"
    assert "Ask [NAME] about" in document.text
