"""The workspace's coding tools (issue 17): the code tree picker, in-vivo codes, per-code shortcuts, codings across
turns, undo and redo recorded in the audit trail."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.db import db
from qualitative.models import Code, Coding
from tests.qualitative.workspace.conftest import EMOJI_TRANSCRIPT


def test_the_picker_is_a_code_tree_with_notes_and_counts(client, login, people, project, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    start = document.text.index("supervisor")
    db.session.add_all([Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["coder"].id,
                               start=start, end=start + 10),
                        Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["manager"].id,
                               start=start, end=start + 10)])
    db.session.commit()
    login(people["coder"])
    html = client.get(f"/qualitative/documents/{document.id}").get_data(as_text=True)
    assert 'role="tree"' in html and 'aria-multiselectable="true"' in html
    items = re.findall(r'<li role="treeitem"[^>]*>', html)
    codes = db.session.execute(sa.select(Code).where(Code.project_id == project.id, Code.active.is_(True))).scalars()
    assert len(items) == len(list(codes))  # every active code, headings included
    domain = re.search(rf'<li role="treeitem" id="code-item-{code_id("III")}"[^>]*>', html)[0]
    assert 'aria-level="1"' in domain and 'aria-expanded="true"' in domain and "aria-selected" not in domain
    construct = re.search(rf'<li role="treeitem" id="code-item-{code_id("III.K")}"[^>]*>', html)[0]
    assert 'aria-level="2"' in construct and 'aria-selected="false"' in construct
    assert f'aria-describedby="code-note-{code_id("III.K")}"' in construct
    # its definition and notes are in the page (shown beside it on hover or focus), and its count is 2
    iii_k = db.session.get(Code, code_id("III.K"))
    note = re.search(rf'id="code-note-{iii_k.id}" hidden>(.*?)</span>\s*</li>', html, re.S)[1]
    assert "Definition." in note and "Include:" in note and "Exclude:" in note
    assert iii_k.definition.split()[0] in note
    count = re.search(rf'id="code-item-{iii_k.id}".*?<span class="n">(\d+)</span>', html, re.S)[1]
    assert count == "2"
    # the detail is a dialog beside the highlight (positioned by the script), no longer inside the sidebar
    assert 'role="dialog"' in html and html.index('id="coding-detail"') > html.index("</aside>")


def _point(document, needle: str, *, end: bool = False) -> dict:
    """(turn_id, UTF-16 offset) of the start (or end) of ``needle`` inside its turn's utterance."""
    from qualitative.offsets import codepoint_to_utf16

    for turn in document.turns:
        utterance = document.text[turn.start:turn.end]
        if needle in utterance:
            cp = utterance.index(needle) + (len(needle) if end else 0)
            return {"turn_id": turn.id, "offset": codepoint_to_utf16(utterance, cp)}
    raise AssertionError(needle)


def _across(document, first: str, last: str) -> dict:
    a, b = _point(document, first), _point(document, last, end=True)
    return {"turn_id": a["turn_id"], "start": a["offset"], "end_turn_id": b["turn_id"], "end": b["offset"]}


def test_a_coding_across_turns_is_one_span_drawn_per_turn_exported_and_agreed_on(
        client, login, people, project, import_text, code_id):
    from qualitative.analysis.services.agreement import agreement_report
    from qualitative.analysis.services.refi_export import build_qda_project

    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    turns = document.turns
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/codings"
    # from "and then we talked" (turn 2, after two astral emoji) to the end of "And supervision?" (turn 3)
    body = {**_across(document, "and then we talked", "And supervision?"), "code_ids": [code_id("III.K")]}
    response = client.post(url, json=body)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()["created"][0]
    coding = db.session.get(Coding, made["id"])
    start = document.text.index("and then we talked")
    end = document.text.index("And supervision?") + len("And supervision?")
    assert (coding.start, coding.end) == (start, end)  # one span over the document text, labels between inside
    assert "Interviewer: And supervision?" in document.text[coding.start:coding.end]
    assert [p["turn_id"] for p in made["pieces"]] == [turns[1].id, turns[2].id]
    assert made["pieces"][1] == {"turn_id": turns[2].id, "start": 0, "end": len("And supervision?")}
    # the same selection made backwards (focus before anchor) is the same span
    backwards = {"turn_id": body["end_turn_id"], "start": body["end"], "end_turn_id": body["turn_id"],
                 "end": body["start"], "code_ids": [code_id("III.B")]}
    again = client.post(url, json=backwards).get_json()["created"][0]
    assert (again["start"], again["end"]) == (start, end)
    # a turn of another document, or an offset beyond its turn, is refused naming it; nothing half-saved
    alien = client.post(url, json={**body, "end_turn_id": 999999})
    assert alien.status_code == 400 and "Turn 999999 is not part of this transcript" in alien.get_json()["error"]
    beyond = client.post(url, json={**body, "end": 10_000})
    assert beyond.status_code == 400 and "turn 3" in beyond.get_json()["error"]
    assert db.session.execute(sa.select(sa.func.count(Coding.id))).scalar_one() == 2

    # REFI-QDA: a plain-text selection with the same code-point offsets over the whole document
    project_xml = build_qda_project(project, include_unreviewed=True)  # (this test skipped de-identification)
    source = next(s for s in project_xml.sources if s.name == document.name)
    selection = next(s for s in source.selections if s.start == start)
    assert selection.end == end and source.text[selection.start:selection.end] == document.text[start:end]

    # agreement: the coding counts in each turn it overlaps. The manager codes turn 3 only: presence per turn
    # (4 turns) is A = [no, yes, yes, no], B = [no, no, yes, no]; po = 3/4, pe = (2/4)(1/4) + (2/4)(3/4) = 1/2,
    # kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5 (computed by hand, Cohen 1960)
    q = document.text.index("And supervision?")
    db.session.add(Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["manager"].id,
                          start=q, end=q + 5))
    db.session.commit()
    report = agreement_report(project, [people["coder"].id, people["manager"].id], code_ids=[code_id("III.K")])
    unit = report.pairs[0].per_code[0]["unit"]
    assert (unit["n"], unit["both"], unit["a_only"], unit["b_only"], unit["neither"]) == (4, 1, 1, 0, 2)
    assert unit["kappa"] == 0.5

    # the no-JavaScript edit form takes the same span as code points
    page = client.get(f"/qualitative/codings/{coding.id}/edit")
    assert page.status_code == 200


def test_in_vivo_makes_a_code_from_the_words_under_a_parent(client, login, people, project, import_text, code_id):
    from qualitative.offsets import codepoint_to_utf16

    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    turn = document.turns[3]
    utterance = document.text[turn.start:turn.end]
    words = "café talk 🙂 is better than nothing"
    cp = utterance.index(words)
    selection = {"turn_id": turn.id, "start": codepoint_to_utf16(utterance, cp),
                 "end": codepoint_to_utf16(utterance, cp + len(words))}
    url = f"/qualitative/documents/{document.id}/codings/in-vivo"
    login(people["reader"])
    assert client.post(url, json={**selection, "parent_id": code_id("III")}).status_code == 403
    client.post("/auth/logout")
    login(people["coder"])
    response = client.post(url, json={**selection, "parent_id": code_id("III")})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    code = db.session.get(Code, body["code"]["id"])
    assert code.name == words and code.kind == "in-vivo" and code.codable
    assert code.parent_id == code_id("III") and code.project_id == project.id
    assert code.key == "CAFÉ-TALK-IS-BETTER-THAN-NOTHING"
    coding = db.session.get(Coding, body["created"][0]["id"])
    assert document.text[coding.start:coding.end] == words and coding.code_id == code.id
    assert coding.coder_id == people["coder"].id
    # the same words again under the same parent reuse the code (an existing coding of the span is a 400)
    other = document.text.index("smiled at her")
    turn2 = document.turns[1]
    u2 = document.text[turn2.start:turn2.end]
    again = client.post(url, json={"turn_id": turn2.id, "start": codepoint_to_utf16(u2, other - turn2.start),
                                   "end": codepoint_to_utf16(u2, other - turn2.start + len("smiled at her")),
                                   "parent_id": 0})
    assert again.status_code == 201 and again.get_json()["code"]["parent_id"] is None
    duplicate = client.post(url, json={**selection, "parent_id": code_id("III")})
    assert duplicate.status_code == 400 and "already coded" in duplicate.get_json()["error"]
    # a parent from another project, or a selection of nothing, changes nothing
    before = db.session.execute(sa.select(sa.func.count(Code.id))).scalar_one()
    alien = client.post(url, json={**selection, "parent_id": 10**9})
    assert alien.status_code == 400 and "parent" in alien.get_json()["error"]
    blank = client.post(url, json={**selection, "end": selection["start"], "parent_id": 0})
    assert blank.status_code == 400
    assert db.session.execute(sa.select(sa.func.count(Code.id))).scalar_one() == before


def test_undo_and_redo_are_recorded_in_the_audit_trail(client, login, people, import_text, code_id):
    from app.models import AuditEvent

    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    login(people["coder"])
    selection = _across(document, "supervision", "supervision?")
    selection = {**selection, "end": selection["end"] - 1}
    created = client.post(f"/qualitative/documents/{document.id}/codings",
                          json={**selection, "code_ids": [code_id("III.K")]}).get_json()["created"][0]
    # undo the creation: the delete is audited as an undo by this coder
    undone = client.post(f"/qualitative/codings/{created['id']}/delete", json={"version": 1},
                         headers={"X-Coding-Undo": "undo"})
    assert undone.status_code == 200
    # redo it: a create audited as a redo
    redone = client.post(f"/qualitative/documents/{document.id}/codings",
                         json={**selection, "code_ids": [code_id("III.K")]}, headers={"X-Coding-Undo": "redo"})
    assert redone.status_code == 201
    new_id = redone.get_json()["created"][0]["id"]
    # change the code, then undo the change
    client.patch(f"/qualitative/codings/{new_id}", json={"version": 1, "code_id": code_id("III.B")})
    back = client.patch(f"/qualitative/codings/{new_id}", json={"version": 2, "code_id": code_id("III.K")},
                        headers={"X-Coding-Undo": "undo"})
    assert back.status_code == 200
    events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.actor,
                                          AuditEvent.user_id)
                                .where(AuditEvent.entity == "qual_coding").order_by(AuditEvent.id)).all()
    email, uid = people["coder"].email, people["coder"].id
    assert [(e.action, e.entity_id, e.actor, e.user_id) for e in events] == [
        ("create", str(created["id"]), email, uid),
        ("delete", str(created["id"]), f"{email} (undo)", uid),
        ("create", str(new_id), f"{email} (redo)", uid),
        ("update", str(new_id), email, uid),
        ("update", str(new_id), f"{email} (undo)", uid),
    ]
    # any other header value is an ordinary change
    plain = client.patch(f"/qualitative/codings/{new_id}", json={"version": 3, "code_id": code_id("III.B")},
                         headers={"X-Coding-Undo": "sideways"})
    assert plain.status_code == 200
    last = db.session.execute(sa.select(AuditEvent.actor).order_by(AuditEvent.id.desc())).scalars().first()
    assert last == email


def test_shortcuts_are_kept_per_coder_and_project(client, login, people, project, import_text, code_id):
    from qualitative.models import CodeShortcut

    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    url = f"/qualitative/projects/{project.id}/shortcuts"
    login(people["reader"])
    assert client.post(url, json={"digit": 1, "code_id": code_id("III.K")}).status_code == 403
    client.post("/auth/logout")
    login(people["coder"])
    assert client.post(url, json={"digit": 3, "code_id": code_id("III.K")}).get_json() == {
        "shortcuts": {"3": code_id("III.K")}}
    # the digit goes to another code: the first loses it; a code given a second digit keeps only that one
    assert client.post(url, json={"digit": 3, "code_id": code_id("III.B")}).get_json()["shortcuts"] == {
        "3": code_id("III.B")}
    assert client.post(url, json={"digit": 1, "code_id": code_id("III.K")}).get_json()["shortcuts"] == {
        "1": code_id("III.K"), "3": code_id("III.B")}
    assert client.post(url, json={"digit": 4, "code_id": code_id("III.B")}).get_json()["shortcuts"] == {
        "1": code_id("III.K"), "4": code_id("III.B")}
    # bad input: 400 naming the field, nothing changed
    for body, field in (({"digit": 0, "code_id": code_id("III.K")}, "digit"),
                        ({"digit": "x", "code_id": code_id("III.K")}, "digit"),
                        ({"digit": 10, "code_id": code_id("III.K")}, "digit"),
                        ({"digit": 2, "code_id": code_id("III")}, "code_id"),
                        ({"digit": 2, "code_id": 10**9}, "code_id"),
                        ({"digit": 2, "code_id": "abc"}, "code_id")):
        refused = client.post(url, json=body)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(f"{field}:"), body
    # null frees the digit
    assert client.post(url, json={"digit": 4, "code_id": None}).get_json()["shortcuts"] == {"1": code_id("III.K")}
    # the workspace shows this coder's shortcut beside the code; the manager's are their own
    html = client.get(f"/qualitative/documents/{document.id}").get_data(as_text=True)
    item = re.search(rf'<li role="treeitem" id="code-item-{code_id("III.K")}".*?</li>', html, re.S)[0]
    assert 'data-shortcut="1"' in item and re.search(r'<kbd class="code-shortcut"[^>]*>1</kbd>', item)
    client.post("/auth/logout")
    login(people["manager"])
    assert client.post(url, json={"digit": 1, "code_id": code_id("III.B")}).status_code == 200
    rows = db.session.execute(sa.select(CodeShortcut.user_id, CodeShortcut.digit, CodeShortcut.code_id)
                              .order_by(CodeShortcut.user_id)).all()
    assert sorted(rows) == sorted([(people["coder"].id, 1, code_id("III.K")),
                                   (people["manager"].id, 1, code_id("III.B"))])
