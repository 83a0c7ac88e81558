"""The coding workspace is paged by turns (issue 14 item 5: a 20,000-turn transcript made an 11.8 MB page): 300
turns a page, links to a position, a coding or a turn number land on the page holding it, codings.json answers for
the page's window, filters page through the matching turns, and the speakers page is paged and counted in SQL."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.db import db
from qualitative.models import Coding, DocumentTurn
from qualitative.workspace.services import participants as speaker_service
from qualitative.workspace.services.windows import TURNS_PER_PAGE
from tests.qualitative.workspace.conftest import csrf_from

TURNS = 650  # three pages: 1-300, 301-600, 601-650


def _long(turns: int = TURNS, speakers: int = 2) -> bytes:
    return "\n".join(f"Speaker{i % speakers}: line {i} says {'needle' if i % 100 == 42 else 'hay'}"
                     for i in range(turns)).encode()


@pytest.fixture
def long_doc(import_text):
    return import_text("long.txt", _long())


def _turn(document, number: int) -> DocumentTurn:
    """Turn ``number`` (1-based, as the page shows it)."""
    return db.session.execute(sa.select(DocumentTurn).where(DocumentTurn.document_id == document.id,
                                                            DocumentTurn.index == number - 1)).scalar_one()


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="turn-number">(\d+)\.</span>', html)]


def test_the_page_shows_300_turns_with_links_to_the_others(client, login, people, long_doc):
    assert TURNS_PER_PAGE == 300
    login(people["coder"])
    url = f"/qualitative/documents/{long_doc.id}"
    first = client.get(url).get_data(as_text=True)
    assert _numbers(first) == list(range(1, 301))
    assert "Turns 1–300 of 650, page 1 of 3" in first
    assert f'href="{url}?page=2" rel="next"' in first and 'max="650"' in first  # the "Go to turn" field
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert _numbers(second) == list(range(301, 601))
    assert f'data-codings-url="{url}/codings.json?first=300&amp;last=599"' in second
    assert f'data-page-url="{url}?page=2"' in second  # memo links come back to this page
    assert _numbers(client.get(f"{url}?page=99").get_data(as_text=True)) == list(range(601, 651))  # the last
    bad = client.get(f"{url}?page=two")
    assert bad.status_code == 400 and "“page” filter" in bad.get_data(as_text=True)


def test_links_to_a_turn_a_position_or_a_coding_open_the_page_holding_it(client, login, people, long_doc, code_id):
    login(people["coder"])
    url = f"/qualitative/documents/{long_doc.id}"
    turn_450 = _turn(long_doc, 450)
    html = client.get(f"{url}?turn=450").get_data(as_text=True)
    assert _numbers(html) == list(range(301, 601))
    assert f'id="turn-{turn_450.id}" aria-labelledby="turn-{turn_450.id}-head" aria-current="location"' in html
    for bad in ("0", "651", "x", "99999999999999999999"):
        refused = client.get(f"{url}?turn={bad}")
        assert refused.status_code == 400 and "this transcript (1 to 650)" in refused.get_data(as_text=True), bad
    turn_620 = _turn(long_doc, 620)
    at = client.get(f"{url}?at={turn_620.start + 3}").get_data(as_text=True)  # the analysis pages' links
    assert _numbers(at)[0] == 601 and f'id="turn-{turn_620.id}" aria-labelledby="turn-{turn_620.id}-head" ' \
        f'aria-current="location"' in at
    coding = Coding(document_id=long_doc.id, code_id=code_id("III.K"), coder_id=people["coder"].id,
                    start=turn_450.start, end=turn_450.start + 4)
    db.session.add(coding)
    db.session.commit()
    landed = client.get(f"{url}?coding={coding.id}").get_data(as_text=True)
    assert _numbers(landed)[0] == 301 and f'id="coding-{coding.id}"' in landed  # its margin label is on the page
    other = client.get(f"{url}?coding=999999").get_data(as_text=True)
    assert "Coding 999999 is not one of this transcript&#39;s codings you can see." in other and _numbers(other)[0] == 1


def test_codings_json_answers_for_the_page_window(client, login, people, long_doc, code_id):
    login(people["coder"])
    turns = [_turn(long_doc, n) for n in (10, 310, 320, 640)]
    for turn in turns:
        db.session.add(Coding(document_id=long_doc.id, code_id=code_id("III.K"), coder_id=people["coder"].id,
                              start=turn.start, end=turn.end))
    db.session.commit()
    url = f"/qualitative/documents/{long_doc.id}/codings.json"
    whole = client.get(url)
    assert [c["pieces"][0]["turn_id"] for c in whole.json["codings"]] == [t.id for t in turns]
    window = client.get(f"{url}?first=300&last=599")
    assert [c["pieces"][0]["turn_id"] for c in window.json["codings"]] == [turns[1].id, turns[2].id]
    assert window.headers["ETag"] != whole.headers["ETag"]
    assert client.get(f"{url}?first=300&last=599", headers={"If-None-Match": window.headers["ETag"]}).status_code == 304
    refused = client.get(f"{url}?first=300&last=abc")
    assert refused.status_code == 400 and "“last” parameter" in refused.get_data(as_text=True)
    # the code filter's counts stay those of the whole transcript on every page
    page2 = client.get(f"/qualitative/documents/{long_doc.id}?page=2").get_data(as_text=True)
    assert re.search(r"III\.K [^<]*\(4\)</option>", page2)


def test_coding_on_page_two_shows_there(client, login, people, long_doc, code_id):
    login(people["coder"])
    url = f"/qualitative/documents/{long_doc.id}"
    html = client.get(f"{url}?page=2")
    turn = _turn(long_doc, 333)
    created = client.post(f"{url}/codings", json={"turn_id": turn.id, "start": 0, "end": 8,
                                                  "code_ids": [code_id("II.C")]},
                          headers={"X-CSRFToken": csrf_from(html.data)})
    assert created.status_code == 201
    coding = created.json["created"][0]
    assert coding["pieces"] == [{"turn_id": turn.id, "start": 0, "end": 8}]
    page2 = client.get(f"{url}?page=2").get_data(as_text=True)
    assert f'id="coding-{coding["id"]}"' in page2
    assert f'id="coding-{coding["id"]}"' not in client.get(url).get_data(as_text=True)


def test_filters_page_through_the_matching_turns(client, login, people, long_doc, code_id):
    login(people["coder"])
    url = f"/qualitative/documents/{long_doc.id}"
    found = client.get(f"{url}?q=NEEDLE").get_data(as_text=True)  # turns 43, 143, ..., 643: folded match
    assert _numbers(found) == [43, 143, 243, 343, 443, 543, 643]
    assert "Showing 7 of 650 turns." in found
    for number in (5, 505):
        turn = _turn(long_doc, number)
        db.session.add(Coding(document_id=long_doc.id, code_id=code_id("II.C"), coder_id=people["coder"].id,
                              start=turn.start, end=turn.start + 2))
    db.session.commit()
    coded = client.get(f"{url}?code={code_id('II.C')}").get_data(as_text=True)
    assert _numbers(coded) == [5, 505] and "Showing 2 of 650 turns." in coded
    # a filtered page asks codings.json for the range of its turns
    assert f"/codings.json?first={4}&amp;last={504}" in coded
    assert client.get(f"{url}?q={'x' * 201}").status_code == 400


def test_the_speakers_page_is_paged_and_counted_in_sql(app, client, login, people, import_text, monkeypatch):
    monkeypatch.setitem(app.config, "QUAL_MAX_TRANSCRIPT_SPEAKERS", 200)
    document = import_text("many.txt", _long(240, speakers=120))  # 120 labels, 2 turns each
    assert people_count(document) == 120
    rows = speaker_service.speakers(document)
    assert [r.label for r in rows[:3]] == ["Speaker0", "Speaker1", "Speaker2"] and {r.turns for r in rows} == {2}
    login(people["manager"])
    url = f"/qualitative/documents/{document.id}/speakers"
    first = client.get(url).get_data(as_text=True)
    assert "Rows 1–50 of 120, page 1 of 3" in first and "Speaker49 " in first and "Speaker50 " not in first
    third = client.get(f"{url}?page=3")
    assert "Speaker119 " in third.get_data(as_text=True)
    # page 2 maps its 50 labels (all "not a participant" but Speaker50 -> a new participant), then opens page 3
    form = {f"choice-{i}": "" for i in range(50)}
    form.update({"choice-0": "new", "pseudonym-0": "SPR-1 participant 50", "role-0": "", "clinic-0": ""})
    saved = client.post(f"{url}?page=2", data=form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{url}?page=3")
    mapped = {r.label: r for r in speaker_service.speakers(document)}
    assert mapped["Speaker50"].participant_id is not None and mapped["Speaker51"].participant_id is None
    assert mapped["Speaker0"].participant_id is None and not mapped["Speaker50"].mixed
    # one turn of Speaker50 moved off its participant: the label is "mapped to several participants"
    db.session.execute(sa.update(DocumentTurn).where(DocumentTurn.document_id == document.id,
                                                     DocumentTurn.index == 170).values(participant_id=None))
    db.session.commit()
    assert {r.label: r for r in speaker_service.speakers(document)}["Speaker50"].mixed


def people_count(document) -> int:
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(DocumentTurn.speaker)))
                             .where(DocumentTurn.document_id == document.id))


def test_the_no_javascript_coding_form_offers_the_turns_of_one_page(client, login, people, long_doc, code_id):
    login(people["coder"])
    url = f"/qualitative/documents/{long_doc.id}"
    page2 = client.get(f"{url}?page=2").get_data(as_text=True)
    first_on_page = _turn(long_doc, 301)
    assert f"/codings/new?near={first_on_page.id}" in page2
    form = client.get(f"{url}/codings/new?near={first_on_page.id}").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d+)"', form.split('name="turn_id"')[1].split("</select>")[0])
    assert len(options) == 1 + 300 and options[1] == str(first_on_page.id)  # "any turn", then turns 301-600
    turn = _turn(long_doc, 555)
    saved = client.post(f"{url}/codings/new", data={"mode": "quote", "quote": "line 554", "occurrence": 1,
                                                     "turn_id": turn.id, "code_ids": [code_id("II.C")]})
    assert saved.status_code == 302 and "?coding=" in saved.headers["Location"]
    coding = db.session.execute(sa.select(Coding).where(Coding.document_id == long_doc.id)).scalar_one()
    assert (coding.start, coding.end) == (turn.start, turn.start + len("line 554"))
