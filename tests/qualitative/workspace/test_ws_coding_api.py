"""The coding API: offsets in UTF-16 units within a turn (emoji, combining marks) become code points of the
document; each coder owns their codings (others' are read-only, 403); a stale version is refused with 409; and the
no-JavaScript forms code by exact quote or code-point offsets."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from qualitative.models import Coding
from qualitative.offsets import codepoint_to_utf16
from tests.qualitative.workspace.conftest import EMOJI_TRANSCRIPT


def _turn_with(document, needle: str):
    for turn in document.turns:
        utterance = document.text[turn.start:turn.end]
        if needle in utterance:
            return turn, utterance
    raise AssertionError(needle)


def _select(document, needle: str) -> dict:
    """What the browser sends for a selection of ``needle``: turn id and UTF-16 offsets within the utterance."""
    turn, utterance = _turn_with(document, needle)
    cp = utterance.index(needle)
    return {"turn_id": turn.id, "start": codepoint_to_utf16(utterance, cp),
            "end": codepoint_to_utf16(utterance, cp + len(needle))}


def test_create_with_emoji_and_combining_marks_maps_to_code_points(client, login, people, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    login(people["coder"])
    # after two astral emoji the UTF-16 offsets run two units ahead of the code points
    selection = _select(document, "and then we talked about it")
    turn, utterance = _turn_with(document, "and then we talked")
    assert selection["start"] == utterance.index("and then") + 2
    response = client.post(f"/qualitative/documents/{document.id}/codings",
                           json={**selection, "code_ids": [code_id("III.K"), code_id("IV.CHAR.B")]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert len(body["created"]) == 2
    coding = db.session.get(Coding, body["created"][0]["id"])
    assert document.text[coding.start:coding.end] == "and then we talked about it"
    assert body["created"][0]["pieces"] == [{"turn_id": turn.id, "start": selection["start"], "end": selection["end"]}]

    # the emoji itself, and text with a combining accent (NFC keeps e + U+0301 as one precomposed é)
    for needle in ("👶", "Zoë (with é combining), helps", "café talk 🙂"):
        response = client.post(f"/qualitative/documents/{document.id}/codings",
                               json={**_select(document, needle), "code_ids": [code_id("III.B")]})
        assert response.status_code == 201, response.get_json()
        coding = db.session.get(Coding, response.get_json()["created"][0]["id"])
        assert document.text[coding.start:coding.end] == needle
    assert "\u0301" not in document.text  # normalised to NFC by the parser


def test_offsets_inside_a_surrogate_pair_or_outside_the_turn_are_refused(client, login, people, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    login(people["coder"])
    selection = _select(document, "👶")
    url = f"/qualitative/documents/{document.id}/codings"
    split = client.post(url, json={**selection, "end": selection["start"] + 1, "code_ids": [code_id("III.B")]})
    assert split.status_code == 400 and "surrogate pair" in split.get_json()["error"]
    too_far = client.post(url, json={**selection, "end": 10_000, "code_ids": [code_id("III.B")]})
    assert too_far.status_code == 400 and "outside the text" in too_far.get_json()["error"]
    empty = client.post(url, json={**selection, "end": selection["start"], "code_ids": [code_id("III.B")]})
    assert empty.status_code == 400 and "empty" in empty.get_json()["error"]
    heading = client.post(url, json={**selection, "code_ids": [code_id("III")]})
    assert heading.status_code == 400 and "heading" in heading.get_json()["error"]
    alien = client.post(url, json={"turn_id": 999999, "start": 0, "end": 2, "code_ids": [code_id("III.B")]})
    assert alien.status_code == 400 and "not part of this transcript" in alien.get_json()["error"]
    not_json = client.post(url, data="nope", content_type="text/plain", headers={"Accept": "application/json"})
    assert not_json.status_code == 400
    assert not db.session.execute(sa.select(Coding)).first()


def test_duplicate_coding_is_reported_not_duplicated(client, login, people, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    login(people["coder"])
    payload = {**_select(document, "supervision"), "code_ids": [code_id("III.K")]}
    assert client.post(f"/qualitative/documents/{document.id}/codings", json=payload).status_code == 201
    again = client.post(f"/qualitative/documents/{document.id}/codings", json=payload)
    assert again.status_code == 409 and "already coded" in again.get_json()["error"]


def _coding(document, user, code, start_text: str) -> Coding:
    start = document.text.index(start_text)
    coding = Coding(document_id=document.id, code_id=code, coder_id=user.id, start=start, end=start + len(start_text))
    db.session.add(coding)
    db.session.commit()
    return coding


def test_update_own_coding_and_stale_version_gets_409(client, login, people, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    coding = _coding(document, people["coder"], code_id("III.K"), "supervisor")
    login(people["coder"])
    url = f"/qualitative/codings/{coding.id}"
    response = client.patch(url, json={"version": 1, "code_id": code_id("IV.ROLE.B")})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["coding"]["version"] == 2 and response.get_json()["coding"]["code_id"] == code_id("IV.ROLE.B")
    # extend the span to a new selection
    response = client.patch(url, json={"version": 2, **_select(document, "The supervisor, Zoë")})
    assert response.status_code == 200
    db.session.expire_all()
    coding = db.session.get(Coding, coding.id)
    assert document.text[coding.start:coding.end] == "The supervisor, Zoë" and coding.version == 3
    # a second window still holding version 2 is refused, and nothing changes
    stale = client.patch(url, json={"version": 2, "code_id": code_id("I.H")})
    assert stale.status_code == 409
    assert "changed elsewhere" in stale.get_json()["error"] and "Nothing was saved" in stale.get_json()["error"]
    db.session.expire_all()
    assert db.session.get(Coding, coding.id).code_id == code_id("IV.ROLE.B")
    missing_version = client.patch(url, json={"code_id": code_id("I.H")})
    assert missing_version.status_code == 400
    # POST works as PATCH for clients without PATCH
    assert client.post(url, json={"version": 3, "code_id": code_id("I.H")}).status_code == 200
    stale_delete = client.post(f"{url}/delete", json={"version": 3})
    assert stale_delete.status_code == 409
    deleted = client.post(f"{url}/delete", json={"version": 4})
    assert deleted.status_code == 200 and deleted.get_json()["deleted"] == coding.id
    assert db.session.get(Coding, coding.id) is None


def test_cannot_change_or_remove_another_coders_coding(client, login, people, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    theirs = _coding(document, people["manager"], code_id("III.K"), "supervisor")
    login(people["coder"])
    response = client.patch(f"/qualitative/codings/{theirs.id}", json={"version": 1, "code_id": code_id("I.H")})
    assert response.status_code == 403 and "read-only" in response.get_json()["error"]
    assert client.post(f"/qualitative/codings/{theirs.id}/delete", json={"version": 1}).status_code == 403
    assert client.get(f"/qualitative/codings/{theirs.id}/edit").status_code == 403
    assert client.post(f"/qualitative/codings/{theirs.id}/delete", data={"version": "1"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Coding, theirs.id).code_id == code_id("III.K")
    # both coders' codings are listed; only one's own are "mine"
    mine = _coding(document, people["coder"], code_id("III.K"), "café")
    listing = client.get(f"/qualitative/documents/{document.id}/codings.json").get_json()["codings"]
    assert {(c["id"], c["mine"], c["initials"]) for c in listing} == {(theirs.id, False, "QA"), (mine.id, True, "RSC")}


def test_two_coders_never_overwrite_each_other(client, login, people, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    selection = {**_select(document, "supervisor"), "code_ids": [code_id("III.K")]}
    for who in ("manager", "coder"):
        login(people[who])
        assert client.post(f"/qualitative/documents/{document.id}/codings", json=selection).status_code == 201
        client.post("/auth/logout")
    rows = db.session.execute(sa.select(Coding.coder_id)).scalars().all()
    assert sorted(rows) == sorted([people["manager"].id, people["coder"].id])


def test_no_javascript_forms_by_quote_and_by_code_points(client, login, people, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/codings/new"
    page = client.get(url)
    assert page.status_code == 200 and b"Exact text" in page.data
    response = client.post(url, data={"code_ids": [code_id("III.K")], "mode": "quote", "quote": "Interviewer",
                                      "occurrence": "1"})
    assert response.status_code == 400 and b"does not occur inside a turn" in response.data  # labels are not text
    response = client.post(url, data={"code_ids": [code_id("III.K")], "mode": "quote", "quote": "baby 👶 smiled",
                                      "occurrence": "1"})
    assert response.status_code == 302
    coding = db.session.execute(sa.select(Coding)).scalar_one()
    assert document.text[coding.start:coding.end] == "baby 👶 smiled"
    ambiguous = client.post(url, data={"code_ids": [code_id("I.H")], "mode": "quote", "quote": "the", "occurrence": "9"})
    assert ambiguous.status_code == 400 and b"choose an occurrence from 1 to" in ambiguous.data
    start = document.text.index("helps a lot")
    by_offsets = client.post(url, data={"code_ids": [code_id("I.H")], "mode": "offsets", "start": str(start),
                                        "end": str(start + 11)})
    assert by_offsets.status_code == 302
    on_label = client.post(url, data={"code_ids": [code_id("I.H")], "mode": "offsets", "start": "0",
                                      "end": str(len(document.text))})
    assert on_label.status_code == 400 and b"not on a speaker label" in on_label.data
    # across turns (a focus-group exchange) is one span, starting and ending inside utterances
    first, last = document.text.index("And supervision"), document.text.index("The supervisor, Zo")
    across = client.post(url, data={"code_ids": [code_id("III.B")], "mode": "offsets", "start": str(first),
                                    "end": str(last + 14)})
    assert across.status_code == 302
    assert db.session.execute(sa.select(Coding.start, Coding.end).where(Coding.code_id == code_id("III.B"))
                              ).one() == (first, last + 14)
    # edit by code points, then remove, through the forms
    coding = db.session.execute(sa.select(Coding).where(Coding.code_id == code_id("I.H"))).scalar_one()
    edit = f"/qualitative/codings/{coding.id}/edit"
    assert b"helps a lot" in client.get(edit).data
    response = client.post(edit, data={"code_id": code_id("III.B"), "start": str(start), "end": str(start + 5),
                                       "version": "1"})
    assert response.status_code == 302
    stale = client.post(edit, data={"code_id": code_id("III.B"), "start": str(start), "end": str(start + 5),
                                    "version": "1"})
    assert stale.status_code == 409 and b"changed elsewhere" in stale.data
    assert client.post(f"/qualitative/codings/{coding.id}/delete", data={"version": "2"}).status_code == 302
    assert db.session.get(Coding, coding.id) is None


def test_workspace_page_shows_turns_codings_and_filters(client, login, people, import_text, code_id, project, org):
    from qualitative.models import Participant

    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    participant = Participant(project_id=project.id, clinic_id=org["clinic"].id, pseudonym="SPR-1 counselor 4",
                              cfir_role="IV.ROLE.H")
    db.session.add(participant)
    db.session.flush()
    for turn in document.turns:
        if turn.speaker == "Counselor":
            turn.participant_id = participant.id
    db.session.commit()
    _coding(document, people["manager"], code_id("III.K"), "supervisor")
    login(people["coder"])
    page = client.get(f"/qualitative/documents/{document.id}").data.decode()
    assert "SPR-1 counselor 4 · IV.H Innovation Deliverers" in page
    assert "III.K Access to Knowledge &amp; Information" in page and 'title="Quinn Analyst">QA</abbr>' in page
    assert 'name="csrf-token"' in page and "workspace.js" in page
    filtered = client.get(f"/qualitative/documents/{document.id}?code={code_id('III.K')}").data.decode()
    assert "Showing 1 of 4 turns" in filtered
    searched = client.get(f"/qualitative/documents/{document.id}?q=CAFÉ").data.decode()
    assert "Showing 1 of 4 turns" in searched
